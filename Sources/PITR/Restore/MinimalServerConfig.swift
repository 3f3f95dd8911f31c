/// The configuration files a restored directory needs to start when the backup has none
/// (Debian keeps postgresql.conf, pg_hba.conf and pg_ident.conf under /etc/postgresql):
/// enough to start on a Unix socket only, readable while recovering, and nothing more.
enum MinimalServerConfig {
    static func postgresqlConf(port: Int?) -> String {
        var lines = [
            "# Written by tailtown-pitr restore: the backup held no postgresql.conf.",
            "# Enough to start the restored copy; copy the production settings here before using it for real.",
            "listen_addresses = ''",
            "hot_standby = on",
        ]
        if let port { lines.append("port = \(port)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Local connections only, each as the operating-system user of the same name.
    static let pgHbaConf = """
        # Written by tailtown-pitr restore: the backup held no pg_hba.conf.
        local   all   all   peer

        """

    static let pgIdentConf = "# Written by tailtown-pitr restore: the backup held no pg_ident.conf.\n"
}
