import Crypto
import Dispatch
import EPCIS
import Foundation
import LedgerRules
import LedgerStore
import Participants
import Statements
import TransparencyLog

/// One thing an audit found wrong: a stable code, the record it concerns (if any), and an explanation.
public struct AuditFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Stable codes; `Specs/05-cli.md` §verify lists them.
    public enum Code: String, Sendable, Codable {
        /// The record's bytes do not parse as a record.
        case recordMalformed = "record-malformed"
        /// The record's `seq` is not its position.
        case recordSequence = "record-sequence"
        /// A DSSE signature does not verify or names no usable key.
        case signatureInvalid = "signature-invalid"
        /// The record's `prev` is not the leaf hash of the record before it.
        case chainBroken = "chain-broken"
        /// A stored hash differs from the one the records give.
        case storedHashMismatch = "stored-hash-mismatch"
        /// A stored checkpoint does not parse, is not the operator's, or is for another log.
        case checkpointInvalid = "checkpoint-invalid"
        /// A stored checkpoint's root is not the tree hash of the records at its size.
        case checkpointRootMismatch = "checkpoint-root-mismatch"
        /// The store could not give what the audit needed (missing rows, a read error).
        case storeUnreadable = "store-unreadable"
        /// An EPCIS event or registry statement whose payload is not valid (10 §1).
        case statementInvalid = "statement-invalid"
        /// A signer whose key was not valid for the record: unknown, not yet registered, rotated out, revoked.
        case signerNotValid = "signer-not-valid"
        /// An event its signer's roles or company prefixes did not allow (10 §2).
        case recordingRule = "recording-rule"
        /// A registry statement that could not apply where it stands (09 §3).
        case registryRefused = "registry-refused"
        /// A product statement that could not apply where it stands: not its GTIN's owner's, or stale (24 §3).
        case productRefused = "product-refused"
        /// A hidden code's commitment not signed by its GTIN's owner, or committed twice; a verification not the
        /// operator's alone, or of a serial with no earlier commitment (24 §7).
        case codeRefused = "code-refused"
        /// An event with the same CBV 2.0 hash as an earlier record.
        case duplicateEvent = "duplicate-event"
        /// A statement (not an event) whose signed bytes an earlier record already holds: a replay (10 §2).
        case duplicateStatement = "duplicate-statement"
        /// The derived index disagrees with the log (an entry missing or extra); `threadline reindex` rebuilds it.
        case indexMismatch = "index-mismatch"
        /// A time anchor not by the operator, over no stored checkpoint, or whose token does not verify.
        case anchorInvalid = "anchor-invalid"
        /// A sealed record whose stored opening is missing, unreadable, or does not account for each of its
        /// digests; or an opening stored for a record that is not sealed.
        case openingInvalid = "opening-invalid"
        /// An erasure statement not by the operator, or naming a digest its record's opening does not list as
        /// erased by it; or an opening listing a digest as erased by a record that does not erase it.
        case erasureInvalid = "erasure-invalid"
    }

    /// What kind of problem.
    public let code: Code
    /// The record concerned, if the problem is in or about one.
    public let seq: Int64?
    /// What is wrong, for a person.
    public let message: String

    public init(code: Code, seq: Int64?, message: String) {
        self.code = code
        self.seq = seq
        self.message = message
    }

    public var description: String {
        (seq.map { "record \($0): " } ?? "") + "\(code.rawValue): \(message)"
    }
}

/// What an audit checked and found.
public struct AuditReport: Sendable, Codable {
    /// Records checked.
    public var records: Int64 = 0
    /// Signatures verified.
    public var signatures: Int64 = 0
    /// Stored hashes compared.
    public var storedHashes: Int64 = 0
    /// Checkpoints checked.
    public var checkpoints: Int = 0
    /// The latest checkpoint's size, if any.
    public var checkpointSize: Int64?
    /// EPCIS events, registry statements and product statements checked against the registry.
    public var events: Int64 = 0
    public var registryStatements: Int64 = 0
    public var productStatements: Int64 = 0
    /// Records whose index entries were compared with the log.
    public var indexedRecords: Int64 = 0
    /// Sealed records, each of whose digests was checked against its stored opening.
    public var sealedRecords: Int64 = 0
    /// Disclosures checked against their digests, and digests whose disclosure was erased.
    public var disclosures: Int64 = 0
    public var erasedDisclosures: Int64 = 0
    /// Problems, in log order; at most `Auditor.maxFindings`.
    public var findings: [AuditFinding] = []

