import LedgerStore
import Participants
import Statements
import TransparencyLog

extension Ledger {
    /// The participant registry as it stood before record `end` (default: the whole log), derived from the
    /// log alone, with the record of each GTIN's latest product statement. Registry and product statements that
    /// could not apply are returned with their sequence numbers.
    public nonisolated func registry(
        before end: Int64? = nil
    ) async throws -> (Registry, refused: [(Int64, any CodedError)]) {
        let size = try await store.size()
        let end = max(0, min(end ?? size, size))
        var registry = Registry(operatorKey: metadata.operatorKey)
        var refused: [(Int64, any CodedError)] = []
        if try await store.indexedSize() >= end {
            for seq in try await store.lookup(Ledger.registryKeys, from: 0).map(\.seq).sorted() where seq < end {
                registry.skip(to: seq)
                let record = try LedgerRecord(bytes: try await store.records(seq..<seq + 1)[0])
                if let refusal = registry.apply(seq: seq, envelope: record.envelope) { refused.append((seq, refusal)) }
            }
            registry.skip(to: end)
            return (registry, refused)
        }
        let markers = [RegistryStatement.payloadType, ProductData.payloadType].map {
            Array("\"payloadType\":\"\($0)\"".utf8)
        }
        var start: Int64 = 0
        while start < end {
            let range = start..<min(end, start + 4096)
            let records = try await store.records(range)
            for (offset, bytes) in records.enumerated() {
                let seq = range.lowerBound + Int64(offset)
                guard markers.contains(where: bytes.containsSubsequence) else {
                    registry.skip(to: seq + 1)
                    continue
                }
                let record: LedgerRecord
                do { record = try LedgerRecord(bytes: bytes) } catch {
                    throw LedgerStoreError.corrupt("record \(seq) does not parse: \(error)")
                }
                if let refusal = registry.apply(seq: seq, envelope: record.envelope) { refused.append((seq, refusal)) }
            }
            start = range.upperBound
        }
        return (registry, refused)
    }
}

extension Ledger {
    /// The index keys of the statements the registry folds: registry and product statements.
    static let registryKeys = [IndexKey.registry, IndexKey.products]
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first, self[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
