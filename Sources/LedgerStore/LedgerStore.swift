import TransparencyLog

/// What a ledger keeps: records, stored hashes, checkpoints and a little metadata, all append-only.
///
/// The protocol is the whole contract between the engine and a database. Sequencing happens inside
/// `append`, under the store's own lock (SQLite's write lock; a locked head row on PostgreSQL), so
/// any number of processes may append to one store and the log still has one gap-free order.
public protocol LedgerStore: OutboxStore {
    /// The metadata written when the ledger was created.
    func metadata() async throws -> LedgerMetadata

    /// The number of records.
    func size() async throws -> Int64

    /// Appends one batch atomically and durably. The store locks its head, reads it, calls `build`
    /// with it, writes the returned records at `head.size…` and hashes at `StoredHashes.count(head.size)…`,
    /// and commits. When this returns, the batch is durable; when it throws, none of it was written.
    func append(_ build: @Sendable (LedgerHead) throws -> AppendBatch) async throws -> LedgerHead

    /// The exact bytes of records `range` (all must exist).
    func records(_ range: Range<Int64>) async throws -> [[UInt8]]

    /// The exact bytes of the records at `seqs`, in the same order, in one read (all must exist).
    func records(at seqs: [Int64]) async throws -> [[UInt8]]

    /// The stored hashes at `indices`, in the same order (all must exist).
    func hashes(at indices: [Int64]) async throws -> [Hash]

    /// The stored hashes at the consecutive indices `range`.
    func hashes(in range: Range<Int64>) async throws -> [Hash]

    /// Every stored signed checkpoint, oldest first.
    func checkpoints() async throws -> [StoredCheckpoint]

    /// The latest stored checkpoint, if any.
    func latestCheckpoint() async throws -> StoredCheckpoint?

    /// Stores a signed checkpoint for tree size `size`. Refused (`LedgerStoreError.staleCheckpoint`)
    /// unless `size` is larger than every stored checkpoint's.
    func addCheckpoint(size: Int64, note: String) async throws

    /// The witness cosignature lines stored for the checkpoint of `size`, in the order they were added.
    func cosignatures(size: Int64) async throws -> [String]

    /// Keeps witness cosignature lines (C2SP tlog-cosignature) for the stored checkpoint of `size`; lines already
    /// kept are ignored. `outOfRange` when no checkpoint of that size is stored.
    func addCosignatures(size: Int64, lines: [String]) async throws

    // MARK: The derived index

    /// How many records the index covers (records `0..<indexedSize`). `append` extends the index with its
    /// batch's entries only when the index covers the whole log; otherwise it lags until `addIndex` catches
    /// it up.
    func indexedSize() async throws -> Int64

    /// The entries whose key is one of `keys` and whose record is at or after `from`, ordered by key, then
    /// record.
    func lookup(_ keys: [String], from: Int64) async throws -> [IndexEntry]

    /// Every entry of records `range`, ordered by record, then key (for audits that compare the index with
    /// the log).
    func indexEntries(in range: Range<Int64>) async throws -> [IndexEntry]

    /// The keys of the entries of records `range`, packed (what an audit compares with the log; a store can read
    /// them without a `String` per entry). The default gathers `indexEntries(in:)`.
    func indexKeys(in range: Range<Int64>) async throws -> IndexKeySpan

    /// The sums (wrapping) of `digest`'s digests of the entries of the records below `end`, by block of
    /// `IndexDigest.blockSize` records: what an audit compares with the log's, reading the index once in whatever
    /// order the store keeps it. The default sums `indexKeys(in:)` block by block.
    func indexDigests(below end: Int64, using digest: IndexDigest) async throws -> [UInt64]

    /// Adds the entries of records `from..<to` (`from` must be `indexedSize`, `to` at most the log's size).
    func addIndex(_ entries: [IndexEntry], from: Int64, to: Int64) async throws

    /// Empties the index (to rebuild it from the log).
    func resetIndex() async throws

    // MARK: Openings

    /// The stored openings of the sealed records among `seqs` (`Specs/23-sealed-events.md` §5): what opens each,
    /// as bytes the engine reads. Kept beside the log, never in it, and not append-only: an erasure rewrites one.
    /// A record without one is absent from the answer.
    func openings(at seqs: [Int64]) async throws -> [Int64: [UInt8]]