    /// Whether nothing was found.
    public var isSound: Bool { findings.isEmpty }

    /// An empty report.
    public init() {}
}

/// The verification engine: re-derives everything in a ledger from its records and checks it all —
/// each record's syntax and DSSE signatures, the hash chain, every stored hash, every checkpoint's
/// signature and root (so the checkpoints are consistent with each other), the ledger's rules as they stood
/// at each record (registered, valid signer keys; roles; no duplicate events; valid registry changes), and
/// the derived index against the log. Signature and statement checks run on all cores.
public struct Auditor: Sendable {
    /// Records read and checked per step.
    public static let chunk: Int64 = 8192
    /// The blocks of the index compared entry by entry at most, when their digests disagree with the log's.
    public static let indexBlocksInDetail = 3
    /// The audit stops collecting after this many findings.
    public static let maxFindings = 100

    let store: any LedgerStore

    /// An auditor for `store`.
    public init(store: any LedgerStore) {
        self.store = store
    }

    /// What the in-order checks need of a record, worked out on the core that checked it, so that the record's
    /// envelope and parsed statement are let go there.
    struct Checked: Sendable {
        let leaf: Hash
        /// The record's `prev`; nil when the record does not parse.
        var prev: Hash?
        /// The keyids of its signatures.
        var signers: [String] = []
        var findings: [AuditFinding]
        var signatures = 0
        /// What the ledger's rules look at; nil when there is no valid statement.
        var statement: RuleInput?
        /// For an indexed record: the sum of the digests of the index entries its keys make (`IndexDigest`); nil
        /// when what it names cannot be known (a sealed record without a valid opening) or it is not indexed.
        var indexDigest: UInt64?
        /// Index keys the record names that the index lacks, and keys the index has for it that it does not name
        /// (found only for the records of a block whose digests disagree).
        var missingKeys: [String] = []
        var extraKeys: [String] = []
        /// For a sealed record: the disclosures checked and the digests erased.
        var sealed: (disclosures: Int, erased: Int)?
        /// For a sealed record: each erased digest and the record that erased it.
        var erasures: [Opening.Erased] = []
    }

    /// A statement as far as the in-order rules are concerned.
    enum RuleInput: Sendable {
        /// An event: the digest of its CBV 2.0 hash, and what it asks of its signers.
        case event(digest: Hash, demands: RecordingPolicy.Demands)
        case registry(RegistryStatement, digest: Hash)
        case anchor(checkpoint: String, token: [UInt8], digest: Hash)
        case erasure(Erasure, digest: Hash)
        case product(ProductData, digest: Hash)
        case commitment(CodeCommitment, digest: Hash)
        case verification(CodeVerification, digest: Hash)
        case opaque(digest: Hash)
    }

    /// One chunk of the log, read and checked record by record (on all cores): what the in-order checks need.
    struct CheckedChunk: Sendable {
        let span: Range<Int64>
        let checked: [Checked]
        let storedHashes: [Hash]
    }

