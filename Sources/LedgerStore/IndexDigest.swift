/// A keyed digest of index entries, summed by block of records: how an audit compares a store's index with the keys
/// the log's records name without reading the index in record order (`Specs/10-index.md` §3, "The audit's
/// comparison"). The store sums its entries' digests block by block in whatever order it keeps them
/// (`LedgerStore.indexDigests(below:using:)`); the audit sums the digests of the keys each record names; a block
/// whose sums differ is compared entry by entry.
///
/// The digest is keyed afresh for each audit (a random salt, on top of the process's random `Hasher` seed), so
/// that whoever can write the index cannot choose entries whose digests add up to a block's: two different sets of
/// entries sum alike only by a 64-bit accident. Sums wrap, so the order entries are added in does not matter. It
/// is never stored nor sent: only sums made in one process with one `IndexDigest` are comparable.
public struct IndexDigest: Sendable {
    /// Records a sum covers: block `b` is records `b × blockSize ..< (b + 1) × blockSize`.
    public static let blockSize: Int64 = 4096

    private let keySalt: UInt64
    private let entrySalt: UInt64

    /// A digest with a fresh random key.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(salt: (generator.next(), generator.next()))
    }

    /// A digest with a given key (for tests).
    package init(salt: (UInt64, UInt64)) {
        (keySalt, entrySalt) = salt
    }

    /// The number of blocks that hold the records below `end`.
    public static func blocks(below end: Int64) -> Int {
        Int((max(end, 0) + blockSize - 1) / blockSize)
    }

    /// The block holding record `seq`.
    public static func block(of seq: Int64) -> Int { Int(seq / blockSize) }

    /// The digest of a key's UTF-8 (worked out once for every record a key names).
    public func key(_ utf8: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(keySalt)
        hasher.combine(utf8.count)
        hasher.combine(bytes: utf8)
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }

    /// The digest of the entry (key, `seq`), from the key's digest.
    public func entry(key: UInt64, seq: Int64) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(entrySalt)
        hasher.combine(key)
        hasher.combine(seq)
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }

    /// The sum of the digests of record `seq`'s entries for the keys packed in `bytes`, each ending at the next of
    /// `ends` (each key once).
    public func sum(packed bytes: [UInt8], ends: [Int], seq: Int64) -> UInt64 {
        bytes.withUnsafeBytes { buffer in
            var sum: UInt64 = 0
            var start = 0
            for end in ends {
                sum &+= entry(key: key(UnsafeRawBufferPointer(rebasing: buffer[start..<end])), seq: seq)
                start = end
            }
            return sum
        }
    }
}
