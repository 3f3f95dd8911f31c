import Testing

/// Parent of every suite that starts PostgreSQL clusters: `.serialized` runs them one at a time
/// (the machine has two cores, and each test already runs clusters, pgbench and tailtown-pitr side by side).
@Suite(.serialized, .timeLimit(.minutes(10)))
struct PostgreSQLIntegration {}
