import ArgumentParser
import EPCIS
import Foundation
import LedgerBackends
import LedgerStore
import Logging
import Statements
import Threadline
import TransparencyLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Options every command that opens a ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger: a SQLite file path or a postgres://user[:password]@host[:port]/database URL. "
                + "Defaults to $THREADLINE_LEDGER.",
            valueName: "location"))
    var ledger: String?

    @Option(
        name: .customLong("operator-key"),
        help: ArgumentHelp(
            "The operator's private key file, to sign checkpoints. Defaults to $THREADLINE_OPERATOR_KEY, "
                + "then to <ledger>.operator-key beside a SQLite ledger.",
            valueName: "file"))
    var operatorKeyOption: String?

    /// The operator key file given, by option or environment.
    var operatorKey: String? {
        operatorKeyOption ?? ProcessInfo.processInfo.environment["THREADLINE_OPERATOR_KEY"]
    }

    /// The ledger given, by option or environment.
    var given: String? { ledger ?? ProcessInfo.processInfo.environment["THREADLINE_LEDGER"] }

    var location: LedgerLocation {
        get throws {
            // Checked here rather than in `validate`: a participant's command may name a server instead.
            guard let given else { throw ValidationError("Missing --ledger (or $THREADLINE_LEDGER).") }
            return try LedgerLocation(given)
        }
    }

    /// The operator's signing key, when one is given or found at the default place.
    func loadOperatorKey() throws -> SigningKey? {
        let defaultPath = try location.defaultOperatorKeyPath
        guard let path = operatorKey ?? defaultPath,
            operatorKey != nil || FileManager.default.fileExists(atPath: path)
        else { return nil }
        return try SigningKey(fileContents: try Files.readText(path, what: "operator key"))
    }

    /// Opens the ledger; loads the operator key when one is given or found at the default place.
    func open(needsOperatorKey: Bool = false) async throws -> Ledger {
        Logs.bootstrap()
        let store = try await location.open()
        let key = try loadOperatorKey()
        if needsOperatorKey && key == nil { throw LedgerError.noOperatorKey }
        return try await Ledger(store: store, operatorKey: key, logger: Logs.ledger)
    }
}

/// A user-facing failure with its exit code.
struct CommandFailure: Error, CustomStringConvertible {
    let code: Int32
    let description: String

    /// The exit codes (`ExitCodes`), by the names the commands use.
    static let verificationFailed = ExitCodes.verificationFailed
    static let inputRefused = ExitCodes.inputRefused
    static let ledgerUnavailable = ExitCodes.unavailable
    static let ledgerDamaged = ExitCodes.damaged
    static let suspect = ExitCodes.suspect
    static let notFound = ExitCodes.notFound

    init(_ code: Int32, _ description: String) {
        self.code = code
        self.description = description
    }

    /// Maps any error to a message and exit code.
    init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: self = failure
        case let refusal as ServerRefusal: self.init(refusal.exitCode, refusal.description)
        case let error as any CodedError: self.init(Self.inputRefused, error.reason)
        case let error as EPCISValidationError: self.init(Self.inputRefused, error.description)
        case let error as LedgerError:
            switch error {
            case .noOperatorKey, .wrongOperatorKey: self.init(Self.ledgerUnavailable, error.description)
            case .noSuchProduct: self.init(Self.notFound, error.description)
            case .inconsistent: self.init(Self.ledgerDamaged, error.description)
            default: self.init(Self.inputRefused, error.description)
            }
        case let error as LedgerStoreError:
            switch error {
            case .notFound, .alreadyExists, .notALedger, .unavailable:
                self.init(Self.ledgerUnavailable, error.description)
            case .commitUnknown: self.init(Self.ledgerDamaged, error.description)
            case .outOfRange, .staleCheckpoint: self.init(Self.inputRefused, error.description)
            case .corrupt: self.init(Self.ledgerDamaged, error.description)
            }
        default: self.init(Self.ledgerDamaged, "\(error)")
        }
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning any error into one line on stderr and the documented exit code.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let error as EPCISValidationError where error.problems.count > 1 {
            // Each problem on a line of its own (08 §5), each made printable on its own.
            Output.error("\(error.problems.count) problems:")
            for problem in error.problems {
                FileHandle.standardError.write(
                    Data(("  - " + Output.printable(problem.description, keepingNewlines: false) + "\n").utf8))
            }
            throw ExitCode(CommandFailure(error).code)
        } catch {
            let failure = CommandFailure(error)
            Output.error(failure.description)
            throw ExitCode(failure.code)
        }
    }
}

