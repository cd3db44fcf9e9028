import Foundation
import LedgerStore
import TransparencyLog

/// Copies a ledger between stores (SQLite ⇄ PostgreSQL) and shows the copy is the same log.
public enum LedgerMigration {
    /// What a copy did and showed.
    public struct Summary: Sendable, Codable, Equatable {
        /// Records copied.
        public var records: Int64 = 0
        /// Sealed records' openings copied.
        public var openings: Int = 0
        /// Checkpoints copied.
        public var checkpoints: Int = 0
        /// The tree hash of both logs at their (equal) size.
        public var root: String = ""
        /// The size of the latest checkpoint, which was verified against the new store.
        public var checkpointSize: Int64?
    }

    /// Records per transaction while copying.
    public static let chunk: Int64 = 8192

    /// Copies `source` into the new ledger `create` makes with the source's metadata. Every stored hash is recomputed from the records
    /// and compared with the source's, so a damaged source is refused rather than copied; at the end the
    /// two logs' sizes and roots are compared and the latest checkpoint is verified against the copy.
    public static func copy(
        from source: any LedgerStore, creating create: (LedgerMetadata) async throws -> any LedgerStore,
        progress: @Sendable (Int64, Int64) -> Void = { _, _ in }
    ) async throws -> Summary {
        let metadata = try await source.metadata()
        let size = try await source.size()
        let target = try await create(metadata)
        var summary = Summary()
        var start: Int64 = 0
        while start < size {
            let end = min(start + chunk, size)
            let records = try await source.records(start..<end)
            let expected = try await source.hashes(
                in: StoredHashes.count(size: start)..<StoredHashes.count(size: end))
            let first = start
            // The copy's index is derived from its records as it is filled, so it covers them as it says it does.
            let openings = try await source.openings(in: start..<end)
            let index = try Ledger.indexEntries(records, openings: openings, from: first)
            _ = try await target.append { head in
                guard head.size == first else {
                    throw LedgerStoreError.corrupt("the destination grew while it was being filled (at \(head.size))")
                }
                let batch = AppendBatch(appending: records, to: head, index: index, openings: openings)
                if let bad = zip(batch.hashes, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                    throw LedgerStoreError.corrupt(
                        "the source's stored hash \(StoredHashes.count(size: first) + Int64(bad.offset)) does not match "
                            + "its records; run 'threadline verify' on it")
                }
                return batch
            }
            summary.records = end
            summary.openings += openings.count
            progress(end, size)
            start = end
        }
        let checkpoints = try await source.checkpoints()
        for checkpoint in checkpoints {
            try await target.addCheckpoint(size: checkpoint.size, note: checkpoint.note)
        }
        summary.checkpoints = checkpoints.count

        // The copy is the same log: same size, same root, and the latest checkpoint verifies against it.
        let old = try await Ledger(store: source)
        let new = try await Ledger(store: target)
        let copiedSize = try await target.size()
        let oldRoot = try await old.root(size: size)
        let newRoot = try await new.root(size: copiedSize)
        guard copiedSize == size, oldRoot == newRoot else {
            throw LedgerStoreError.corrupt(
                "the copy has size \(copiedSize) and root \(newRoot), not \(size) and \(oldRoot)")
        }
        summary.root = newRoot.base64
        if let note = try await old.latestCheckpoint() {
            let body = try Checkpoint(text: note.text)
            guard note.verify([new.operatorVerifier]).isValid, try await new.root(size: body.size) == body.root else {
                throw LedgerStoreError.corrupt(
                    "the latest checkpoint (size \(body.size)) does not verify against the copy")
            }
            summary.checkpointSize = body.size
        }
        return summary
    }
}
