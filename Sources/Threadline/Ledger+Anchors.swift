import Foundation
import LedgerStore
import Statements
import TransparencyLog

/// What the anchoring and tile commands read from the ledger (`Specs/16-anchors.md`, `Specs/02-transparency-log.md`
/// §tiles), through the engine rather than the store.
extension Ledger {
    /// A time anchor the ledger holds: the checkpoint a TSA's token covers, and the token's DER bytes.
    public struct Anchor: Sendable {
        public let seq: Int64
        public let checkpoint: String
        public let token: [UInt8]
    }

    /// The signed checkpoint the ledger stored whose note text has SHA-256 `imprint` (what a time-stamp request
    /// for it asked to be stamped), if any.
    public func storedCheckpoint(imprint: [UInt8]) async throws -> SignedNote? {
        try await store.checkpoints().lazy.compactMap { try? SignedNote(parsing: $0.note) }
            .first { Hash.sha256(Array($0.text.utf8)).bytes == imprint }
    }

    /// Every anchor statement in the ledger, in record order.
    public func anchors() async throws -> [Anchor] {
        try await ensureIndexed()
        let seqs = try await store.lookup([IndexKey.anchors], from: 0).map(\.seq)
        return try zip(seqs, try await store.records(at: seqs)).compactMap { seq, bytes in
            let envelope = try LedgerRecord(bytes: bytes).envelope
            guard
                case .anchor(let checkpoint, let token, _) = try Statement(
                    payloadType: envelope.payloadType, payload: envelope.payload)
            else { return nil }
            return Anchor(seq: seq, checkpoint: checkpoint, token: token)
        }
    }

    /// Writes the tree of `checkpoint` as C2SP tlog-tiles static files under `directory` (`TileExporter`).
    public func exportTiles(
        checkpoint: SignedNote, to directory: URL, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> TileExporter.Summary {
        try await TileExporter(store: store).export(checkpoint: checkpoint, to: directory, progress: progress)
    }
}