    /// Runs the audit. `progress` is called after each chunk with (records checked, total).
    public func run(progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async -> AuditReport {
        var report = AuditReport()
        do {
            try await audit(&report, progress: progress)
        } catch {
            report.findings.append(AuditFinding(code: .storeUnreadable, seq: nil, message: "\(error)"))
        }
        return report
    }

    /// Reads `span` and checks each record on its own, on all cores: syntax, sequence, signatures, the statement,
    /// and the digest of the index entries the record's keys make (for records below `indexed`).
    private static func check(
        _ span: Range<Int64>, of store: any LedgerStore, indexed: Int64, digest: IndexDigest
    ) async throws
        -> CheckedChunk
    {
        async let records = store.records(span)
        async let hashes = store.hashes(
            in: StoredHashes.count(size: span.lowerBound)..<StoredHashes.count(size: span.upperBound))
        async let storedOpenings = store.openings(in: span)
        let (bytes, stored, openings) = try await (records, hashes, storedOpenings)
        let checked = await checkOnAllCores(bytes, from: span.lowerBound, openings: openings, indexed: indexed) {
            result, keys, seq in
            if let keys { result.indexDigest = digest.sum(packed: keys.bytes, ends: keys.ends, seq: seq) }
        }
        return CheckedChunk(span: span, checked: checked, storedHashes: stored)
    }

    /// Checks each of `records` (the first is record `first`) on its own, on all cores, and calls `keys` with
    /// the result, the index keys the record names (nil when unknown or not `indexed`) and its record.
    private static func checkOnAllCores(
        _ records: [[UInt8]], from first: Int64, openings: [Int64: [UInt8]], indexed: Int64,
        keys: @escaping @Sendable (inout Checked, PackedKeys?, Int64) -> Void
    ) async -> [Checked] {
        // The checks run on a dispatch queue: they keep both cores busy and must not hold the cooperative pool.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Parallel.map(Array(records.indices), state: { Workspace() }) { i, workspace in
                        let seq = first + Int64(i)
                        var (result, named) = Auditor.check(
                            bytes: records[i], opening: openings[seq], seq: seq, indexed: seq < indexed,
                            workspace: &workspace)
                        keys(&result, named, seq)
                        return result
                    })
            }
        }
    }

    /// Compares the index entries of records `span` (one block, below `indexed`) with the keys each names, entry
    /// by entry: the records whose entries disagree, each with the keys the index lacks and the keys it has that
    /// the record does not name.
    private static func compareIndex(
        _ span: Range<Int64>, of store: any LedgerStore
    ) async throws
        -> [(Int64, Checked)]
    {
        async let records = store.records(span)
        async let storedOpenings = store.openings(in: span)
        async let storedKeys = store.indexKeys(in: span)
        let (bytes, openings, found) = try await (records, storedOpenings, storedKeys)
        let checked = await checkOnAllCores(bytes, from: span.lowerBound, openings: openings, indexed: span.upperBound)
        { result, keys, seq in
            if let keys { Auditor.compare(expected: keys, found: found, seq: seq, into: &result) }
        }
        return checked.enumerated().compactMap { offset, result in
            result.missingKeys.isEmpty && result.extraKeys.isEmpty ? nil : (span.lowerBound + Int64(offset), result)
        }
    }

    /// Which of a record's index keys the index lacks, and which it has that the record does not name.
    private static func compare(expected: PackedKeys, found: IndexKeySpan, seq: Int64, into result: inout Checked) {
        guard !found.has(packed: expected.bytes, ends: expected.ends, for: seq) else { return }
        let byBytes: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let expected = Set(expected.strings)
        let found = Set(found.keys(of: seq).map { String(decoding: $0, as: UTF8.self) })
        result.missingKeys = expected.subtracting(found).sorted(by: byBytes)
        result.extraKeys = found.subtracting(expected).sorted(by: byBytes)
    }

    private func audit(_ report: inout AuditReport, progress: @Sendable (Int64, Int64) -> Void) async throws {
        let store = self.store
        // The whole log is read below: the store may start bringing it into memory now.
        await store.willReadAll()
        let size = try await store.size()
        let indexed = try await store.indexedSize()
        // The store sums its index's entries by block while the records are checked (`IndexDigest`).
        let digest = IndexDigest()
        let indexSums = Task { try await store.indexDigests(below: indexed, using: digest) }
        defer { indexSums.cancel() }
        var checks = try InOrderChecks(
            metadata: try await store.metadata(), checkpoints: try await store.checkpoints(), size: size,
            indexed: indexed)
        // Reading and checking the next two chunks overlaps the in-order checks of this one, so the cores never
        // wait for a read or for the last slices of a chunk.
        var pending: [Task<CheckedChunk, any Error>] = []
        var unread: Int64 = 0
        func readAhead() {
            while pending.count < 2, unread < size {
                let span = unread..<min(unread + Auditor.chunk, size)
                unread = span.upperBound
                pending.append(Task { try await Auditor.check(span, of: store, indexed: indexed, digest: digest) })
            }
        }
        // If the audit stops early (the store fails), the chunks read ahead are not wanted; what was checked
        // before is reported.
        defer {
            pending.forEach { $0.cancel() }
            report = checks.report
        }
        readAhead()
        while !pending.isEmpty {
            let chunk = try await pending.removeFirst().value
            readAhead()
            checks.check(chunk)
            progress(chunk.span.upperBound, size)
        }
        // The blocks whose sums disagree (and those holding a record whose keys are unknown) compared entry by
        // entry, the first few; the rest counted.
        let (inDetail, more) = checks.blocksToCompare(storeSums: try await indexSums.value)
        for block in inDetail {
            let start = Int64(block) * IndexDigest.blockSize
            let span = start..<min(start + IndexDigest.blockSize, indexed)
            checks.noteIndex(try await Auditor.compareIndex(span, of: store))
        }
        checks.noteIndex(moreBlocks: more)
        checks.finish(size: size)
    }

    /// What a core checking records keeps from one record to the next.
    private struct Workspace {
        /// The signers' keys met so far, by keyid.
        var verifiers: [String: Ed25519NoteVerifier] = [:]
        /// What reading events keeps (`EventFacts.Workspace`), the working memory for opening sealed ones among it.
        var facts = EventFacts.Workspace()
    }

    /// Checks one record on its own; returns what the in-order checks need and, if the record is `indexed`, the
    /// index keys it names.
    private static func check(
        bytes: [UInt8], opening: [UInt8]?, seq: Int64, indexed: Bool, workspace: inout Workspace
    ) -> (Checked, PackedKeys?) {
        var checked = Checked(leaf: Merkle.leafHash(bytes), findings: [])
        let record: LedgerRecord
        do { record = try LedgerRecord(bytes: bytes) } catch {
            checked.findings.append(AuditFinding(code: .recordMalformed, seq: seq, message: "\(error)"))
            return (checked, indexed ? PackedKeys() : nil)
        }
        checked.prev = record.prev
        checked.signers = record.envelope.signatures.map(\.keyid)
        if record.seq != seq {
            checked.findings.append(
                AuditFinding(code: .recordSequence, seq: seq, message: "the record says seq \(record.seq)"))
        }
        switch record.envelope.verifySignatures(cache: &workspace.verifiers) {
        case .success(let signers): checked.signatures = signers.count
        case .failure(let error):
            checked.findings.append(AuditFinding(code: .signatureInvalid, seq: seq, message: error.reason))
        }
        let (type, payload) = (record.envelope.payloadType, record.envelope.payload)
        // Most sealed records open from their bytes (`SealedEvent.openedBytes`); anything else, and any doubt, is
        // left to the general reader below, which also says what is wrong.
        if type == SealedEvent.payloadType, let stored = opening,
            let fast = SealedEvent.openedBytes(payload: payload, stored: stored, using: &workspace.facts.opening),
            let facts = try? EventFacts(payload: fast.event, indexKeys: indexed, using: &workspace.facts)
        {
            checked.sealed = (fast.disclosures, fast.erased.count)
            checked.erasures = fast.erased
            checked.statement = .event(digest: facts.digest, demands: facts.demands)
            return (checked, facts.indexKeys)
        }
        var opened: Opening?
        do {
            opened = try sealedOpening(type: type, opening: opening)
        } catch {
            checked.findings.append(AuditFinding(code: .openingInvalid, seq: seq, message: Auditor.reason(error)))
            // A sealed record's names cannot be known without its opening: its index entries are not compared.
            // (A stray opening beside another record says nothing about that record, which is checked on.)
            if type == SealedEvent.payloadType { return (checked, nil) }
        }
        do {
            if type == Statement.eventPayloadType {
                // Most records are events: read straight into what the rules and the index need.
                let facts = try EventFacts(payload: payload, indexKeys: indexed, using: &workspace.facts)
                checked.statement = .event(digest: facts.digest, demands: facts.demands)
                return (checked, facts.indexKeys)
            }
            if let opened { return checkSealed(payload, opened, seq: seq, indexed: indexed, checked) }
            let statement = try Statement(payloadType: type, payload: payload)
            switch statement {
            case .event(let event, _): checked.statement = .event(digest: event.hashDigest(), demands: .init(event))
            case .registry(let change, let digest): checked.statement = .registry(change, digest: digest)
            case .anchor(let checkpoint, let token, let digest):
                checked.statement = .anchor(checkpoint: checkpoint, token: token, digest: digest)
            case .erasure(let erasure, let digest): checked.statement = .erasure(erasure, digest: digest)
            case .product(let product, let digest): checked.statement = .product(product, digest: digest)
            case .commitment(let commitment, let digest): checked.statement = .commitment(commitment, digest: digest)
            case .verification(let verification, let digest):
                checked.statement = .verification(verification, digest: digest)
            case .opaque(let digest): checked.statement = .opaque(digest: digest)
            }
            return (checked, indexed ? statement.packedIndexKeys : nil)
        } catch {
            checked.findings.append(AuditFinding(code: .statementInvalid, seq: seq, message: Auditor.reason(error)))
            return (checked, indexed ? PackedKeys() : nil)
        }
    }

    /// A sealed event's record, opened whole with its opening (23 §3) and read as a plain event's payload would
    /// be — the opened event's bytes through `EventFacts`, the audit's reader of plain events. An opening that does
    /// not open it is `opening-invalid`; an event its erasures left incomplete is an opaque statement (23 §7).
    private static func checkSealed(
        _ payload: [UInt8], _ opened: Opening, seq: Int64, indexed: Bool, _ checked: Checked
    ) -> (Checked, PackedKeys?) {
        var checked = checked
        let json: JSONValue
        do { json = try Statement.openedSealedEvent(payload: payload, opening: opened) } catch {
            checked.findings.append(AuditFinding(code: .openingInvalid, seq: seq, message: Auditor.reason(error)))
            // What the record names cannot be known without its opening: its index entries are not compared.
            return (checked, nil)
        }
        checked.sealed = (opened.disclosures.count, opened.erased.count)
        checked.erasures = opened.erased
        do {
            let facts = try EventFacts(payload: Array(json.serialized.utf8), indexKeys: indexed)
            checked.statement = .event(digest: facts.digest, demands: facts.demands)
            return (checked, facts.indexKeys)
        } catch {
            guard !opened.erased.isEmpty else {
                checked.findings.append(
                    AuditFinding(code: .statementInvalid, seq: seq, message: Auditor.reason(error)))
                return (checked, indexed ? PackedKeys() : nil)
            }
            // What the erasures left is not an event: found by its digest alone, as the ledger reads it.
            let digest = Statement.digest(payloadType: SealedEvent.payloadType, payload: payload)
            checked.statement = .opaque(digest: digest)
            return (checked, indexed ? Statement.opaque(digest: digest).packedIndexKeys : nil)
        }
    }

    /// A sealed record's stored opening, read; nil for any other record. Throws when a sealed record has none or
    /// an unreadable one, or another record has one.
    private static func sealedOpening(type: String, opening: [UInt8]?) throws -> Opening? {
        guard type == SealedEvent.payloadType else {
            if opening != nil { throw AuditorIssue("an opening is stored for a record that is not sealed") }
            return nil
        }
        guard let opening else { throw AuditorIssue("no opening is stored for the sealed record") }
        return try Opening(stored: opening)
    }

    private struct AuditorIssue: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func reason(_ error: any Error) -> String { (error as? any CodedError)?.reason ?? "\(error)" }
}
