import Testing
@testable import PITRConfig

@Suite struct SettingsLoadTests {
    /// The settings a file may hold, each set in every layer, then the layers removed from the top.
    @Test func eachLayerBeatsTheNextForEverySetting() throws {
        let folder = ConfigTestFolder()
        let layered = SettingDefinition.all.filter { $0.name != SettingDefinition.config.name }
        let named = try folder.write("named.conf", layered.map { "\($0.name)=named-\($0.name)" }.joined(separator: "\n"))
        let fallback = try folder.write("default.conf", layered.map { "\($0.name)=default-\($0.name)" }.joined(separator: "\n"))
        for definition in layered {
            let name = definition.name
            var flags = definition.flag == nil ? [:] : [name: "flag-\(name)"]
            var environment = [name: "env-\(name)", "TAILTOWN_CONFIG": named]

            func effective() throws -> SettingValue? {
                try Settings.load(flags: flags, environment: environment, defaultFile: fallback).value(of: definition)
            }
            if let flag = definition.flag {
                #expect(try effective() == SettingValue(text: "flag-\(name)", origin: .flag(flag)))
                flags = [:]
            }
            #expect(try effective() == SettingValue(text: "env-\(name)", origin: .environment))
            environment[name] = nil
            let line = layered.firstIndex { $0.name == name }.map { $0 + 1 } ?? 0
            #expect(try effective() == SettingValue(text: "named-\(name)", origin: .file(path: named, line: line)))
            environment["TAILTOWN_CONFIG"] = nil
            #expect(try effective() == SettingValue(text: "default-\(name)", origin: .file(path: fallback, line: line)))
            let defaultValue = definition.defaultValue.map { SettingValue(text: $0, origin: .defaultValue) }
            #expect(try Settings.load(flags: [:], environment: [:], defaultFile: folder.absentDefault).value(of: definition) == defaultValue)
        }
    }

    @Test func layersAreMixedPerSetting() throws {
        let folder = ConfigTestFolder()
        let fallback = try folder.write("default.conf", "TAILTOWN_REPO=file:///from/default\nTAILTOWN_LOG_LEVEL=debug\n")
        let named = try folder.write("named.conf", "TAILTOWN_COMPRESSION=zstd\n")
        let settings = try Settings.load(
            flags: ["TAILTOWN_CONFIG": named, "TAILTOWN_COMPRESSION_LEVEL": "7"],
            environment: ["TAILTOWN_LOG_LEVEL": "error"], defaultFile: fallback)
        #expect(try settings.repository() == .file(path: "/from/default"))
        #expect(try settings.compression() == .zstd)
        #expect(try settings.compressionLevel() == 7)
        #expect(try settings.logLevel() == .error)
        #expect(settings.consultedFiles == [
            .init(path: named, namedBy: .flag("--config"), found: true),
            .init(path: fallback, namedBy: nil, found: true),
        ])
    }

    @Test func theConfigFlagBeatsTheEnvironment() throws {
        let folder = ConfigTestFolder()
        let byFlag = try folder.write("flag.conf", "TAILTOWN_COMPRESSION=zstd\n")
        let byEnvironment = try folder.write("env.conf", "TAILTOWN_COMPRESSION=none\n")
        let settings = try Settings.load(
            flags: ["TAILTOWN_CONFIG": byFlag], environment: ["TAILTOWN_CONFIG": byEnvironment], defaultFile: folder.absentDefault)
        #expect(try settings.compression() == .zstd)
        #expect(settings.value(of: .config)?.origin == .flag("--config"))
    }

    @Test func anEmptyValueDoesNotHideALowerLayer() throws {
        let folder = ConfigTestFolder()
        let fallback = try folder.write("default.conf", "TAILTOWN_REPO=file:///kept\n")
        let settings = try Settings.load(flags: ["TAILTOWN_REPO": ""], environment: ["TAILTOWN_REPO": ""], defaultFile: fallback)
        #expect(try settings.repository() == .file(path: "/kept"))
    }

    @Test func aMissingNamedFileIsAnErrorNamingIt() throws {
        let folder = ConfigTestFolder()
        let missing = folder.path + "/nope.conf"
        let error = configError { try Settings.load(flags: [:], environment: ["TAILTOWN_CONFIG": missing], defaultFile: folder.absentDefault) }
        #expect(error == .configFileUnreadable(path: missing, namedBy: .environment, reason: "No such file or directory"))
        #expect(error?.description == "TAILTOWN_CONFIG='\(missing)' (from environment): cannot read the config file: No such file or directory")
        let byFlag = configError { try Settings.load(flags: ["TAILTOWN_CONFIG": missing], environment: [:], defaultFile: folder.absentDefault) }
        #expect(byFlag?.description.contains("(from flag --config)") == true)
    }

    @Test func anAbsentDefaultFileIsNotAnErrorButIsReported() throws {
        let folder = ConfigTestFolder()
        let settings = try Settings.load(flags: [:], environment: [:], defaultFile: folder.absentDefault)
        #expect(settings.consultedFiles == [.init(path: folder.absentDefault, namedBy: nil, found: false)])
        #expect(settings.report().last == "config file \(folder.absentDefault) (default): not present")
    }

    @Test func aNamedFileThatIsTheDefaultIsReadOnce() throws {
        let folder = ConfigTestFolder()
        let file = try folder.write("both.conf", "TAILTOWN_COMPRESSION=none\n")
        let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": file], environment: [:], defaultFile: file)
        #expect(settings.consultedFiles.count == 1)
    }

    @Test func unknownEnvironmentNamesAreWarningsNotErrors() throws {
        let folder = ConfigTestFolder()
        let settings = try Settings.load(
            flags: [:],
            environment: ["TAILTOWN_COMPRESION": "zstd", "TAILTOWN_WHATEVER": "1", "PATH": "/bin", "AWS_REGION": "x"],
            defaultFile: folder.absentDefault)
        #expect(settings.unknownEnvironmentKeys == ["TAILTOWN_COMPRESION", "TAILTOWN_WHATEVER"])
        #expect(settings.environmentWarnings == [
            "unknown setting TAILTOWN_COMPRESION in the environment is ignored (did you mean TAILTOWN_COMPRESSION?)",
            "unknown setting TAILTOWN_WHATEVER in the environment is ignored",
        ])
        #expect(try settings.compression() == .lz4)
    }

    @Test func aFlagForASettingWithoutOneIsRefused() {
        #expect(configError { try Settings.load(flags: ["TAILTOWN_ENCRYPTION_KEY": "x"], environment: [:], defaultFile: "/nonexistent") }
            == .noSuchFlag(setting: "TAILTOWN_ENCRYPTION_KEY"))
        #expect(configError { try Settings.load(flags: ["TAILTOWN_NOPE": "x"], environment: [:], defaultFile: "/nonexistent") }
            == .noSuchFlag(setting: "TAILTOWN_NOPE"))
    }
}
