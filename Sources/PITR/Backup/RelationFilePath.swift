/// Which files of a tar archive are relation files, the ones stored block by block: a name of digits, an optional
/// fork (`_fsm`, `_vm`, `_init`) and an optional segment number (`.1`), in `global/` or in a database's folder
/// (`base/<oid>/` in the data directory, `<PG_version_catalog>/<oid>/` in a tablespace).
enum RelationFilePath {
    static func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, let name = parts.last else { return false }
        let folder = parts[parts.count - 2]
        guard folder == "global" || (parts.count >= 3 && folder.allSatisfy(\.isASCIIDigit)) else { return false }
        var rest = name[...]
        let number = rest.prefix { $0.isASCIIDigit }
        guard !number.isEmpty else { return false }
        rest = rest.dropFirst(number.count)
        for fork in ["_fsm", "_vm", "_init"] where rest.hasPrefix(fork) {
            rest = rest.dropFirst(fork.count)
            break
        }
        if rest.hasPrefix(".") {
            rest = rest.dropFirst()
            guard !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit) else { return false }
            return true
        }
        return rest.isEmpty
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