/// Writing to stdout and stderr.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((Output.printable(text, keepingNewlines: true) + "\n").utf8))
    }

    /// `text` with every character that a terminal would act on instead of showing — C0 and C1 controls (escape
    /// sequences, carriage returns), DEL, and the bidirectional overrides that reorder what is shown — written as
    /// `\u{…}`. What is printed comes from ledgers, files and servers that anyone can write to.
    static func printable(_ text: String, keepingNewlines: Bool) -> String {
        func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
            if scalar == "\n" { return !keepingNewlines }
            if scalar == "\t" { return false }
            return scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value)
        }
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func raw(_ bytes: some DataProtocol) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func error(_ text: String) {
        // One line, whatever the message quotes.
        FileHandle.standardError.write(
            Data(("threadline: error: " + Output.printable(text, keepingNewlines: false) + "\n").utf8))
    }

    /// A line on stderr that is not an error (summaries beside a report on stdout).
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        jsonLine(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A line of JSON, written as it is: its strings are escaped already, and escaping them again would break it.
    static func jsonLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Whether stderr is a terminal (progress is drawn only there).
    static var isTerminal: Bool { isatty(2) == 1 }

    /// A progress line on stderr, redrawn in place, only on a terminal.
    static func progress(_ label: String, _ done: Int64, _ total: Int64) {
        guard isTerminal, total > 0 else { return }
        let percent = done * 100 / total
        let end = done >= total ? "\n" : ""
        FileHandle.standardError.write(Data("\r\(label) \(done)/\(total) (\(percent)%)\u{1B}[K\(end)".utf8))
    }
}

/// Reading and writing files with clear errors.
enum Files {
    static func read(_ path: String, what: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(CommandFailure.inputRefused, "\(what) '\(path)' does not exist")
        }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CommandFailure(
                CommandFailure.inputRefused, "cannot read \(what) '\(path)': \(error.localizedDescription)")
        }
    }

    static func readText(_ path: String, what: String) throws -> String {
        guard let text = String(data: try read(path, what: what), encoding: .utf8) else {
            throw CommandFailure(CommandFailure.inputRefused, "\(what) '\(path)' is not UTF-8 text")
        }
        return text
    }

    /// A witness's cosignature verifier key (type 0x04), given as itself or in a file.
    static func cosignatureKey(_ argument: String) throws -> CosignatureVerifier {
        guard let verifier = try NoteKey.verifier(parsing: try verifierKey(argument)) as? CosignatureVerifier else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(argument)' is not a cosignature key (type 0x04)")
        }
        return verifier
    }

    /// A verifier-key argument: the key itself, or a file holding it.
    static func verifierKey(_ argument: String) throws -> String {
        FileManager.default.fileExists(atPath: argument)
            ? try readText(argument, what: "verifier key").trimmingCharacters(in: .whitespacesAndNewlines)
            : argument
    }
}

/// Lines of a file or standard input, without their newlines.
struct LineReader: IteratorProtocol {
    private let data: Data?
    private var offset = 0

    init(path: String) throws {
        data = path == "-" ? nil : try Files.read(path, what: "input")
    }

    mutating func next() -> [UInt8]? {
        guard let data else { return readLine(strippingNewline: true).map { Array($0.utf8) } }
        guard offset < data.count else { return nil }
        let end = data[offset...].firstIndex(of: 0x0A) ?? data.count
        defer { offset = end + 1 }
        return Array(data[offset..<end])
    }
}

/// Logs go to stderr (stdout is for results), at `$THREADLINE_LOG_LEVEL` (trace…critical; default warning).
enum Logs {
    private static let once: Void = {
        let name = ProcessInfo.processInfo.environment["THREADLINE_LOG_LEVEL"] ?? "warning"
        let level = Logger.Level(rawValue: name.lowercased()) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    static func bootstrap() { once }

    /// The engine's logger, once logging is set up.
    static var ledger: Logger {
        bootstrap()
        return Logger(label: "threadline.ledger")
    }
}

/// The witnesses whose cosignatures a checkpoint must carry (`Specs/15-witness.md`): `--witness VKEY` (repeat)
/// and `--quorum K`, at most as many as there are witnesses.
struct WitnessOptions: ParsableArguments {
    @Option(
        name: .customLong("witness"),
        help: ArgumentHelp("A witness's cosignature verifier key, or a file holding it (repeat).", valueName: "vkey"))
    var witnesses: [String] = []

    @Option(help: ArgumentHelp("How many of the witnesses must have cosigned.", valueName: "k"))
    var quorum = 0

    func validate() throws {
        guard (0...witnesses.count).contains(quorum) else {
            throw ValidationError("--quorum must be between 0 and the number of --witness keys.")
        }
    }

    /// The witnesses' keys.
    func keys() throws -> [CosignatureVerifier] { try witnesses.map(Files.cosignatureKey) }
}
