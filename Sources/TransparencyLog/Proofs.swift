/// Verification of RFC 9162 inclusion and consistency proofs. A failed check is `false`, never a crash.
public enum Proofs {
    /// Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
    /// (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(
        leafHash: Hash, index: Int64, size: Int64, proof: [Hash], root: Hash
    ) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = Merkle.nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = Merkle.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2). The empty tree (root `SHA-256("")`)
    /// is a prefix of every tree, with an empty proof.
    public static func verifyConsistency(
        oldSize: Int64, newSize: Int64, oldRoot: Hash, newRoot: Hash, proof: [Hash]
    ) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize {
            return proof.isEmpty && oldRoot == newRoot && (oldSize > 0 || oldRoot == Merkle.emptyRoot)
        }
        if oldSize == 0 { return proof.isEmpty && oldRoot == Merkle.emptyRoot }
        guard !proof.isEmpty else { return false }
        var path = proof[...]
        if oldSize.nonzeroBitCount == 1 { path = [oldRoot] + path }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // `path` is not empty: the proof is not (checked above).
        var fr = path.first!
        var sr = path.first!
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = Merkle.nodeHash(c, fr)
                sr = Merkle.nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = Merkle.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }

    /// `verifyInclusion` over bytes as received (hashes of any length; an index that may not fit):
    /// anything that is not a 32-byte hash or a valid index fails.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        guard let leaf = Hash(bytes: leafHash), let root = Hash(bytes: root), let index = Int64(exactly: index),
            let size = Int64(exactly: size), let path = hashes(proof)
        else { return false }
        return verifyInclusion(leafHash: leaf, index: index, size: size, proof: path, root: root)
    }

    /// `verifyConsistency` over bytes as received. Two equal sizes need only equal roots and an empty proof,
    /// whatever the roots hold (there is nothing to recompute), except that the empty tree's root is `SHA-256("")`.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard let old = Int64(exactly: oldSize), let new = Int64(exactly: newSize) else { return false }
        if old == new {
            return proof.isEmpty && oldRoot == newRoot && (old > 0 || oldRoot == Merkle.emptyRoot.bytes)
        }
        guard let oldHash = Hash(bytes: oldRoot), let newHash = Hash(bytes: newRoot), let path = hashes(proof) else {
            return false
        }
        return verifyConsistency(oldSize: old, newSize: new, oldRoot: oldHash, newRoot: newHash, proof: path)
    }

    private static func hashes(_ raw: [[UInt8]]) -> [Hash]? {
        var result: [Hash] = []
        for bytes in raw {
            guard let hash = Hash(bytes: bytes) else { return nil }
            result.append(hash)
        }
        return result
    }
}
