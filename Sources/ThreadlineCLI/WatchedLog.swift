import Foundation
import LedgerBackends
import Threadline
import TransparencyLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A log a monitor watches: its latest checkpoint (with the cosignatures it keeps) and consistency proofs.
protocol WatchedLog: Sendable {
    func latestCheckpoint() async throws -> SignedNote
    /// The proof from `old` to `new`, or nil when the log cannot give one (it is smaller than `new`).
    func consistencyProof(from old: Int64, to new: Int64) async -> [Hash]?
}

/// A ledger on this machine (a SQLite path or a `postgres://` URL).
struct LocalLog: WatchedLog {
    let ledger: Ledger

    init(_ source: String) async throws {
        ledger = try await Ledger(store: try await LedgerLocation(source).open())
    }

    func latestCheckpoint() async throws -> SignedNote {
        guard let note = try await ledger.latestCheckpoint() else {
            throw CommandFailure(CommandFailure.inputRefused, "the ledger has no checkpoint yet")
        }
        return try await ledger.withCosignatures(note, size: try Checkpoint(text: note.text).size)
    }

    func consistencyProof(from old: Int64, to new: Int64) async -> [Hash]? {
        try? await ledger.consistencyProof(from: old, to: new)
    }
}

/// A ledger's server, read over HTTP (`GET /checkpoint`, `GET /proofs/consistency`, Specs/17-server.md): nothing
/// it says is trusted before the monitor has checked it.
struct RemoteLog: WatchedLog {
    let base: URL
    /// The most a checkpoint or proof may be: both are a few hundred bytes.
    static let maxBody = 64 << 10

    init(_ url: String) throws {
        guard let base = URL(string: url.hasSuffix("/") ? String(url.dropLast()) : url), base.host != nil else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(url)' is not a server URL")
        }
        self.base = base
    }

    /// The body of `GET path` when the answer is 200; nil for another status.
    func get(_ path: String) async throws -> String? {
        guard let url = URL(string: base.absoluteString + path) else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(base.absoluteString + path)' is not a URL")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 30
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandFailure(
                ExitCodes.unavailable,
                "the server at \(base.absoluteString) cannot be reached: \(error.localizedDescription)")
        }
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        guard data.count <= Self.maxBody else {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's answer to \(path) is too large")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func latestCheckpoint() async throws -> SignedNote {
        guard let text = try await get("/checkpoint") else {
            throw CommandFailure(ExitCodes.unavailable, "the server at \(base.absoluteString) gave no checkpoint")
        }
        do { return try SignedNote(parsing: text) } catch {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's checkpoint does not parse: \(error)")
        }
    }

    func consistencyProof(from old: Int64, to new: Int64) async -> [Hash]? {
        guard let text = try? await get("/proofs/consistency?old=\(old)&new=\(new)") else { return nil }
        let hashes = text.split(separator: "\n").map { Hash(base64: String($0)) }
        return hashes.contains(nil) ? nil : hashes.compactMap { $0 }
    }
}
