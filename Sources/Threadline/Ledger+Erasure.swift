import EPCIS
import LedgerStore
import Statements
import TransparencyLog

/// Erasure (`Specs/23-sealed-events.md` §7): a sealed record's disclosures deleted from beside the log, the log
/// untouched, the erasure itself recorded.
extension Ledger {
    /// What an erasure did.
    public struct ErasureResult: Sendable {
        /// The erasure statement's record.
        public let seq: Int64
        /// The sealed record and the digests whose disclosures were deleted.
        public let record: Int64
        public let digests: [String]
        /// Whether what remains of the record is still an EPCIS event (else it reads as an opaque statement).
        public let remainsEvent: Bool
    }

    /// Deletes the disclosures of sealed record `record` — the field at `field` (`SealedEvent.digests(of:)`), or
    /// all of them — and records why: an erasure statement signed by the operator, naming the record and the
    /// digests, appended in the same transaction as the record's rewritten opening and index entries. The log's
    /// records are untouched and still verify. Needs the operator key.
    public func erase(record: Int64, field: String?, reason: String) async throws -> ErasureResult {
        guard let operatorKey else { throw LedgerError.noOperatorKey }
        // Optimistic: read the opening at the log's end, and write only if the log has not moved since (another
        // erasure of the same record could have), else read again.
        for _ in 0..<100 {
            _ = try await catchUp()
            let size = try await store.size()
            guard (0..<size).contains(record) else { throw LedgerError.noSuchRecord(seq: record, size: size) }
            let envelope = try LedgerRecord(bytes: try await store.records(record..<record + 1)[0]).envelope
            guard envelope.payloadType == SealedEvent.payloadType else {
                throw EngineError(
                    .erasureRecord, "record \(record) is not a sealed event: it has no disclosures to erase")
            }
            guard let stored = try await store.openings(at: [record])[record] else {
                throw LedgerStoreError.corrupt("sealed record \(record) has no opening")
            }
            var opening = try Opening(stored: stored)
            let named = try Ledger.statement(envelope, opening: stored).indexKeys
            let payload: JSONValue
            do { payload = try JSONValue(parsing: envelope.payload) } catch {
                throw LedgerStoreError.corrupt("sealed record \(record)'s payload is not JSON")
            }
            let digests = try SealedEvent.digests(of: field, payload: payload, disclosures: opening.disclosures)
            guard !digests.isEmpty else {
                throw EngineError(.erasureRecord, "record \(record) has no disclosure left to erase")
            }
            let erasure = try Erasure(record: record, digests: digests, reason: reason)
            let statement = try Envelope(signing: erasure.payload, type: Erasure.payloadType, with: operatorKey)
            let keys = Statement.erasure(
                erasure, digest: Statement.digest(payloadType: Erasure.payloadType, payload: erasure.payload)
            ).indexKeys
            let erased = Set(digests)
            opening.disclosures.removeAll { erased.contains($0.digest) }
            opening.erased += digests.map { Opening.Erased(digest: $0, by: size) }
            let rewritten = opening.stored
            let remaining = try Ledger.statement(envelope, opening: rewritten)
            let time = clock()
            do {
                _ = try await store.append { head in
                    guard head.size == size else { throw Raced() }
                    let batch = try Ledger.build(
                        [statement.canonicalJSON], keys: [keys], openings: [nil], on: head, time: time)
                    return AppendBatch(
                        records: batch.records, hashes: batch.hashes, head: batch.head, index: batch.index,
                        openings: [record: rewritten],
                        reindexed: [record: Reindexing(before: named, after: remaining.indexKeys)])
                }
            } catch is Raced {
                continue
            }
            if case .event = remaining {
                return ErasureResult(seq: size, record: record, digests: digests, remainsEvent: true)
            }
            return ErasureResult(seq: size, record: record, digests: digests, remainsEvent: false)
        }
        throw EngineError(.erasureRecord, "the log kept moving while erasing from record \(record); try again")
    }
}
