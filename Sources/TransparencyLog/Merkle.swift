import Crypto
import Foundation

/// RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256.
public enum Merkle {
    /// The root of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
    public static let emptyRoot = Hash.sha256([UInt8]())

    /// The leaf hash `SHA-256(0x00 ‖ entry)` (RFC 9162 §2.1.1).
    public static func leafHash(_ entry: some DataProtocol) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(data: entry)
        return Hash(digest: hasher.finalize())
    }

    /// The leaf hash of a record's bytes (not generic, so that callers in other modules need no runtime type
    /// metadata; the audit hashes every record).
    public static func leafHash(_ entry: [UInt8]) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        entry.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hash(digest: hasher.finalize())
    }

    /// The interior node hash `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
        left.withBytes { hasher.update(bufferPointer: $0) }
        right.withBytes { hasher.update(bufferPointer: $0) }
        return Hash(digest: hasher.finalize())
    }

    /// The tree hash of a list of leaf hashes (RFC 9162 §2.1.1, MTH), computed in O(n) with a compact range.
    public static func rootHash(leafHashes: some Sequence<Hash>) -> Hash {
        var range = CompactRange()
        for leaf in leafHashes { range.append(leaf) }
        return range.root
    }

    /// The largest power of two strictly smaller than `n` (RFC 9162 §2.1.1's `k`), for `n > 1`.
    static func splitPoint(_ n: Int64) -> Int64 {
        precondition(n > 1, "split of a tree with fewer than two leaves")
        return Int64(1) << (63 - (n - 1).leadingZeroBitCount)
    }
}
