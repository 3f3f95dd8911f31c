import PITRBackup
import PITRSupport

/// Why `restore` stopped; each message names the directory, file, object or setting and says what to do.
public enum RestoreError: PITRError, Equatable {
    case targetNotEmpty(directory: String)
    case tablespaceNotEmpty(oid: UInt32, directory: String)
    case interrupted(directory: String)
    case notAbsolute(what: String, path: String)
    case tablespaceMapUnknown(oid: UInt32, backup: String)
    case unknownOwner(user: String)
    case recoveryConfigExists(path: String)
    case recoveryConfigInsideTarget(path: String, target: String)
    case unrepresentableSetting(name: String, reason: String)
    case corruptArchive(archive: String, reason: String)
    case unsafeEntry(archive: String, entry: String, reason: String)
    case unsupportedEntry(archive: String, entry: String, type: UInt8)
    case postgresNotFound(path: String)
    case cannotStart(command: String, detail: String)
    case recoveryFailed(directory: String, logFile: String, lastLines: String)
    case foreignDirectory(path: String, uid: uid_t, owner: String)
    case manifestMismatch(file: String, reason: String)
    case invalidManifest(backup: String, reason: String)
    case brokenChain(backup: String, reason: String)

    public var description: String {
        switch self {
        case .targetNotEmpty(let directory):
            "target directory \(directory) is not empty: restore only into a new or empty directory (--target-dir)"
        case .tablespaceNotEmpty(let oid, let directory):
            "tablespace \(oid)'s location \(directory) is not empty: empty it or move the tablespace with --tablespace-map \(oid)=DIR"
        case .interrupted(let directory):
            "an earlier restore into \(directory) was interrupted; empty the directory and run restore again"
        case .notAbsolute(let what, let path):
            "\(what) '\(path)' is not an absolute path: give it from /"
        case .tablespaceMapUnknown(let oid, let backup):
            "--tablespace-map names tablespace \(oid), which backup \(backup) does not have: see backup-list --json for its tablespaces"
        case .unknownOwner(let user):
            "user '\(user)' (--owner) does not exist: name the account PostgreSQL runs as"
        case .recoveryConfigExists(let path):
            "recovery config file \(path) exists and was not written by restore: choose another with --recovery-config FILE"
        case .recoveryConfigInsideTarget(let path, let target):
            "recovery config file \(path) lies inside the target directory \(target), where every later base backup would carry its secrets: choose a file outside it with --recovery-config"
        case .unrepresentableSetting(let name, let reason):
            "setting \(name) cannot be written for restore_command: \(reason); give it a value on one line"
        case .corruptArchive(let archive, let reason):
            "backup archive \(archive) is not a valid tar stream: \(reason); run verify --deep, and restore another backup with --backup NAME"
        case .unsafeEntry(let archive, let entry, let reason):
            "backup archive \(archive) holds entry '\(entry)', which is refused: \(reason); the backup is not one backup-push wrote, restore another with --backup NAME"
        case .unsupportedEntry(let archive, let entry, let type):
            "backup archive \(archive) holds entry '\(entry)' of tar type '\(Unicode.Scalar(type))', which PostgreSQL never writes: the backup is not one of ours"
        case .postgresNotFound(let path):
            "PostgreSQL program \(path) not found: install the server of the backup's version or give its bin folder with --pg-bin DIR"
        case .cannotStart(let command, let detail):
            "`\(command)` failed: \(detail)"
        case .recoveryFailed(let directory, let logFile, let lastLines):
            "PostgreSQL stopped before reaching the recovery target in \(directory); its log \(logFile) ends: \(lastLines); fix the cause it names and start it again with pg_ctl"
        case .foreignDirectory(let path, let uid, let owner):
            "directory \(path) belongs to uid \(uid), neither \(owner) nor root: restore hands over only folders it made or that are already theirs; remove it or chown it to \(owner)"
        case .manifestMismatch(let file, let reason):
            "restored file \(file) does not match backup_manifest: \(reason); the backup is damaged: run verify --deep, and restore another backup with --backup NAME"
        case .invalidManifest(let backup, let reason):
            "backup_manifest of backup \(backup) is not valid: \(reason); run verify --deep, and restore another backup with --backup NAME"
        case .brokenChain(let backup, let reason):
            "incremental backup \(backup) cannot be rebuilt from its chain: \(reason); run verify --deep, and restore another backup with --backup NAME"
        }
    }
}

extension RestoreError {
    /// Runs `body`, which parses archive `archive`, turning the tar parser's refusals into restore's; a refusal about
    /// one entry (such as a damaged incremental file) names the entry.
    static func mappingTarErrors(archive: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch TarFormatError.corrupt(let name, let reason) {
            throw RestoreError.corruptArchive(archive: archive, reason: name == archive ? reason : "\(name): \(reason)")
        } catch TarFormatError.unsupported(_, let entry, let type) {
            throw RestoreError.unsupportedEntry(archive: archive, entry: entry, type: type)
        }
    }
}
