import Foundation
import Threadline

/// The servers a participant uses, by name (`threadline remote add`), in the XDG config directory:
/// `$XDG_CONFIG_HOME/threadline/remotes.json` (default `~/.config/…`). `Specs/22-client.md` §1.
struct Remotes: Codable, Equatable {
    struct Remote: Codable, Equatable {
        /// The server's address.
        var url: String
        /// The operator's verifier key, pinned.
        var vkey: String
        /// The participant's key file, to sign reads (optional).
        var key: String?
        /// Witnesses whose cosignatures are demanded, and how many.
        var witnesses: [String]
        var quorum: Int
    }

    var remotes: [String: Remote] = [:]

    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.config")
        return base + "/threadline/remotes.json"
    }

    /// Where the client keeps the checkpoint it trusts for a server: `$XDG_STATE_HOME/threadline/servers/<name>.json`
    /// (default `~/.local/state/…`), `<name>` the remote's name or the URL's host, port and path.
    static func statePath(for name: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.local/state")
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        return base + "/threadline/servers/\(safe).json"
    }

    static func load() throws -> Remotes {
        guard FileManager.default.fileExists(atPath: path) else { return Remotes() }
        do {
            return try JSONDecoder().decode(Remotes.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CommandFailure(CommandFailure.inputRefused, "the remotes file \(path) does not read: \(error)")
        }
    }

    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(
            atPath: (Self.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try StateFile.write(try encoder.encode(self), to: Self.path)
    }
}