    /// The stored openings of the records in `range`.
    func openings(in range: Range<Int64>) async throws -> [Int64: [UInt8]]

    /// A hint that the whole log is about to be read through in order (an audit, a reindex): a store may start
    /// bringing it into memory now, so that the reads find it there. The default does nothing.
    func willReadAll() async
}

extension LedgerStore {
    public func willReadAll() async {}

    public func indexKeys(in range: Range<Int64>) async throws -> IndexKeySpan {
        var keys = IndexKeySpan(span: range)
        for entry in try await indexEntries(in: range) { try keys.append(entry.key, seq: entry.seq) }
        return keys.finished()
    }

    public func indexDigests(below end: Int64, using digest: IndexDigest) async throws -> [UInt64] {
        var sums: [UInt64] = []
        for block in 0..<IndexDigest.blocks(below: end) {
            let start = Int64(block) * IndexDigest.blockSize
            let keys = try await indexKeys(in: start..<min(start + IndexDigest.blockSize, end))
            var sum: UInt64 = 0
            for seq in keys.span {
                for key in keys.keys(of: seq) {
                    sum &+= key.withUnsafeBytes { digest.entry(key: digest.key($0), seq: seq) }
                }
            }
            sums.append(sum)
        }
        return sums
    }
}

/// One entry of the derived index: a key (an identifier, an event hash, a statement kind …) and a record
/// that names it. The index is rebuilt from the log at will; the log is the truth.
public struct IndexEntry: Sendable, Hashable {
    public let key: String
    public let seq: Int64

    public init(key: String, seq: Int64) {
        self.key = key
        self.seq = seq
    }
}

/// What a ledger was created with.
public struct LedgerMetadata: Sendable, Equatable {
    /// The log's origin: the checkpoint origin line and the operator key's name.
    public let origin: String
    /// The operator's C2SP verifier key (checkpoint signatures).
    public let operatorKey: String

    public init(origin: String, operatorKey: String) {
        self.origin = origin
        self.operatorKey = operatorKey
    }
}

/// The end of the log, as `append` sees it under the lock.
public struct LedgerHead: Sendable, Equatable {
    /// The number of records.
    public let size: Int64
    /// The right edge of the Merkle tree, enough to extend it.
    public let range: CompactRange
    /// The leaf hash of the last record (`Hash.zero` for an empty log): the next record's `prev`.
    public let lastLeafHash: Hash
    /// The subscriptions' version as `append` read it under the lock (`OutboxStore.subscriptions`); 0 elsewhere.
    public var subscriptions: Int64 = 0

    public init(size: Int64, range: CompactRange, lastLeafHash: Hash) {
        self.size = size
        self.range = range
        self.lastLeafHash = lastLeafHash
    }

    /// The head of an empty log.
    public static let empty = LedgerHead(size: 0, range: CompactRange(), lastLeafHash: .zero)

    /// The indices `append` reads to build a head of `size` records: the compact range, then the last leaf.
    public static func indices(size: Int64) -> [Int64] {
        size == 0 ? [] : StoredHashes.compactRangeIndices(size: size) + [StoredHashes.index(level: 0, offset: size - 1)]
    }

    /// Builds the head from the hashes read at `indices(size:)`.
    public init(size: Int64, hashes: [Hash]) throws {
        guard size > 0 else {
            self = .empty
            return
        }
        guard let range = CompactRange(size: size, hashes: Array(hashes.dropLast())), let last = hashes.last else {
            throw LedgerStoreError.corrupt("the stored hashes at the log's right edge are missing")
        }
        self.init(size: size, range: range, lastLeafHash: last)
    }
}

/// The records and hashes of one batch, built under the lock.
public struct AppendBatch: Sendable {
    /// The new records' bytes, for sequence numbers `head.size…`.
    public let records: [[UInt8]]
    /// The stored hashes they add, in stored-hash order.
    public let hashes: [Hash]
    /// The head after the batch.
    public let head: LedgerHead
    /// The batch's index entries, written with it when the index covers the whole log.
    public let index: [IndexEntry]
    /// Openings to write in the same transaction, by record: the batch's sealed records' and, for an erasure,
    /// an earlier record's rewritten one (each replaces what the store held).
    public let openings: [Int64: [UInt8]]
    /// Earlier records whose index entries are replaced (an erasure's record, whose erased fields no longer name
    /// anything): written when the index covers the record.
    public let reindexed: [Int64: Reindexing]
    /// The outbox messages the batch's records cause (`OutboxStore`), written pending in the same transaction, at
    /// `outboxMillis`.
    public var outbox: [OutboxMessage] = []
    public var outboxMillis: Int64 = 0

