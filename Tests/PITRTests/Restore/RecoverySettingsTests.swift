import Testing
@testable import PITRRestore
@testable import PITRWAL

@Suite struct RecoverySettingsTests {
    func settings(_ target: RecoveryTarget, exclusive: Bool = false, archive: Bool = false) -> RecoverySettings {
        RecoverySettings(target: target, exclusive: exclusive, timeline: TimelineID(2),
                         action: RecoveryAction.defaultAction(for: target), archive: archive,
                         executable: "/usr/local/bin/tailtown-pitr", configFile: "/srv/pg/main.tailtown-pitr.conf", port: nil)
    }

    @Test func quotesValuesForPostgreSQLsParser() {
        #expect(RecoverySettings.quoted("plain") == "'plain'")
        #expect(RecoverySettings.quoted("it's") == "'it''s'")
        #expect(RecoverySettings.quoted(#"C:\dir"#) == #"'C:\\dir'"#)
        #expect(RecoverySettings.quoted("a\nb") == #"'a\nb'"#)
    }

    @Test func quotesPathsForTheShellAndPercentForPostgreSQL() {
        var odd = settings(.latest)
        odd.executable = "/opt/my tools/tailtown-pitr"
        odd.configFile = "/srv/it's 100%.conf"
        #expect(odd.restoreCommand == #"exec '/opt/my tools/tailtown-pitr' --config '/srv/it'\''s 100%%.conf' wal-fetch %f %p"#)
        #expect(odd.text.contains(#"restore_command = 'exec ''/opt/my tools/tailtown-pitr'' --config ''/srv/it''\\''''s 100%%.conf'' wal-fetch %f %p'"#))
    }

    @Test func writesTheTargetTimelineActionAndArchiveMode() throws {
        let time = try PostgresTimestamp(parsing: "2026-11-26T15:03:27.5+01:00")
        #expect(settings(.time(time), exclusive: true).text == """
            # Written by tailtown-pitr restore; later lines win over earlier ones.
            restore_command = 'exec /usr/local/bin/tailtown-pitr --config /srv/pg/main.tailtown-pitr.conf wal-fetch %f %p'
            recovery_target_time = '2026-11-26 14:03:27.5+00'
            recovery_target_inclusive = 'off'
            recovery_target_timeline = '2'
            recovery_target_action = 'pause'
            archive_mode = 'off'

            """)
        #expect(settings(.latest, archive: true).settings.map(\.name) == ["restore_command", "recovery_target_timeline", "recovery_target_action"])
        #expect(settings(.latest).settings.last?.value == "off")
        #expect(settings(.latest).settings.first { $0.name == "recovery_target_action" }?.value == "promote")
        #expect(settings(.immediate).settings.contains { $0 == ("recovery_target", "immediate") })
        #expect(settings(.lsn(LSN(rawValue: 0x1_0000_0028))).settings.contains { $0 == ("recovery_target_lsn", "1/28") })
        #expect(settings(.xid(742)).settings.contains { $0 == ("recovery_target_xid", "742") })
        #expect(settings(.name("before 'drop'")).text.contains("recovery_target_name = 'before ''drop'''"))
    }
}

@Suite struct RestoreHintAndEnvironmentTests {
    /// The "next:" line is pasted into a shell: a target with a space, a quote or a `$` stays one word.
    @Test func theNextStepQuotesItsPaths() throws {
        let summary = RestoreSummary(targetDirectory: "/srv/pitr copy/it's $HOME", recoveryConfigFile: "/srv/x.conf",
                                     owner: try FileOwner(name: "root"), files: 0, bytes: 0, seconds: 0)
        let line = RestoreRun.nextStep(summary)
        #expect(line.contains(#"pg_ctl -D '/srv/pitr copy/it'\''s $HOME' -l '/srv/pitr copy/it'\''s $HOME.postgresql.log' start"#), "\(line)")
        let plain = RestoreSummary(targetDirectory: "/var/lib/postgresql/15/pitr", recoveryConfigFile: "/srv/x.conf",
                                   owner: try FileOwner(name: "root"), files: 0, bytes: 0, seconds: 0)
        #expect(RestoreRun.nextStep(plain).contains("pg_ctl -D /var/lib/postgresql/15/pitr -l /var/lib/postgresql/15/pitr.postgresql.log start"))
    }

    /// pg_ctl, the postmaster and psql get the locale, the time zone and the search path, nothing else.
    @Test func childrenGetAMinimalEnvironment() {
        let minimal = ChildProcess.minimalEnvironment([
            "PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "TZ": "UTC", "PGDATA": "/srv/data",
            "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ACCESS_KEY_ID": "id", "TAILTOWN_ENCRYPTION_KEY": "key",
            "TAILTOWN_REPO": "s3://bucket", "PGPASSWORD": "password", "HOME": "/root", "LD_PRELOAD": "/tmp/x.so",
        ])
        #expect(minimal == ["PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "TZ": "UTC", "PGDATA": "/srv/data"])
    }
}
