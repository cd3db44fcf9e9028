import Foundation

/// Python peers, independent implementations the tests check against: http-message-signatures for RFC 9421
/// (`Tests/HTTPSignaturesTests/peer.py`), sd-jwt for RFC 9901 (`Tests/StatementsTests/sdjwt_peer.py`).
public enum PythonPeer {
    /// Whether Python can import `modules` (`.ci/run` installs the peers).
    public static func installed(_ modules: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import \(modules)"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Whether tests that need a peer run: when it is installed, and always in CI (where its absence fails).
    public static let runs = installed("http_message_signatures, requests") || inCI
    public static let sdJWTRuns = installed("sd_jwt, jwcrypto") || inCI
    public static let passportRuns = installed("jsonschema, jwcrypto") || inCI
    public static let schemathesisRuns = installed("schemathesis") || inCI
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// The tests' folder.
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `script` (a path under `Tests/`; the RFC 9421 peer by default) with `arguments` and `stdin`; its exit
    /// status and standard output.
    public static func run(
        _ arguments: [String], script: String = "HTTPSignaturesTests/peer.py", stdin: String = ""
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", tests.appendingPathComponent(script).path] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
