import PITRPipeline
import PITRSupport

/// A key file's text (docs/format.md, "Key file"), line by line: `STATUS KEY-ID MATERIAL` lines, blank lines and `#`
/// comments; or, as `keygen` wrote before keys rotated, one base64 key alone (one active key). A rewrite keeps every
/// line it does not change as it was, and turns a file of the older form into the newer one.
struct KeyFileText {
    /// A key line as written. The material stays text: a rewrite copies it without unwrapping it.
    struct KeyLine {
        var status: Keyring.Status
        /// 16 lowercase hex digits.
        let id: String
        let material: KeyMaterial
        let materialText: String
        /// 1-based; 0 for a key that is not in the file yet.
        let number: Int

        var text: String { "\(status.rawValue) \(id) \(materialText)" }
    }

    enum Line {
        /// A blank line or a comment, kept as it was.
        case other(String)
        case key(KeyLine)
    }

    static let heading = "# tailtown-pitr keys: 'active' encrypts; every key listed decrypts"

    private(set) var lines: [Line]
    /// The file held one base64 key alone; `text` writes it in the newer form.
    let wasLegacy: Bool

    var keys: [KeyLine] {
        lines.compactMap { if case .key(let key) = $0 { key } else { nil } }
    }

    /// A file of one new key, active, written plain or wrapped as `KeyMaterial.new` decides.
    init(active key: MasterKey, wrapping: KeyWrapping?) throws {
        self.init(lines: [.other(Self.heading), .key(try KeyLine(key, status: .active, wrapping: wrapping))], wasLegacy: false)
    }

    /// Parses and checks everything but what needs the keys themselves (`keyring(file:wrapping:)` checks each id against its key).
    /// Problems name lines, never their content.
    static func parse(_ text: String) -> Result<KeyFileText, KeyFileProblem> {
        // "\r\n" is one Character in Swift.
        let raw = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let isBlank = { (line: Substring) in line.allSatisfy { $0 == " " || $0 == "\t" } }
        let isComment = { (line: Substring) in line.drop { $0 == " " || $0 == "\t" }.hasPrefix("#") }
        let content = raw.indices.filter { !isBlank(raw[$0]) && !isComment(raw[$0]) }
        guard !content.isEmpty else { return .failure(.noKey) }
        let firstFields = raw[content[0]].split(whereSeparator: { $0 == " " || $0 == "\t" })
        var legacy: MasterKey?
        if content.count == 1, firstFields.count >= 1, Keyring.Status(rawValue: String(firstFields[0])) == nil,
           !firstFields[0].contains(":") {
            // The older form: one base64 key alone (an inner space is a damaged key, not a line of the newer form).
            switch KeyFile.decode(String(raw[content[0]])) {
            case .success(let key): legacy = key
            case .failure(let problem): return .failure(problem)
            }
        }
        var lines: [Line] = []
        var firstLineOfID: [String: Int] = [:]
        for (index, line) in raw.enumerated() {
            let number = index + 1
            guard !isBlank(line) && !isComment(line) else {
                // A trailing newline is the end of the last line, not a line of its own.
                if index < raw.count - 1 || !line.isEmpty { lines.append(.other(String(line))) }
                continue
            }
            if let legacy {
                lines.append(.key(KeyLine(legacy, status: .active)))
                continue
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 3 else { return .failure(.line(number, .malformed)) }
            guard let status = Keyring.Status(rawValue: String(fields[0])) else { return .failure(.line(number, .unknownStatus)) }
            let id = fields[1].lowercased()
            guard id.count == 16, id.allSatisfy({ $0.isHexDigit }) else { return .failure(.line(number, .badKeyID)) }
            if let first = firstLineOfID[id] { return .failure(.line(number, .duplicateID(id: id, firstLine: first))) }
            firstLineOfID[id] = number
            switch KeyMaterial.parse(fields[2]) {
            case .failure(let problem): return .failure(.line(number, problem))
            case .success(let material):
                lines.append(.key(KeyLine(status: status, id: id, material: material, materialText: String(fields[2]), number: number)))
            }
        }
        let file = KeyFileText(lines: lines, wasLegacy: legacy != nil)
        let actives = file.keys.filter { $0.status == .active }.map(\.number)
        guard actives.count == 1 else { return .failure(actives.isEmpty ? .noActiveKey : .severalActiveKeys(lines: actives)) }
        return .success(file)
    }

    private init(lines: [Line], wasLegacy: Bool) {
        self.lines = lines
        self.wasLegacy = wasLegacy
    }

    /// The keys of key file `file`, wrapped ones unwrapped with `wrapping`, each checked against the id its line names.
    func keyring(file: String, wrapping: KeyWrapping?) -> Result<Keyring, KeyFileProblem> {
        var resolved: [(status: Keyring.Status, key: MasterKey)] = []
        for line in keys {
            let key: MasterKey
            switch line.material.key(id: line.id, line: line.number, file: file, wrapping: wrapping) {
            case .success(let found): key = found
            case .failure(let problem): return .failure(problem)
            }
            guard key.keyIDHex == line.id else { return .failure(.line(line.number, .idMismatch(stated: line.id, actual: key.keyIDHex))) }
            resolved.append((line.status, key))
        }
        // `parse` checked there is one active key and that ids are distinct, and each id is its key's.
        guard let keyring = Keyring(resolved) else { return .failure(.noActiveKey) }
        return .success(keyring)
    }

    /// Adds `key` as the last line, wrapped when `wrapping` wraps new keys.
    mutating func append(_ key: MasterKey, status: Keyring.Status, wrapping: KeyWrapping?) throws {
        lines.append(.key(try KeyLine(key, status: status, wrapping: wrapping)))
    }

    /// Makes the key `id` active and the key that was active retired.
    mutating func activate(_ id: String) {
        lines = lines.map { line in
            guard case .key(var key) = line else { return line }
            if key.id == id { key.status = .active } else if key.status == .active { key.status = .retired }
            return .key(key)
        }
    }

    /// The file's text in the newer form, ending with a newline.
    var text: String {
        let body = lines.map { line -> String in
            switch line {
            case .other(let text): text
            case .key(let key): key.text
            }
        }
        return ((wasLegacy ? [Self.heading] : []) + body).joined(separator: "\n") + "\n"
    }
}

extension KeyFileText.KeyLine {
    /// A key in plain form (in an extension, so the memberwise initializer stays).
    init(_ key: MasterKey, status: Keyring.Status) {
        self.init(status: status, id: key.keyIDHex, material: .plain(key), materialText: KeyMaterial.plainText(of: key), number: 0)
    }

    /// A new key, written plain or wrapped as `KeyMaterial.new` decides.
    init(_ key: MasterKey, status: Keyring.Status, wrapping: KeyWrapping?) throws {
        let (material, text) = try KeyMaterial.new(key, wrapping: wrapping)
        self.init(status: status, id: key.keyIDHex, material: material, materialText: text, number: 0)
    }
}
