import PITRSupport

/// Where the programs of a PostgreSQL major are (pg_ctl, initdb, pg_dump, pg_restore): the folder asked for, else
/// Debian's `/usr/lib/postgresql/<major>/bin`, else the folder `pg_config --bindir` names when it is of that major, else a
/// folder of PATH whose program is of that major. The one search, for `restore --start`, the restore drill and `dump-push`.
public enum PostgreSQLPrograms {
    /// The folder holding `program` of `major`; nil when none is found (`requested`, when given, is returned as it is:
    /// the program then runs from there or fails naming it).
    public static func folder(holding program: String, major: Int, requested: String?,
                              environment: [String: String] = ProcessEnvironment.current()) -> String? {
        if let requested { return requested }
        let debian = "/usr/lib/postgresql/\(major)/bin"
        if access(debian + "/" + program, X_OK) == 0 { return debian }
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let minimal = ["PATH": environment["PATH"] ?? "/usr/bin:/bin"]
        for folder in path where access(folder + "/pg_config", X_OK) == 0 {
            guard let result = try? SpawnedProcess.run([folder + "/pg_config", "--bindir"], environment: minimal, mergeStandardError: true),
                  result.status == 0 else { continue }
            let bin = String(decoding: result.output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            if access(bin + "/" + program, X_OK) == 0, majorOf(bin + "/" + program, environment: minimal) == major { return bin }
        }
        for folder in path where access(folder + "/" + program, X_OK) == 0 {
            if majorOf(folder + "/" + program, environment: minimal) == major { return folder }
        }
        return nil
    }

    /// The major of a program from its `--version` ("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" is 15).
    public static func majorOf(_ program: String, environment: [String: String]) -> Int? {
        guard let result = try? SpawnedProcess.run([program, "--version"], environment: environment, mergeStandardError: true),
              result.status == 0 else { return nil }
        return version(in: String(decoding: result.output, as: UTF8.self)).flatMap { Int($0.split(separator: ".").first ?? "") }
    }

    /// "15.14" from a `--version` line.
    public static func version(in line: String) -> String? {
        let marker = "(PostgreSQL) "
        guard let at = line.indices.first(where: { line[$0...].hasPrefix(marker) }) else { return nil }
        let version = line[line.index(at, offsetBy: marker.count)...].prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }
}
