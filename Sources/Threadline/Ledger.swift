import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// Statements that passed `Ledger.prepare`: every signature verified, within the size limit, in canonical
/// form. Only `prepare` makes them, so nothing unchecked can reach the log through the engine.
public struct PreparedStatements: Sendable {
    let canonical: [[UInt8]]
    /// What each says, and who signed it.
    let statements: [Statement]
    let signers: [[String]]
    /// Whether every signer must be a registered participant's current key (or the operator's), checked under
    /// the append's sequencing, whatever the statement says. Events and registry statements are always held to
    /// their own signer rules; this extends a rule to opaque statements (the server's capture routes).
    public var participantsOnly = false

    /// How many statements.
    public var count: Int { canonical.count }

    /// Whether every statement is an EPCIS event.
    public var allEvents: Bool {
        statements.allSatisfy {
            if case .event = $0 { return true }
            return false
        }
    }

    /// The statements `indices`, in that order.
    public func subset(_ indices: [Int]) -> PreparedStatements {
        var subset = PreparedStatements(
            canonical: indices.map { canonical[$0] }, statements: indices.map { statements[$0] },
            signers: indices.map { signers[$0] })
        subset.participantsOnly = participantsOnly
        return subset
    }
}

/// The engine over one store: appends signed statements (group commit), signs checkpoints,
/// and proves inclusion and consistency.
public actor Ledger {
    /// The store. Callers go through the engine: it alone keeps the index, the registry and the checkpoints in
    /// step with the records.
    nonisolated let store: any LedgerStore
    /// The metadata the ledger was created with.
    public nonisolated let metadata: LedgerMetadata
    /// The operator's checkpoint verifier.
    public nonisolated let operatorVerifier: Ed25519NoteVerifier
    let signer: Ed25519NoteSigner?
    private let clock: @Sendable () -> Int64
    private let logger: Logger

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
    private var rangeHashes: [Range<Int64>: Hash] = [:]
    static let cachedRangeWidth: Int64 = 256
    static let maxCachedRanges = 100_000
    /// The last stored checkpoint this engine verified, so proofs need not re-check its signature.
    private var lastVerified: (stored: StoredCheckpoint, note: SignedNote, body: Checkpoint)?
    /// The participant registry as of the records this engine has seen.
    var registry: Registry
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

    /// Checks each envelope (syntax, every signature, size, and an event or registry statement's content) and
    /// returns its canonical bytes with what it says, in parallel.
    public nonisolated static func prepare(_ envelopes: [Envelope]) throws -> PreparedStatements {
        let checked = Parallel.map(envelopes, state: { [String: Ed25519NoteVerifier]() }) {
            envelope, cache -> Result<([UInt8], Statement), FormatError> in
            envelope.verifySignatures(cache: &cache).flatMap { _ -> Result<([UInt8], Statement), FormatError> in
                let json = envelope.canonicalJSON
                guard json.count <= LedgerRecord.maxEnvelopeBytes else {
                    return .failure(
                        FormatError(
                            "record.size",
                            "the statement is \(json.count) bytes as stored; a record holds at most "
                                + "\(LedgerRecord.maxEnvelopeBytes) (records are limited to 64 KiB − 1)"))
                }
                do {
                    return .success((json, try Statement(payloadType: envelope.payloadType, payload: envelope.payload)))
                } catch let error as FormatError {
                    return .failure(error)
                } catch {
                    return .failure(FormatError("statement", "\(error)"))
                }
            }
        }
        let checkedStatements = try checked.enumerated().map { index, result in
            switch result {
            case .success(let value): return value
            case .failure(let error): throw LedgerError.invalidStatement(index: index, error)
            }
        }
        return PreparedStatements(
            canonical: checkedStatements.map(\.0), statements: checkedStatements.map(\.1),
            signers: envelopes.map { $0.signatures.map(\.keyid) })
    }

    /// Decodes submitted DSSE envelope JSON documents (any valid form) and checks them as `prepare` does,
    /// in parallel. Errors name the submission's index.
    ///
    /// With `signersIn`, every signature must also be by the operator or by a key valid in that registry for the
    /// next record — checked after decoding and before any signature is verified or payload read, so a statement
    /// from a key nobody registered costs the server a JSON decode, not a validation and a hash. The check is
    /// repeated under the append's sequencing (`participantsOnly`), which is the one that counts.
    ///
    /// The submissions are taken `batchSize` at a time: what decoding and checking build (JSON trees, decoded
    /// payloads, events) lives for one batch, and only what the append needs is kept — so the memory a long
    /// request costs is its own size and the statements it makes, not every intermediate form at once. The pieces
    /// may be slices of one request body: nothing is copied before its batch.
    public nonisolated static func prepare<Piece: Collection<UInt8> & Sendable>(
        submissions: [Piece], signersIn registry: Registry? = nil, batchSize: Int = 4096
    ) throws -> PreparedStatements {
        var canonical: [[UInt8]] = []
        var statements: [Statement] = []
        var signers: [[String]] = []
        canonical.reserveCapacity(submissions.count)
        statements.reserveCapacity(submissions.count)
        signers.reserveCapacity(submissions.count)
        for first in stride(from: 0, to: submissions.count, by: max(1, batchSize)) {
            let batch = Array(submissions[first..<min(submissions.count, first + max(1, batchSize))])
            let decoded = Parallel.map(batch) { json -> Result<Envelope, FormatError> in
                do { return .success(try Envelope(json: json)) } catch let error as FormatError {
                    return .failure(error)
                } catch {
                    return .failure(FormatError("envelope.json", "\(error)"))
                }
            }
            let envelopes = try decoded.enumerated().map { offset, result in
                switch result {
                case .success(let envelope): return envelope
                case .failure(let error): throw LedgerError.invalidStatement(index: first + offset, error)
                }
            }
            if let registry {
                for (offset, envelope) in envelopes.enumerated() {
                    for signature in envelope.signatures where signature.keyid != registry.operatorKey {
                        let status = registry.signer(signature.keyid, at: registry.size)
                        if case .valid = status { continue }
                        throw LedgerError.refused(
                            index: first + offset,
                            FormatError(
                                "record.signer", "the signer \(signature.keyid) may not submit: \(status.explanation)"
                            ),
                            existing: nil)
                    }
                }
            }
            let prepared: PreparedStatements
            do { prepared = try prepare(envelopes) } catch LedgerError.invalidStatement(let index, let error) {
                throw LedgerError.invalidStatement(index: first + index, error)
            }
            canonical += prepared.canonical
            statements += prepared.statements
            signers += prepared.signers
        }
        return PreparedStatements(canonical: canonical, statements: statements, signers: signers)
    }

    /// Appends envelopes after checking them; returns their sequence numbers once they are durable.
    /// Either all are appended or, when one is refused, none.
    /// The checks run on the caller's task, not on the actor, so concurrent callers verify in parallel.
    public nonisolated func append(_ envelopes: [Envelope]) async throws -> Range<Int64> {
        let statements = try Ledger.prepare(envelopes)
        return try await append(prepared: statements)
    }

    /// Appends a long stream batch by batch, checking batch k+1 (on all cores) while batch k is being written.
    /// `durable` is called with each batch's sequence numbers, in order, once that batch is durable.
    /// A batch that `prepare` refuses stops the run: earlier batches stay appended, it and later ones are not.
    public nonisolated func appendPipelined<Batches: Sequence>(
        _ batches: Batches, prepare: (Batches.Element) throws -> PreparedStatements, durable: (Range<Int64>) -> Void
    ) async throws {
        var writing: Task<Range<Int64>, any Error>?
        do {
            for batch in batches {
                let prepared = try prepare(batch)
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
            let canonical = accepted.flatMap { a in a.keep.map { group[a.pending].prepared.canonical[$0] } }
            let keys = accepted.flatMap { a in a.keep.map { group[a.pending].prepared.statements[$0].indexKeys } }
            let time = clock()
            var outcome: [[Result<Int64, LedgerError>?]] = group.map { Array(repeating: nil, count: $0.prepared.count) }
            for (index, refusal) in decision.refusals { outcome[index.pending][index.statement] = .failure(refusal) }
            LedgerMetrics.refused.increment(by: decision.refusals.count)
            if !canonical.isEmpty {
                do {
                    let started = DispatchTime.now().uptimeNanoseconds
                    let head = try await store.append { head in
                        guard head.size == size else { throw Raced() }
                        return try Ledger.build(canonical, keys: keys, on: head, time: time)
                    }
                    let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
                    LedgerMetrics.commits.increment()
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
                }
            }
            registry = decision.registry
            registry.skip(to: size + Int64(canonical.count))
            var next = size
            for a in accepted {
                for i in a.keep {
                    outcome[a.pending][i] = .success(next)
                    next += 1
                }
            }
            for (i, pending) in group.enumerated() {
                if pending.atomic, let refusal = decision.refusals.first(where: { $0.index.pending == i }) {
                    pending.continuation.resume(throwing: refusal.error)
                } else {
                    pending.continuation.resume(returning: outcome[i].map { $0! })
                }
            }
            return
        }
    }

    /// Another writer appended between the checks and the write.
    private struct Raced: Error {}

    /// What a group's checks decided: the statements of each request to append, the refusals, and the
    /// registry after the accepted ones.
    private struct Decision {
        struct Accepted {
            let pending: Int
            let keep: [Int]
        }
        var accepted: [Accepted] = []
        var refusals: [(index: (pending: Int, statement: Int), error: LedgerError)] = []
        var registry: Registry
    }

    /// Applies the ledger's rules to `group` as if appended at `size`, in order. A refused statement of an
    /// atomic request refuses the whole request; a refusal shifts the later statements' sequence numbers, so
    /// the checks run again until nothing more is refused.
    private func decide(_ group: [Pending], at size: Int64) async throws -> Decision {
        let hashes = group.flatMap { $0.prepared.statements.map(Ledger.duplicateKey) }
        var existing: [String: Int64] = [:]
        for entry in try await store.lookup(hashes, from: 0) where existing[entry.key] == nil {
            existing[entry.key] = entry.seq
        }
        var excluded: [[Int]: LedgerError] = [:]
        while true {
            var decision = Decision(registry: registry)
            var seen: [String: (seq: Int64, request: Int)] = [:]
            var seq = size
            var newlyExcluded = false
            for (p, pending) in group.enumerated() {
                var scratch = decision.registry
                var keep: [Int] = []
                var refusals: [(Int, LedgerError)] = []
                var scratchSeen = seen
                var scratchSeq = seq
                for (i, statement) in pending.prepared.statements.enumerated() where excluded[[p, i]] == nil {
                    if let error = Ledger.refusal(
                        statement, signers: pending.prepared.signers[i], registry: &scratch, at: scratchSeq,
                        existing: existing, seen: &scratchSeen, index: i, request: p, atomic: pending.atomic,
                        participantsOnly: pending.prepared.participantsOnly)
                    {
                        if pending.atomic {
                            refusals.append((i, error))
                        } else {
                            excluded[[p, i]] = error
                            newlyExcluded = true
                        }
                        continue
                    }
                    keep.append(i)
                    scratchSeq += 1
                }
                if !refusals.isEmpty && pending.atomic {
                    decision.refusals += refusals.map { ((p, $0.0), $0.1) }
                    continue
                }
                decision.refusals += refusals.map { ((p, $0.0), $0.1) }
                decision.registry = scratch
                seen = scratchSeen
                seq = scratchSeq
                decision.accepted.append(.init(pending: p, keep: keep))
            }
            if !newlyExcluded {
                decision.refusals += excluded.map { (($0.key[0], $0.key[1]), $0.value) }
                return decision
            }
        }
    }

    /// The index key under which an earlier copy of `statement` would be found: an event's hash (the same event,
    /// however written and signed), or any other statement's digest (the same signed bytes).
    static func duplicateKey(_ statement: Statement) -> String {
        switch statement {
        case .event(_, let hash): IndexKey.event(hash: hash)
        case .registry(_, let digest), .anchor(_, _, let digest), .opaque(let digest): IndexKey.statement(digest)
        }
    }

    /// Why `statement` may not be appended at `seq`, advancing `registry` and `seen` when it may.
    private static func refusal(
        _ statement: Statement, signers: [String], registry: inout Registry, at seq: Int64, existing: [String: Int64],
        seen: inout [String: (seq: Int64, request: Int)], index: Int, request: Int, atomic: Bool,
        participantsOnly: Bool = false
    ) -> LedgerError? {
        // A statement already in the log, or earlier in this group, is a replay (10 §2), whatever its kind.
        let key = duplicateKey(statement)
        let what: String
        switch statement {
        case .event(_, let hash): what = "the same event (\(hash))"
        case .registry(_, let digest), .anchor(_, _, let digest), .opaque(let digest):
            what = "the same statement (digest \(digest.hex))"
        }
        if let earlier = existing[key] {
            return .refused(
                index: index, FormatError("record.duplicate", "\(what) is already record \(earlier)"), existing: earlier
            )
        }
        if let earlier = seen[key] {
            // An earlier copy in this same all-or-nothing request will not be appended either.
            let kept = earlier.request != request || !atomic
            return .refused(
                index: index,
                FormatError(
                    "record.duplicate",
                    "\(what) is submitted twice" + (kept ? "; the first is record \(earlier.seq)" : "")),
                existing: kept ? earlier.seq : nil)
        }
        switch statement {
        case .opaque:
            if participantsOnly {
                for key in signers where key != registry.operatorKey {
                    if case .valid = registry.signer(key, at: seq) { continue }
                    let status = registry.signer(key, at: seq)
                    return .refused(
                        index: index,
                        FormatError("record.signer", "the signer \(key) may not submit: \(status.explanation)"),
                        existing: nil)
                }
            }
            registry.skip(to: seq + 1)
        case .anchor:
            registry.skip(to: seq + 1)
            guard signers.contains(registry.operatorKey) else {
                return .refused(
                    index: index, FormatError("anchor.signer", "a time anchor must be signed by the operator key"),
                    existing: nil)
            }
        case .registry(let change, _):
            if let error = registry.refusal(of: change, signers: signers, at: seq) {
                return .refused(index: index, error, existing: nil)
            }
            registry.apply(seq: seq, statement: change, signers: signers)
        case .event(let event, _):
            if let error = RecordingPolicy.refusal(for: event, signers: signers, registry: registry, at: seq) {
                return .refused(index: index, error, existing: nil)
            }
            registry.skip(to: seq + 1)
        }
        seen[key] = (seq, request)
        return nil
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
            let records = try await store.records(indexed..<end)
            let entries = try Ledger.indexEntries(records, from: indexed)
            try await store.addIndex(entries, from: indexed, to: end)
            indexed = end
        }
        if registry.size < size {
            // Folded into a copy: an append may replace `registry` while this awaits the store. The fold of a log
            // prefix is one registry, so the copy replaces it only if it has folded further.
            var folded = registry
            let seqs = try await store.lookup([IndexKey.registry], from: folded.size).map(\.seq).filter { $0 < size }
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

    /// The index entries of stored records.
    static func indexEntries(_ records: [[UInt8]], from first: Int64) throws -> [IndexEntry] {
        let parsed = Parallel.map(records) { bytes -> [String]? in
            guard let record = try? LedgerRecord(bytes: bytes) else { return nil }
            return (try? Statement(payloadType: record.envelope.payloadType, payload: record.envelope.payload))?
                .indexKeys ?? []
        }
        return try parsed.enumerated().flatMap { offset, keys -> [IndexEntry] in
            guard let keys else { throw LedgerStoreError.corrupt("record \(first + Int64(offset)) does not parse") }
            return keys.map { IndexEntry(key: $0, seq: first + Int64(offset)) }
        }
    }

    /// Builds the records and stored hashes for `statements` on top of `head` (runs under the store's lock).
    static func build(_ statements: [[UInt8]], keys: [[String]], on head: LedgerHead, time: Int64) throws -> AppendBatch
    {
        var range = head.range
        var prev = head.lastLeafHash
        var records: [[UInt8]] = []
        var hashes: [Hash] = []
        records.reserveCapacity(statements.count)
        hashes.reserveCapacity(statements.count * 2 + 64)
        for (i, json) in statements.enumerated() {
            let bytes = try LedgerRecord.encode(
                seq: head.size + Int64(i), timeMillis: time, prev: prev, envelopeJSON: json)
            prev = Merkle.leafHash(bytes)
            range.append(prev, into: &hashes)
            records.append(bytes)
        }
        let index = keys.enumerated().flatMap { i, keys in keys.map { IndexEntry(key: $0, seq: head.size + Int64(i)) } }
        return AppendBatch(
            records: records, hashes: hashes,
            head: LedgerHead(size: range.size, range: range, lastLeafHash: prev), index: index)
    }

    // MARK: Reading and proving

    /// The exact stored bytes of record `seq`.
    public nonisolated func entry(_ seq: Int64) async throws -> [UInt8] {
        let size = try await store.size()
        guard seq >= 0, seq < size else { throw LedgerError.noSuchRecord(seq: seq, size: size) }
        return try await store.records(seq..<seq + 1)[0]
    }

    /// The tree hash at `size` (which must not exceed the log's size).
    public nonisolated func root(size: Int64) async throws -> Hash {
        let plan = HashReadPlan.root(size: size)
        return try await plan.combine(store.hashes(at: plan.indices)).first ?? Merkle.emptyRoot
    }

    /// The latest signed checkpoint, signing a new one first if the log grew since (needs the operator key).
    /// Never signs a checkpoint that is not consistent with the latest stored one.
    public func checkpoint() async throws -> SignedNote {
        while true {
            let size = try await store.size()
            let latest = try await store.latestCheckpoint()
            let previous = try latest.map { try verifiedOnce($0) }
            if let latest, let previous, latest.size == size {
                return try await withCosignatures(previous.note, size: latest.size)
            }
            guard let signer else { throw LedgerError.noOperatorKey }
            let root = try await root(size: size)
            if let previous {
                let proof = try await consistencyProof(from: previous.body.size, to: size)
                guard
                    Proofs.verifyConsistency(
                        oldSize: previous.body.size, newSize: size, oldRoot: previous.body.root, newRoot: root,
                        proof: proof)
                else {
                    throw LedgerError.inconsistent(
                        "the log of size \(size) does not extend checkpoint \(previous.body.size)")
                }
            }
            let body = try Checkpoint(origin: metadata.origin, size: size, root: root)
            let note = try SignedNote(text: body.text, signatures: [signer.sign(body.text)])
            do {
                try await store.addCheckpoint(size: size, note: note.encoded)
                lastVerified = (StoredCheckpoint(size: size, note: note.encoded), note, body)
                logger.info("checkpoint signed", metadata: ["size": "\(size)", "root": "\(root.base64)"])
                return note
            } catch LedgerStoreError.staleCheckpoint {
                continue  // another process signed one meanwhile: start again from it
            }
        }
    }

    /// `note` with the witness cosignatures stored for its size (unparsable lines are left out).
    public func withCosignatures(_ note: SignedNote, size: Int64) async throws -> SignedNote {
        let lines = try await store.cosignatures(size: size)
        guard !lines.isEmpty else { return note }
        var cosigned = note
        for line in lines {
            if let parsed = try? SignedNote(parsing: note.text + "\n" + line + "\n"),
                let signature = parsed.signatures.first
            {
                cosigned.add(signature)
            }
        }
        return cosigned
    }

    /// The C2SP tlog-witness `add-checkpoint` request for the latest checkpoint, with a consistency proof from
    /// `oldSize` (the size the witness last cosigned; 0 the first time).
    public func witnessRequest(oldSize: Int64) async throws -> WitnessRequest {
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        guard oldSize >= 0, oldSize <= body.size else { throw LedgerError.badTreeSize(oldSize, size: body.size) }
        let proof = oldSize == 0 ? [] : try await consistencyProof(from: oldSize, to: body.size)
        return WitnessRequest(oldSize: oldSize, proof: proof, checkpoint: note)
    }

    /// Keeps the cosignature lines (a witness's `add-checkpoint` response) that verify, with `witnesses`, over
    /// the latest checkpoint; returns the names of the witnesses whose cosignatures were kept.
    public func addCosignatures(_ response: String, witnesses: [CosignatureVerifier]) async throws -> [String] {
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        let lines = response.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var kept: [String] = []
        var names: [String] = []
        for line in lines {
            guard let parsed = try? SignedNote(parsing: note.text + "\n" + line + "\n"),
                case .verified(let signers) = parsed.verify(witnesses), let name = signers.first
            else { continue }
            kept.append(line)
            names.append(name)
        }
        guard !kept.isEmpty else {
            throw FormatError(
                "witness.cosignature",
                "no cosignature verifies with the given witness keys over checkpoint \(body.size)")
        }
        try await store.addCosignatures(size: body.size, lines: kept)
        return names
    }

    private func verifiedOnce(_ stored: StoredCheckpoint) throws -> (note: SignedNote, body: Checkpoint) {
        if let lastVerified, lastVerified.stored == stored { return (lastVerified.note, lastVerified.body) }
        let result = try verified(stored)
        lastVerified = (stored, result.note, result.body)
        return result
    }

    /// The latest stored checkpoint without signing anything, if there is one.
    public nonisolated func latestCheckpoint() async throws -> SignedNote? {
        try await store.latestCheckpoint().map { try verified($0).note }
    }

    private nonisolated func verified(_ stored: StoredCheckpoint) throws -> (note: SignedNote, body: Checkpoint) {
        let note: SignedNote
        let body: Checkpoint
        do {
            note = try SignedNote(parsing: stored.note)
            body = try Checkpoint(text: note.text)
        } catch {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) is malformed: \(error)")
        }
        guard note.verify([operatorVerifier]).isValid else {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) is not signed by the operator")
        }
        guard body.size == stored.size, body.origin == metadata.origin else {
            throw LedgerError.inconsistent("the stored checkpoint of size \(stored.size) does not match its row")
        }
        return (note, body)
    }

    /// A tlog-proof of record `seq` against the latest checkpoint (signing one if needed).
    public func inclusionProof(_ seq: Int64) async throws -> TlogProof {
        let note = try await checkpoint()
        let body = try lastVerified.flatMap { $0.note == note ? $0.body : nil } ?? Checkpoint(text: note.text)
        guard seq >= 0, seq < body.size else { throw LedgerError.noSuchRecord(seq: seq, size: body.size) }
        let plan = HashReadPlan.inclusionProof(index: seq, size: body.size)
        return TlogProof(index: seq, path: plan.combine(try await store.hashes(at: plan.indices)), checkpoint: note)
    }

    /// The tlog-proofs of several records against one checkpoint (the latest, signed first if the log grew),
    /// with every hash they need read in one batch, and the records themselves.
    public func inclusionProofs(_ seqs: [Int64]) async throws -> (proofs: [TlogProof], entries: [[UInt8]]) {
        let note = try await checkpoint()
        let body = try lastVerified.flatMap { $0.note == note ? $0.body : nil } ?? Checkpoint(text: note.text)
        for seq in seqs where seq < 0 || seq >= body.size {
            throw LedgerError.noSuchRecord(seq: seq, size: body.size)
        }
        let plans = seqs.map { HashReadPlan.inclusionProof(index: $0, size: body.size) }
        async let entries = store.records(at: seqs)
        // A proof's hashes are tree hashes of leaf ranges, which never change: wide ranges (shared by many
        // proofs) come from a cache; the others are read once each, in one batch.
        if rangeHashes.count > Ledger.maxCachedRanges { rangeHashes.removeAll(keepingCapacity: true) }
        // What the cache has is taken now: the actor is re-entered while the others are read, and a concurrent
        // call may empty the cache meanwhile.
        var known: [Range<Int64>: Hash] = [:]
        var missing: [Range<Int64>] = []
        for range in Set(plans.flatMap(\.ranges)) {
            if let hash = rangeHashes[range] { known[range] = hash } else { missing.append(range) }
        }
        if !missing.isEmpty {
            let plan = HashReadPlan(ranges: missing)
            let unique = Array(Set(plan.indices))
            let read = Dictionary(uniqueKeysWithValues: zip(unique, try await store.hashes(at: unique)))
            // `read` holds every index of the plan: `unique` is the plan's indices.
            for (range, hash) in zip(missing, plan.combine(plan.indices.map { read[$0]! })) {
                known[range] = hash
                if range.count >= Ledger.cachedRangeWidth { rangeHashes[range] = hash }
            }
        }
        let proofs = zip(seqs, plans).map { seq, plan in
            // Every range of every plan is in `known`: taken from the cache above, or read.
            TlogProof(index: seq, path: plan.ranges.map { known[$0]! }, checkpoint: note)
        }
        return (proofs, try await entries)
    }

    /// The consistency proof from tree size `old` to `new` (RFC 9162 §2.1.4.1).
    public nonisolated func consistencyProof(from old: Int64, to new: Int64) async throws -> [Hash] {
        let size = try await store.size()
        guard new >= 0, new <= size else { throw LedgerError.badTreeSize(new, size: size) }
        guard old >= 0, old <= new else { throw LedgerError.badTreeSize(old, size: new) }
        let plan = HashReadPlan.consistencyProof(oldSize: old, newSize: new)
        return plan.combine(try await store.hashes(at: plan.indices))
    }
}