    public init(
        records: [[UInt8]], hashes: [Hash], head: LedgerHead, index: [IndexEntry] = [],
        openings: [Int64: [UInt8]] = [:], reindexed: [Int64: Reindexing] = [:]
    ) {
        self.records = records
        self.hashes = hashes
        self.head = head
        self.index = index
        self.openings = openings
        self.reindexed = reindexed
    }

    /// The batch that appends `records` (exact bytes) after `head`: their leaf hashes and every subtree they close,
    /// and their `index` entries.
    public init(
        appending records: [[UInt8]], to head: LedgerHead, index: [IndexEntry] = [], openings: [Int64: [UInt8]] = [:],
        reindexed: [Int64: Reindexing] = [:]
    ) {
        var range = head.range
        var hashes: [Hash] = []
        var last = head.lastLeafHash
        for record in records {
            last = Merkle.leafHash(record)
            range.append(last, into: &hashes)
        }
        self.init(
            records: records, hashes: hashes, head: LedgerHead(size: range.size, range: range, lastLeafHash: last),
            index: index, openings: openings, reindexed: reindexed)
    }

    /// Checks that the batch fits `before` (counts of records and hashes), so a bug cannot fork the log.
    package func check(extending before: LedgerHead) throws {
        let size = before.size + Int64(records.count)
        guard head.size == size,
            Int64(hashes.count) == StoredHashes.count(size: size) - StoredHashes.count(size: before.size),
            index.allSatisfy({ (before.size..<size).contains($0.seq) }),
            openings.keys.allSatisfy({ (0..<size).contains($0) }),
            reindexed.keys.allSatisfy({ (0..<before.size).contains($0) }),
            outbox.allSatisfy({ (before.size..<size).contains($0.seq) })
        else { throw LedgerStoreError.corrupt("an append batch does not match the head it was built on") }
    }
}

/// An indexed record's keys replaced: the keys it named, whose entries go (a store that keeps entries by key finds
/// them by these), and the keys it names now.
public struct Reindexing: Sendable, Equatable {
    public let before: [String]
    public let after: [String]

    public init(before: [String], after: [String]) {
        self.before = before
        self.after = after
    }
}

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Sendable, Equatable {
    /// The tree size it commits to.
    public let size: Int64
    /// The signed note, verbatim.
    public let note: String

    public init(size: Int64, note: String) {
        self.size = size
        self.note = note
    }
}

/// Why a store refused or failed.
public enum LedgerStoreError: Error, CustomStringConvertible, Equatable {
    /// There is no ledger at the location.
    case notFound(String)
    /// Something is already at the location.
    case alreadyExists(String)
    /// The location holds something that is not a Threadline ledger.
    case notALedger(String)
    /// A record, hash or range outside the log.
    case outOfRange(String)
    /// A checkpoint not newer than the latest stored one.
    case staleCheckpoint(size: Int64, latest: Int64)
    /// The stored data contradicts itself.
    case corrupt(String)
    /// The database cannot be reached or refused the request.
    case unavailable(String)
    /// A batch whose commit could not be confirmed: the connection was lost while committing and the outcome
    /// could not be read back. It may or may not be in the log; `verify` and a look at the records will tell.
    case commitUnknown(String)

    public var description: String {
        switch self {
        case .notFound(let location): "no ledger at \(location) (create one with 'threadline init')"
        case .alreadyExists(let location): "\(location) already exists; a new ledger needs a new location"
        case .notALedger(let location): "\(location) is not a Threadline ledger"
        case .outOfRange(let what): what
        case .staleCheckpoint(let size, let latest):
            "a checkpoint of size \(size) is not newer than the latest stored one (size \(latest))"
        case .corrupt(let what): "the ledger is damaged: \(what)"
        case .unavailable(let what): "the ledger's database is unavailable: \(what)"
        case .commitUnknown(let what): "the batch may or may not have been appended: \(what)"
        }
    }
}
