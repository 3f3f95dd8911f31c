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
