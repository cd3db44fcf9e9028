import Foundation
import ThreadlineTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `threadline` binary, as a user or a script would.
enum CLI {
    struct Result {
        let status: Int32
        let stdout: Data
        let stderr: String
        var output: String { String(decoding: stdout, as: UTF8.self) }
        var lines: [String] { output.split(separator: "\n").map(String.init) }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary beside the test bundle (what `swift test` just built).
    static let binary: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
            packageRoot.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("threadline") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    static func process(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "THREADLINE_LEDGER")
        env.removeValue(forKey: "THREADLINE_SERVER")
        env.merge(environment) { $1 }
        process.environment = env
        return process
    }

    /// Runs to completion, feeding `stdin`.
    @discardableResult
    static func run(
        _ arguments: [String], in folder: URL, stdin: Data? = nil, environment: [String: String] = [:]
    ) throws -> Result {
        let process = process(arguments, in: folder, environment: environment)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: outputData, stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// `run`, from an async test: on a dispatch thread, so that waiting for the process never holds one of the
    /// cooperative pool's threads (on two cores, the whole pool) while other tests need it.
    static func runDetached(_ arguments: [String], in folder: URL) async throws -> Result {
        try await detached { try run(arguments, in: folder) }
    }

    /// Runs `work` on a dispatch thread and awaits it: blocking work (a process waited for) off the cooperative pool.
    static func detached<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    static func folder() throws -> URL { try TemporaryFolder.make("cli") }

    /// A copy of a SQLite ledger and its operator key: the same log, to grow apart from the original (a fork).
    static func copyLedger(_ from: String, to: String, in folder: URL) throws {
        for suffix in ["", ".operator-key"] {
            try FileManager.default.copyItem(
                at: folder.appendingPathComponent(from + suffix), to: folder.appendingPathComponent(to + suffix))
        }
    }
}
