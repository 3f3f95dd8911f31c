import ArgumentParser
import PITRRestore
import PITRWAL

struct IncidentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List the committed transactions that destroyed data: DROP TABLE, TRUNCATE, DROP DATABASE, large DELETE and UPDATE.",
        discussion: """
            Decodes the archived WAL (only the segments --since and --until need, several at once). Rewrites \
            (VACUUM FULL, CLUSTER, REINDEX, ALTER TABLE rewrites, REFRESH MATERIALIZED VIEW) and rolled-back \
            transactions are not listed. Each incident has a stable id and the restore command that recovers \
            to just before it. Tables are named as they were: by the newest backup before the incident, or by \
            their creation in the WAL; a name that cannot be known is shown as its relation file, with the reason.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only incidents committed at or after this time (with a zone).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only incidents committed at or before this time (with a zone).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Only incidents touching this table: its name as it was (schema-qualified or not) or its relation file number (pg_relation_filenode).", valueName: "table"))
    var table: String?

    @Option(help: ArgumentHelp("Rows one transaction must delete or update in one table to be listed.", valueName: "rows"))
    var threshold: Int = IncidentQuery.defaultRowThreshold

    @Flag(help: "Print the incidents as JSON.")
    var json = false

    func validate() throws {
        guard threshold >= 1 else { throw ValidationError("--threshold must be at least 1 row") }
    }

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let query = IncidentQuery(since: try since.map { try PostgresTimestamp(parsing: $0) },
                                      until: try until.map { try PostgresTimestamp(parsing: $0) },
                                      table: table, rowThreshold: threshold)
            let search = try IncidentFinder(repository: try invocation.repository(), openRepository: invocation.repository).find(query)
            print(json ? search.json() : search.text(), terminator: "")
        }
    }
}
