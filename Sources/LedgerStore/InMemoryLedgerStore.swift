import Foundation
import TransparencyLog

/// A store in memory, for unit tests and tools; the same contract as the durable stores.
public actor InMemoryLedgerStore: LedgerStore {
    private let meta: LedgerMetadata
    private var storedRecords: [[UInt8]] = []
    private var storedHashes: [Hash] = []
    private var storedCheckpoints: [StoredCheckpoint] = []
    private var index: [String: [Int64]] = [:]
    private var storedCosignatures: [Int64: [String]] = [:]
    private var indexed: Int64 = 0
    private var storedOpenings: [Int64: [UInt8]] = [:]
    private var storedSubscriptions: [StoredSubscription] = []
    private var storedQueries: [StoredQuery] = []
    private var subscriptionsVersion: Int64 = 0
    private var outbox: [OutboxRow] = []
    private struct OutboxRow {
        var delivery: StoredDelivery
        var claimant: String?
        var claimedUntil: Int64 = 0
    }

    /// An empty ledger with `metadata`.
    public init(metadata: LedgerMetadata) {
        meta = metadata
    }

    public func metadata() -> LedgerMetadata { meta }

    public func size() -> Int64 { Int64(storedRecords.count) }

    public func append(_ build: @Sendable (LedgerHead) throws -> AppendBatch) throws -> LedgerHead {
        let size = Int64(storedRecords.count)
        var head = try LedgerHead(size: size, hashes: hashes(at: LedgerHead.indices(size: size)))
        head.subscriptions = subscriptionsVersion
        let batch = try build(head)
        try batch.check(extending: head)
        insertPending(batch.outbox, now: batch.outboxMillis)
        storedRecords += batch.records
        storedHashes += batch.hashes
        storedOpenings.merge(batch.openings) { _, new in new }
        for (seq, keys) in batch.reindexed where seq < indexed {
            for key in Array(index.keys) { index[key]?.removeAll { $0 == seq } }
            insert(keys.after.map { IndexEntry(key: $0, seq: seq) })
        }
        if indexed == size {
            insert(batch.index)
            indexed = batch.head.size
        }
        return batch.head
    }

    public func records(_ range: Range<Int64>) throws -> [[UInt8]] {
        guard range.lowerBound >= 0, range.upperBound <= storedRecords.count else {
            throw LedgerStoreError.outOfRange("records \(range) are not all in the ledger")
        }
        return Array(storedRecords[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    public func records(at seqs: [Int64]) throws -> [[UInt8]] {
        try seqs.map {
            guard $0 >= 0, $0 < storedRecords.count else {
                throw LedgerStoreError.outOfRange("record \($0) is not in the ledger")
            }
            return storedRecords[Int($0)]
        }
    }

    public func openings(at seqs: [Int64]) -> [Int64: [UInt8]] {
        var found: [Int64: [UInt8]] = [:]
        for seq in seqs { found[seq] = storedOpenings[seq] }
        return found
    }

    public func openings(in range: Range<Int64>) -> [Int64: [UInt8]] {
        storedOpenings.filter { range.contains($0.key) }
    }

    public func hashes(at indices: [Int64]) throws -> [Hash] {
        try indices.map {
            guard $0 >= 0, $0 < storedHashes.count else {
                throw LedgerStoreError.corrupt("stored hash \($0) is missing")
            }
            return storedHashes[Int($0)]
        }
    }

    public func hashes(in range: Range<Int64>) throws -> [Hash] {
        guard range.lowerBound >= 0, range.upperBound <= storedHashes.count else {
            throw LedgerStoreError.outOfRange("stored hashes \(range) are not all in the ledger")
        }
        return Array(storedHashes[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    public func checkpoints() -> [StoredCheckpoint] { storedCheckpoints }

    public func latestCheckpoint() -> StoredCheckpoint? { storedCheckpoints.last }

    public func addCheckpoint(size: Int64, note: String) throws {
        if let latest = storedCheckpoints.last, latest.size >= size {
            throw LedgerStoreError.staleCheckpoint(size: size, latest: latest.size)
        }
        guard size <= storedRecords.count else {
            throw LedgerStoreError.outOfRange("a checkpoint of size \(size) is beyond the log's end")
        }
        storedCheckpoints.append(StoredCheckpoint(size: size, note: note))
    }

    private func insert(_ entries: [IndexEntry]) {
        for entry in entries where !(index[entry.key]?.contains(entry.seq) ?? false) {
            index[entry.key, default: []].append(entry.seq)
            index[entry.key]!.sort()
        }
    }

    public func cosignatures(size: Int64) -> [String] { storedCosignatures[size] ?? [] }

    public func addCosignatures(size: Int64, lines: [String]) throws {
        guard storedCheckpoints.contains(where: { $0.size == size }) else {
            throw LedgerStoreError.outOfRange("no checkpoint of size \(size) is stored")
        }
        for line in lines where !(storedCosignatures[size]?.contains(line) ?? false) {
            storedCosignatures[size, default: []].append(line)
        }
    }

    public func indexedSize() -> Int64 { indexed }

    public func lookup(_ keys: [String], from: Int64) -> [IndexEntry] {
        Set(keys).sorted().flatMap { key in
            (index[key] ?? []).filter { $0 >= from }.map { IndexEntry(key: key, seq: $0) }
        }
    }

    public func indexEntries(in range: Range<Int64>) -> [IndexEntry] {
        index.flatMap { key, seqs in seqs.filter(range.contains).map { IndexEntry(key: key, seq: $0) } }
            .sorted { ($0.seq, $0.key) < ($1.seq, $1.key) }
    }

    public func addIndex(_ entries: [IndexEntry], from: Int64, to: Int64) throws {
        guard indexed == from, from <= to, to <= storedRecords.count,
            entries.allSatisfy({ (from..<to).contains($0.seq) })
        else {
            throw LedgerStoreError.outOfRange(
                "index entries for records \(from)..<\(to) do not continue the index (it covers \(indexed))")
        }
        insert(entries)
        indexed = to
    }

    public func resetIndex() {
        index = [:]
        indexed = 0
    }

    // MARK: Outbox

    public func subscriptions() -> (version: Int64, subscriptions: [StoredSubscription]) {
        (subscriptionsVersion, storedSubscriptions)
    }

    public func subscription(id: String) -> StoredSubscription? {
        storedSubscriptions.first { $0.id == id }
    }

    public func addSubscription(_ subscription: StoredSubscription) throws -> Int64 {
        guard !storedSubscriptions.contains(where: { $0.id == subscription.id }) else {
            throw LedgerStoreError.alreadyExists("subscription \(subscription.id)")
        }
        let from = Int64(storedRecords.count)
        storedSubscriptions.append(
            StoredSubscription(
                id: subscription.id, subscriber: subscription.subscriber, url: subscription.url,
                body: subscription.body, fromSeq: from, createdMillis: subscription.createdMillis))
        subscriptionsVersion += 1
        return from
    }

    public func removeSubscription(id: String) -> Bool {
        guard storedSubscriptions.contains(where: { $0.id == id }) else { return false }
        storedSubscriptions.removeAll { $0.id == id }
        outbox.removeAll { $0.delivery.message.subscription == id && $0.delivery.state == .pending }
        subscriptionsVersion += 1
        return true
    }

    public func enqueue(_ messages: [OutboxMessage], now: Int64, again: Bool) -> Int {
        let active = Set(storedSubscriptions.map(\.id))
        let wanted = messages.filter { active.contains($0.subscription) }
        var fresh: [OutboxMessage] = []
        for message in wanted {
            if let i = outbox.firstIndex(where: { $0.delivery.message == message }) {
                if again { outbox[i] = OutboxRow(delivery: Self.pending(outbox[i].delivery.id, message, now: now)) }
            } else if !fresh.contains(message) {
                fresh.append(message)
            }
        }
        insertPending(fresh, now: now)
        return again ? wanted.count : fresh.count
    }

    private static func pending(_ id: Int64, _ message: OutboxMessage, now: Int64) -> StoredDelivery {
        StoredDelivery(
            id: id, message: message, state: .pending, attempts: 0, createdMillis: now, dueMillis: now, lastError: nil)
    }

    private func insertPending(_ messages: [OutboxMessage], now: Int64) {
        for message in messages where !outbox.contains(where: { $0.delivery.message == message }) {
            outbox.append(OutboxRow(delivery: Self.pending(Int64(outbox.count + 1), message, now: now)))
        }
    }

    public func claimDeliveries(limit: Int, now: Int64, lease: Int64, claimant: String) -> [ClaimedDelivery] {
        var claimed: [ClaimedDelivery] = []
        for i in outbox.indices where claimed.count < limit {
            let row = outbox[i]
            guard row.delivery.state == .pending, row.delivery.dueMillis <= now, row.claimedUntil <= now else {
                continue
            }
            outbox[i].claimant = claimant
            outbox[i].claimedUntil = now + lease
            claimed.append(
                ClaimedDelivery(
                    id: row.delivery.id, message: row.delivery.message, attempts: row.delivery.attempts,
                    createdMillis: row.delivery.createdMillis))
        }
        return claimed
    }

    public func settleDeliveries(_ settlements: [(id: Int64, outcome: DeliveryOutcome)], claimant: String, now: Int64) {
        for (id, outcome) in settlements {
            guard let i = outbox.firstIndex(where: { $0.delivery.id == id }), outbox[i].claimant == claimant,
                outbox[i].delivery.state == .pending
            else { continue }
            let d = outbox[i].delivery
            let (state, due, error) = outcome.written
            outbox[i] = OutboxRow(
                delivery: StoredDelivery(
                    id: d.id, message: d.message, state: state, attempts: d.attempts + 1,
                    createdMillis: d.createdMillis, dueMillis: due ?? d.dueMillis, lastError: error ?? d.lastError))
        }
    }

    public func namedQueries(owner: String) -> [StoredQuery] {
        storedQueries.filter { $0.owner == owner }.sorted { $0.name < $1.name }
    }

    public func namedQuery(owner: String, name: String) -> StoredQuery? {
        storedQueries.first { $0.owner == owner && $0.name == name }
    }

    public func namedQueryCount(owner: String) -> Int {
        storedQueries.count { $0.owner == owner }
    }

    public func addNamedQuery(_ query: StoredQuery) throws {
        guard !storedQueries.contains(where: { $0.owner == query.owner && $0.name == query.name }) else {
            throw LedgerStoreError.alreadyExists("query \(query.name) of \(query.owner)")
        }
        storedQueries.append(query)
    }

    public func removeNamedQuery(owner: String, name: String) -> Bool {
        let before = storedQueries.count
        storedQueries.removeAll { $0.owner == owner && $0.name == name }
        return storedQueries.count < before
    }

    public func deliveries(subscription: String?, limit: Int) -> [StoredDelivery] {
        Array(
            outbox.map(\.delivery).filter { subscription == nil || $0.message.subscription == subscription }.prefix(
                limit))
    }
}
