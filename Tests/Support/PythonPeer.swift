import Foundation

/// Python's http-message-signatures, the independent RFC 9421 peer (`Tests/HTTPSignaturesTests/peer.py`).
public enum PythonPeer {
    /// Whether the peer's packages are installed (`.ci/run` installs them).
    public static let installed: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import http_message_signatures, requests"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Whether tests that need the peer run: when it is installed, and always in CI (where its absence fails).
    public static let runs = installed || ProcessInfo.processInfo.environment["CI"] != nil

    /// The script: `Tests/HTTPSignaturesTests/peer.py`.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HTTPSignaturesTests/peer.py")

    /// Runs `peer.py arguments…` with `stdin`; its exit status and standard output.
    public static func run(_ arguments: [String], stdin: String = "") throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
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
