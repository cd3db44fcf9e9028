/// The right edge of a Merkle tree: one hash per maximal complete subtree of `[0, size)`,
/// largest (leftmost) first. It is all an appender needs to extend the tree and compute its root.
public struct CompactRange: Sendable, Equatable {
    /// The number of leaves covered.
    public private(set) var size: Int64
    /// Hashes of the maximal complete subtrees, left to right (one per set bit of `size`, high to low).
    public private(set) var hashes: [Hash]

    /// An empty range.
    public init() {
        size = 0
        hashes = []
    }

    /// A range for a tree of `size` leaves from the hashes of its maximal complete subtrees,
    /// as read at `StoredHashes.compactRangeIndices(size:)`. Returns nil when the count does not match.
    public init?(size: Int64, hashes: [Hash]) {
        guard size >= 0, hashes.count == size.nonzeroBitCount else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Appends a leaf hash and returns the hashes that become storable, in stored-hash order:
    /// the leaf itself, then every complete subtree it closes (level 1, 2, …).
    @discardableResult
    public mutating func append(_ leafHash: Hash) -> [Hash] {
        var produced: [Hash] = []
        append(leafHash, into: &produced)
        return produced
    }

    /// Appends a leaf hash, writing the hashes that become storable into `stored`.
    public mutating func append(_ leafHash: Hash, into stored: inout [Hash]) {
        stored.append(leafHash)
        var hash = leafHash
        var closing = size
        while closing & 1 == 1 {
            hash = Merkle.nodeHash(hashes.removeLast(), hash)
            stored.append(hash)
            closing >>= 1
        }
        hashes.append(hash)
        size += 1
    }

    /// The tree hash of `[0, size)` (RFC 9162 §2.1.1): the subtree hashes folded from the right.
    public var root: Hash {
        guard var hash = hashes.last else { return Merkle.emptyRoot }
        for left in hashes.dropLast().reversed() {
            hash = Merkle.nodeHash(left, hash)
        }
        return hash
    }
}
