/// The stored-hash layout: every hash a log ever needs, in one append-only array.
///
/// When leaf `n` is appended the log stores its leaf hash and then the hash of every complete
/// subtree that leaf closes (levels 1, 2, …), in that order — `1 + trailingZeros(n + 1)` hashes,
/// two on average. Every complete, aligned subtree of the tree is therefore stored exactly once,
/// and any root or proof is a combination of O(log n) of them, read in one batch.
///
/// `Specs/02-transparency-log.md` §Stored hashes gives the index formula with examples.
public enum StoredHashes {
    /// The number of hashes stored for a tree of `size` leaves: `size + ⌊size/2⌋ + ⌊size/4⌋ + …`.
    public static func count(size: Int64) -> Int64 {
        var total: Int64 = 0
        var n = size
        while n > 0 {
            total += n
            n >>= 1
        }
        return total
    }

    /// The index of the hash of the complete subtree at `level` covering leaves
    /// `[offset·2^level, (offset+1)·2^level)`: stored right after the leaf that closes it.
    public static func index(level: Int, offset: Int64) -> Int64 {
        let closingLeaf = ((offset + 1) << level) - 1
        return count(size: closingLeaf) + Int64(level)
    }

    /// The maximal complete, aligned subtrees that make up the leaf range `range`, left to right,
    /// as (level, offset) pairs. Their hashes, folded from the right, are the range's tree hash
    /// whenever the range is a node of the RFC 9162 §2.1.1 recursion.
    public static func subtrees(covering range: Range<Int64>) -> [(level: Int, offset: Int64)] {
        var result: [(level: Int, offset: Int64)] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let remaining = range.upperBound - start
            let sizeLevel = 63 - remaining.leadingZeroBitCount
            let alignLevel = start == 0 ? 63 : start.trailingZeroBitCount
            let level = min(sizeLevel, alignLevel)
            result.append((level, start >> level))
            start += Int64(1) << level
        }
        return result
    }

    /// The indices of the hashes that make up a `CompactRange` for a tree of `size` leaves.
    public static func compactRangeIndices(size: Int64) -> [Int64] {
        subtrees(covering: 0..<size).map { index(level: $0.level, offset: $0.offset) }
    }

    /// The indices of the hashes in tlog-tiles tile `tile` (its `width` hashes at level `8·tile.level`).
    public static func indices(of tile: Tile) -> [Int64] {
        let level = tile.level * Tile.height
        let first = tile.index * Int64(Tile.width)
        return (0..<Int64(tile.width)).map { index(level: level, offset: first + $0) }
    }
}

/// A computation over stored hashes, planned as in Go's sumdb/tlog: first the indices to read,
/// then, once the caller has read them in one batch, the combination.
public struct HashReadPlan: Sendable, Equatable {
    /// Leaf ranges whose tree hashes the result is made of, in order.
    public let ranges: [Range<Int64>]
    /// The stored-hash indices to read, in order; several ranges may share none.
    public let indices: [Int64]
    private let counts: [Int]

    /// The plan for the tree hashes of `ranges` (each a non-empty range of leaves).
    public init(ranges: [Range<Int64>]) {
        self.ranges = ranges
        var indices: [Int64] = []
        var counts: [Int] = []
        for range in ranges {
            let parts = StoredHashes.subtrees(covering: range)
            counts.append(parts.count)
            indices += parts.map { StoredHashes.index(level: $0.level, offset: $0.offset) }
        }
        self.indices = indices
        self.counts = counts
    }

    /// The hash of each range, given `stored[i]` = the hash at `indices[i]`.
    public func combine(_ stored: [Hash]) -> [Hash] {
        precondition(stored.count == indices.count, "read plan given \(stored.count) of \(indices.count) hashes")
        var result: [Hash] = []
        result.reserveCapacity(counts.count)
        var next = 0
        for count in counts {
            let parts = stored[next..<next + count]
            next += count
            // Every range is read as one or more stored hashes (`counts` holds no zero).
            var hash = parts.last!
            for left in parts.dropLast().reversed() {
                hash = Merkle.nodeHash(left, hash)
            }
            result.append(hash)
        }
        return result
    }

    /// The plan for the tree hash of `[0, size)`; `combine` yields one hash, or none for the empty tree
    /// (whose root is `Merkle.emptyRoot`).
    public static func root(size: Int64) -> HashReadPlan {
        HashReadPlan(ranges: size == 0 ? [] : [0..<size])
    }

    /// The plan for the inclusion proof of leaf `index` in a tree of `size` leaves (RFC 9162 §2.1.3.1),
    /// leaf-to-root order.
    public static func inclusionProof(index: Int64, size: Int64) -> HashReadPlan {
        precondition(0 <= index && index < size, "inclusion proof of \(index) in a tree of \(size)")
        var ranges: [Range<Int64>] = []
        func path(_ m: Int64, _ low: Int64, _ high: Int64) {
            let n = high - low
            guard n > 1 else { return }
            let k = Merkle.splitPoint(n)
            if m < k {
                path(m, low, low + k)
                ranges.append(low + k..<high)
            } else {
                path(m - k, low + k, high)
                ranges.append(low..<low + k)
            }
        }
        path(index, 0, size)
        return HashReadPlan(ranges: ranges)
    }

    /// The plan for the consistency proof from `oldSize` to `newSize` (RFC 9162 §2.1.4.1).
    /// Empty when `oldSize` is 0 or equals `newSize`.
    public static func consistencyProof(oldSize: Int64, newSize: Int64) -> HashReadPlan {
        precondition(0 <= oldSize && oldSize <= newSize, "consistency proof from \(oldSize) to \(newSize)")
        var ranges: [Range<Int64>] = []
        func subproof(_ m: Int64, _ low: Int64, _ high: Int64, _ complete: Bool) {
            let n = high - low
            if m == n {
                if !complete { ranges.append(low..<high) }
                return
            }
            let k = Merkle.splitPoint(n)
            if m <= k {
                subproof(m, low, low + k, complete)
                ranges.append(low + k..<high)
            } else {
                subproof(m - k, low + k, high, false)
                ranges.append(low..<low + k)
            }
        }
        if oldSize > 0 && oldSize < newSize { subproof(oldSize, 0, newSize, true) }
        return HashReadPlan(ranges: ranges)
    }
}
