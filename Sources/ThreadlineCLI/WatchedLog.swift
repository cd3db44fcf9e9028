import Foundation
import LedgerBackends
import Threadline
import TransparencyLog

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
    let server: ServerConnection
    /// The most a checkpoint or proof may be: both are a few hundred bytes.
    static let maxBody = 64 << 10

    init(_ url: String) throws {
        server = try ServerConnection(url, reader: nil, timeout: 30)
    }

    func latestCheckpoint() async throws -> SignedNote {
        let answer = try await server.get("/checkpoint", limit: Self.maxBody)
        guard answer.status == 200 else {
            throw CommandFailure(ExitCodes.unavailable, "the server at \(server.base) gave no checkpoint")
        }
        do { return try SignedNote(parsing: answer.text) } catch {
            throw CommandFailure(CommandFailure.verificationFailed, "the server's checkpoint does not parse: \(error)")
        }
    }

    func consistencyProof(from old: Int64, to new: Int64) async -> [Hash]? {
        guard let answer = try? await server.get("/proofs/consistency?old=\(old)&new=\(new)", limit: Self.maxBody),
            answer.status == 200
        else { return nil }
        return answer.hashLines
    }
}
