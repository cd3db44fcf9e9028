import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// The engine over one store. Its jobs, a file each:
/// - sequencing and group commit (this file): requests queue, a group is decided and written in one transaction,
///   and each caller is answered once its records are durable; catching up with other writers;
/// - admission: `Ledger+Prepare` checks each statement on all cores before it queues; the accept/refuse
///   decision itself is `Admission` (module `LedgerRules`), pure, beside the recording policy;
/// - checkpoints and witnesses (`Ledger+Checkpoints`), proofs (`Ledger+Proofs`), the registry
///   (`Ledger+Registry`), journeys, queries and assessments (`Ledger+Trace`), anchors and tiles
///   (`Ledger+Anchors`).
public actor Ledger {
    /// The store. Callers go through the engine: it alone keeps the index, the registry and the checkpoints in
    /// step with the records.
    nonisolated let store: any LedgerStore
    /// The metadata the ledger was created with.
    public nonisolated let metadata: LedgerMetadata
    /// The operator's checkpoint verifier.
    public nonisolated let operatorVerifier: Ed25519NoteVerifier
    let signer: Ed25519NoteSigner?
    /// The operator's key, for the statements the operator signs through the engine (erasures).
    let operatorKey: SigningKey?
    /// The operator's signing key, when this engine holds it (to sign what the server issues in the ledger's name).
    public nonisolated var operatorSigningKey: SigningKey? { operatorKey }
    let clock: @Sendable () -> Int64
    let logger: Logger

    /// The default logger: silent. A library logs only when its host hands it a logger.
    public static let quiet = Logger(label: "threadline.ledger", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The most records one transaction carries.
    public static let maxBatch = 10_000

    private struct Pending {
        var prepared: PreparedStatements
        /// All or nothing (`append`), or each statement on its own (`appendEach`).
        let atomic: Bool
        let continuation: CheckedContinuation<[Result<Int64, LedgerError>], any Error>
    }
    private var queue: [Pending] = []
    private var writing = false
    /// Tree hashes of leaf ranges at least `cachedRangeWidth` wide, read for proofs (`inclusionProofs`).
    var rangeHashes: [Range<Int64>: Hash] = [:]
    static let cachedRangeWidth: Int64 = 256
    static let maxCachedRanges = 100_000
    /// The last stored checkpoint this engine verified, so proofs need not re-check its signature.
    var lastVerified: (stored: StoredCheckpoint, note: SignedNote, body: Checkpoint)?
    /// The participant registry as of the records this engine has seen.
    var registry: Registry
    /// The subscriptions appends are matched against (`Ledger+Subscriptions`); nil until read, or after they
    /// changed.
    var matcher: SubscriptionMatcher?
    /// How many times this engine has written outbox messages: a deliverer in the same process watches it to
    /// deliver at once rather than at its next poll.
    public internal(set) var outboxWrites: Int64 = 0 { didSet { wakeOutboxWaiters() } }
    /// Those waiting for the next outbox write (`outboxWrite(after:within:)`), each with its timer.
    var outboxWaiters: [UUID: (continuation: CheckedContinuation<Void, Never>, timer: Task<Void, Never>)] = [:]
    /// The authorisations whose end this engine has told subscribers of (`noteExpiredAuthorizations`).
    var expiriesNoted: Set<Int64> = []
    /// Whether a catch-up is under way, and the ones waiting for it to end (`catchUp`).
    private var catchingUp = false
    private var catchUpWaiters: [CheckedContinuation<Void, Never>] = []

    /// Opens the engine over `store`. `operatorKey` is needed only to sign checkpoints; `clock` gives
    /// the time recorded in new records, in milliseconds since the epoch.
    public init(
        store: any LedgerStore, operatorKey: SigningKey? = nil,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger = Ledger.quiet
    ) async throws {
        let metadata = try await store.metadata()
        let verifier: Ed25519NoteVerifier
        do { verifier = try Ed25519NoteVerifier(verifierKey: metadata.operatorKey) } catch {
            throw LedgerStoreError.corrupt("the stored operator key is not a verifier key: \(error)")
        }
        if let operatorKey, operatorKey.noteSigner.verifier != verifier {
            throw LedgerError.wrongOperatorKey(expected: metadata.operatorKey)
        }
        self.store = store
        self.metadata = metadata
        self.operatorVerifier = verifier
        self.signer = operatorKey?.noteSigner
        self.operatorKey = operatorKey
        self.clock = clock
        self.logger = logger
        self.registry = Registry(operatorKey: metadata.operatorKey)
    }

    /// The metadata for a new ledger whose operator key is `operatorKey` (its name becomes the origin).
    public static func metadata(operatorKey: SigningKey) -> LedgerMetadata {
        LedgerMetadata(origin: operatorKey.name, operatorKey: operatorKey.keyID)
    }

    /// The number of records in the ledger.
    public func size() async throws -> Int64 {
        try await store.size()
    }

    // MARK: Appending

    /// Appends envelopes after checking them; returns their sequence numbers once they are durable.
    /// Either all are appended or, when one is refused, none.
    /// The checks run on the caller's task, not on the actor, so concurrent callers verify in parallel.
    public nonisolated func append(_ envelopes: [Envelope]) async throws -> Range<Int64> {
        let statements = try Ledger.prepare(envelopes)
        return try await append(prepared: statements)
    }

    /// Appends submissions (envelopes, and sealed events with their openings) as `append(_:)` does envelopes.
    public nonisolated func append(_ submissions: [Submission]) async throws -> Range<Int64> {
        try await append(prepared: try Ledger.prepare(submissions))
    }

    /// Appends a long stream batch by batch, checking batch k+1 (on all cores) while batch k is being written.
    /// `durable` is called with each batch's sequence numbers, in order, once that batch is durable.
    /// A batch that `prepare` refuses stops the run: earlier batches stay appended, it and later ones are not.
    public nonisolated func appendPipelined<Batches: Sequence>(
        _ batches: Batches, prepare: @escaping @Sendable (Batches.Element) throws -> PreparedStatements,
        durable: (Range<Int64>) -> Void
    ) async throws where Batches.Element: Sendable {
        var writing: Task<Range<Int64>, any Error>?
        do {
            for batch in batches {
                // Checked on a dispatch queue: the check takes every core (`Parallel.map`), and on the cooperative
                // pool it would hold the threads the write of the batch before needs — the write would wait for the
                // check to end, and the cores for the write.
                let prepared = try await withCheckedThrowingContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(with: Result { try prepare(batch) }) }
                }
                if let writing { durable(try await writing.value) }
                writing = Task { try await self.append(prepared: prepared) }
            }
        } catch {
            if let writing { durable(try await writing.value) }
            throw error
        }
        if let writing { durable(try await writing.value) }
    }

    /// Appends statements already checked by `prepare`. Concurrent calls share transactions
    /// (group commit); each returns when its own records are durable.
    /// Either all are appended or, when one is refused, none (the error names it).
    public func append(prepared: PreparedStatements) async throws -> Range<Int64> {
        guard prepared.count > 0 else {
            let size = try await store.size()
            return size..<size
        }
        let results = try await enqueue(prepared, atomic: true)
        let seqs = try results.map { try $0.get() }
        return seqs[0]..<seqs[seqs.count - 1] + 1
    }

    /// Appends statements already checked by `prepare`, each on its own: a refused one is reported in its place
    /// and the others are appended, in order.
    public func appendEach(prepared: PreparedStatements) async throws -> [Result<Int64, LedgerError>] {
        guard prepared.count > 0 else { return [] }
        return try await enqueue(prepared, atomic: false)
    }

    private func enqueue(_ prepared: PreparedStatements, atomic: Bool) async throws -> [Result<Int64, LedgerError>] {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(prepared: prepared, atomic: atomic, continuation: continuation))
            if !writing {
                writing = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            var group: [Pending] = []
            var count = 0
            while let next = queue.first, group.isEmpty || count + next.prepared.count <= Ledger.maxBatch {
                group.append(queue.removeFirst())
                count += next.prepared.count
            }
            do {
                try await write(group)
            } catch {
                logger.warning("batch failed", metadata: ["records": "\(count)", "error": "\(error)"])
                LedgerMetrics.failedCommits.increment()
                for pending in group { pending.continuation.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// Checks a group against the ledger's rules as the log stands, appends what passes in one transaction, and
    /// answers every request. If another writer moved the log in between, checks again.
    private func write(_ group: [Pending]) async throws {
        while true {
            let size = try await catchUp()
            let decision = try await decide(group, at: size)
            let accepted = decision.accepted
            // The accepted statements, in the order they are appended.
            let items = accepted.flatMap { a in a.keep.map { group[a.request].prepared.items[$0] } }
            let canonical = items.map(\.canonical)
            let keys = items.map(\.indexKeys)
            let openings = items.map(\.opening)
            // What the accepted statements tell subscribers, by statement: written with the records.
            let matcher = try await currentMatcher()
            var told: [[(subscription: String, topic: String)]] = []
            if !matcher.isEmpty {
                told = items.map {
                    matcher.messages(
                        for: $0.statement, keys: $0.indexKeys, signers: $0.signers, registry: decision.registry)
                }
            }
            if matcher.watchesClones {
                try await addCloneAlerts(
                    to: &told, statements: items.map(\.statement), signers: items.map(\.signers), from: size,
                    matcher: matcher, registry: decision.registry)
            }
            let time = clock()
            var outcome: [[Result<Int64, LedgerError>?]] = group.map { Array(repeating: nil, count: $0.prepared.count) }
            for refusal in decision.refusals {
                outcome[refusal.request][refusal.statement] = .failure(Ledger.error(refusal))
            }
            LedgerMetrics.refused.increment(by: decision.refusals.count)
            if !canonical.isEmpty {
                do {
                    let started = DispatchTime.now().uptimeNanoseconds
                    let head = try await store.append { [told] head in
                        guard head.size == size else { throw Raced() }
                        guard head.subscriptions == matcher.version else { throw SubscriptionsChanged() }
                        var batch = try Ledger.build(canonical, keys: keys, openings: openings, on: head, time: time)
                        batch.outbox = told.enumerated().flatMap { offset, messages in
                            messages.map {
                                OutboxMessage(
                                    subscription: $0.subscription, seq: head.size + Int64(offset), topic: $0.topic)
                            }
                        }
                        batch.outboxMillis = time
                        return batch
                    }
                    let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
                    LedgerMetrics.commits.increment()
                    if told.contains(where: { !$0.isEmpty }) { outboxWrites += 1 }
                    LedgerMetrics.records.increment(by: canonical.count)
                    LedgerMetrics.batchRecords.record(canonical.count)
                    LedgerMetrics.batchRequests.record(group.count)
                    LedgerMetrics.commitDuration.recordNanoseconds(Int64(nanoseconds))
                    logger.debug(
                        "batch durable",
                        metadata: [
                            "records": "\(canonical.count)", "requests": "\(group.count)", "size": "\(head.size)",
                            "ms": "\(nanoseconds / 1_000_000)",
                        ])
                } catch is Raced {
                    continue
                } catch is SubscriptionsChanged {
                    self.matcher = nil
                    continue
                }
            }
            registry = decision.registry
            registry.skip(to: size + Int64(canonical.count))
            var next = size
            for a in accepted {
                for i in a.keep {
                    outcome[a.request][i] = .success(next)
                    next += 1
                }
            }
            for (i, pending) in group.enumerated() {
                if pending.atomic, let refusal = decision.refusals.first(where: { $0.request == i }) {
                    pending.continuation.resume(throwing: Ledger.error(refusal))
                } else {
                    pending.continuation.resume(returning: outcome[i].map { $0! })
                }
            }
            return
        }
    }

    /// Another writer appended between the checks and the write.
    struct Raced: Error {}

    /// A refusal as the engine reports it.
    private static func error(_ refusal: Admission.Refusal) -> LedgerError {
        .refused(index: refusal.statement, refusal.error, existing: refusal.existing)
    }

    /// The admission decision for `group` as if appended at `size` (`Admission`), with the earlier records that
    /// hold any of its statements' duplicate keys read from the store.
    private func decide(_ group: [Pending], at size: Int64) async throws -> Admission.Decision {
        let keys = group.flatMap { $0.prepared.items.map(\.duplicateKey) }
        var existing: [String: Int64] = [:]
        for entry in try await store.lookup(keys, from: 0) where existing[entry.key] == nil {
            existing[entry.key] = entry.seq
        }
        let requests = group.map { $0.prepared.request(atomic: $0.atomic) }
        return Admission.decide(requests, at: size, registry: registry, existing: existing)
    }

    /// Brings the index and the registry up to the log's end (other writers, older ledgers); returns the size.
    ///
    /// One catch-up runs at a time. The actor is re-entered at every store call, and two catch-ups at once (the
    /// server asks for the registry on every capture request, while appends catch up too) would fold the same
    /// registry records twice and extend the index from the same place twice.
    func catchUp() async throws -> Int64 {
        // A lock handed from one catch-up to the next waiting one, in order.
        if catchingUp {
            await withCheckedContinuation { catchUpWaiters.append($0) }
        } else {
            catchingUp = true
        }
        defer {
            if catchUpWaiters.isEmpty { catchingUp = false } else { catchUpWaiters.removeFirst().resume() }
        }
        return try await catchUpAlone()
    }

    private func catchUpAlone() async throws -> Int64 {
        let size = try await store.size()
        var indexed = try await store.indexedSize()
        while indexed < size {
            let end = min(size, indexed + 2048)
            let entries = try await indexEntries(indexed..<end)
            try await store.addIndex(entries, from: indexed, to: end)
            indexed = end
        }
        if registry.size < size {
            // Folded into a copy: an append may replace `registry` while this awaits the store. The fold of a log
            // prefix is one registry, so the copy replaces it only if it has folded further.
            var folded = registry
            let seqs = try await store.lookup(Ledger.registryKeys, from: folded.size).map(\.seq).filter { $0 < size }
                .sorted()
            for seq in seqs {
                folded.skip(to: seq)
                let record = try LedgerRecord(bytes: try await store.records(seq..<seq + 1)[0])
                folded.apply(seq: seq, envelope: record.envelope)
            }
            folded.skip(to: size)
            if folded.size > registry.size { registry = folded }
        }
        return size
    }

    /// The index entries of the stored records `range`.
    func indexEntries(_ range: Range<Int64>) async throws -> [IndexEntry] {
        try Ledger.indexEntries(
            try await store.records(range), openings: try await store.openings(in: range), from: range.lowerBound)
    }

    /// The index entries of stored records, from `first` on, with the sealed ones' stored `openings`.
    static func indexEntries(
        _ records: [[UInt8]], openings: [Int64: [UInt8]], from first: Int64
    ) throws
        -> [IndexEntry]
    {
        let parsed = Parallel.map(Array(records.enumerated())) { offset, bytes -> [String]? in
            guard let record = try? LedgerRecord(bytes: bytes) else { return nil }
            return (try? Ledger.statement(record.envelope, opening: openings[first + Int64(offset)]))?.indexKeys ?? []
        }
        return try parsed.enumerated().flatMap { offset, keys -> [IndexEntry] in
            guard let keys else { throw LedgerStoreError.corrupt("record \(first + Int64(offset)) does not parse") }
            return keys.map { IndexEntry(key: $0, seq: first + Int64(offset)) }
        }
    }

    /// What a stored record's statement says, a sealed event's read with its stored opening (a sealed record
    /// whose opening is missing or unreadable throws).
    static func statement(_ envelope: Envelope, opening: [UInt8]?) throws -> Statement {
        try Statement(
            payloadType: envelope.payloadType, payload: envelope.payload,
            opening: try opening.map { try Opening(stored: $0) })
    }

    /// Builds the records and stored hashes for `statements` on top of `head`, with their index keys and sealed
    /// events' openings (runs under the store's lock).
    static func build(
        _ statements: [[UInt8]], keys: [[String]], openings: [[UInt8]?], on head: LedgerHead, time: Int64
    ) throws -> AppendBatch {
        var range = head.range
        var prev = head.lastLeafHash
        var records: [[UInt8]] = []
        var hashes: [Hash] = []
        records.reserveCapacity(statements.count)
        hashes.reserveCapacity(statements.count * 2 + 64)
        let recordTime = try LedgerRecord.Time(millis: time)
        for (i, json) in statements.enumerated() {
            let bytes = try LedgerRecord.encode(
                seq: head.size + Int64(i), time: recordTime, prev: prev, envelopeJSON: json)
            prev = Merkle.leafHash(bytes)
            range.append(prev, into: &hashes)
            records.append(bytes)
        }
        var index: [IndexEntry] = []
        index.reserveCapacity(keys.reduce(0) { $0 + $1.count })
        for (i, keys) in keys.enumerated() {
            for key in keys { index.append(IndexEntry(key: key, seq: head.size + Int64(i))) }
        }
        var stored: [Int64: [UInt8]] = [:]
        for (i, opening) in openings.enumerated() { stored[head.size + Int64(i)] = opening }
        return AppendBatch(
            records: records, hashes: hashes,
            head: LedgerHead(size: range.size, range: range, lastLeafHash: prev), index: index, openings: stored)
    }

}
