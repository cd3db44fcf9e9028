import Foundation
import LedgerStore
import Logging
import Provenance
import TransparencyLog

/// Statements that passed `Ledger.prepare`: every signature verified, within the size limit, in canonical
/// form. Only `prepare` makes them, so nothing unchecked can reach the log through the engine.
public struct PreparedStatements: Sendable {
    let canonical: [[UInt8]]

    /// How many statements.
    public var count: Int { canonical.count }
}

/// The engine over one store: appends signed statements (group commit), signs checkpoints,
/// and proves inclusion and consistency.
public actor Ledger {
    /// The store.
    public nonisolated let store: any LedgerStore
    /// The metadata the ledger was created with.
    public nonisolated let metadata: LedgerMetadata
    /// The operator's checkpoint verifier.
    public nonisolated let operatorVerifier: Ed25519NoteVerifier
    private let signer: Ed25519NoteSigner?
    private let clock: @Sendable () -> Int64
    private let logger: Logger

    /// The default logger: silent. A library logs only when its host hands it a logger.
    public static let quiet = Logger(label: "threadline.ledger", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The most records one transaction carries.
    public static let maxBatch = 10_000

    private struct Pending {
        let statements: [[UInt8]]
        let continuation: CheckedContinuation<Range<Int64>, any Error>
    }
    private var queue: [Pending] = []
    private var writing = false
    /// The last stored checkpoint this engine verified, so proofs need not re-check its signature.
    private var lastVerified: (stored: StoredCheckpoint, note: SignedNote, body: Checkpoint)?

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
    }

    /// The metadata for a new ledger whose operator key is `operatorKey` (its name becomes the origin).
    public static func metadata(operatorKey: SigningKey) -> LedgerMetadata {
        LedgerMetadata(origin: operatorKey.name, operatorKey: operatorKey.keyID)
    }

    // MARK: Appending

    /// Checks each envelope (syntax, every signature, size) and returns its canonical bytes, in parallel.
    public nonisolated static func prepare(_ envelopes: [Envelope]) throws -> PreparedStatements {
        let checked = Parallel.map(envelopes, state: { [String: Ed25519NoteVerifier]() }) {
            envelope, cache -> Result<[UInt8], FormatError> in
            envelope.verifySignatures(cache: &cache).flatMap { _ in
                let json = envelope.canonicalJSON
                guard json.count <= LedgerRecord.maxEnvelopeBytes else {
                    return .failure(
                        FormatError(
                            "record.size",
                            "the statement is \(json.count) bytes as stored; a record holds at most "
                                + "\(LedgerRecord.maxEnvelopeBytes) (records are limited to 64 KiB − 1)"))
                }
                return .success(json)
            }
        }
        return PreparedStatements(
            canonical: try checked.enumerated().map { index, result in
                switch result {
                case .success(let json): return json
                case .failure(let error): throw LedgerError.invalidStatement(index: index, error)
                }
            })
    }

    /// Decodes submitted DSSE envelope JSON documents (any valid form) and checks them as `prepare` does,
    /// in parallel. Errors name the submission's index.
    public nonisolated static func prepare(submissions: [[UInt8]]) throws -> PreparedStatements {
        let decoded = Parallel.map(submissions) { json -> Result<Envelope, FormatError> in
            do { return .success(try Envelope(json: json)) } catch let error as FormatError {
                return .failure(error)
            } catch {
                return .failure(FormatError("envelope.json", "\(error)"))
            }
        }
        let envelopes = try decoded.enumerated().map { index, result in
            switch result {
            case .success(let envelope): return envelope
            case .failure(let error): throw LedgerError.invalidStatement(index: index, error)
            }
        }
        return try prepare(envelopes)
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
    public func append(prepared: PreparedStatements) async throws -> Range<Int64> {
        let statements = prepared.canonical
        guard !statements.isEmpty else {
            let size = try await store.size()
            return size..<size
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(statements: statements, continuation: continuation))
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
            while let next = queue.first, group.isEmpty || count + next.statements.count <= Ledger.maxBatch {
                group.append(queue.removeFirst())
                count += next.statements.count
            }
            let statements = group.flatMap(\.statements)
            let time = clock()
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                let head = try await store.append { head in try Ledger.build(statements, on: head, time: time) }
                logger.debug(
                    "batch durable",
                    metadata: [
                        "records": "\(statements.count)", "requests": "\(group.count)", "size": "\(head.size)",
                        "ms": "\((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)",
                    ])
                var next = head.size - Int64(statements.count)
                for pending in group {
                    let end = next + Int64(pending.statements.count)
                    pending.continuation.resume(returning: next..<end)
                    next = end
                }
            } catch {
                logger.warning("batch refused", metadata: ["records": "\(statements.count)", "error": "\(error)"])
                for pending in group { pending.continuation.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// Builds the records and stored hashes for `statements` on top of `head` (runs under the store's lock).
    static func build(_ statements: [[UInt8]], on head: LedgerHead, time: Int64) throws -> AppendBatch {
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
        return AppendBatch(
            records: records, hashes: hashes,
            head: LedgerHead(size: range.size, range: range, lastLeafHash: prev))
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
            if let latest, let previous, latest.size == size { return previous.note }
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
        let body = lastVerified?.note == note ? lastVerified!.body : try Checkpoint(text: note.text)
        guard seq >= 0, seq < body.size else { throw LedgerError.noSuchRecord(seq: seq, size: body.size) }
        let plan = HashReadPlan.inclusionProof(index: seq, size: body.size)
        return TlogProof(index: seq, path: plan.combine(try await store.hashes(at: plan.indices)), checkpoint: note)
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
