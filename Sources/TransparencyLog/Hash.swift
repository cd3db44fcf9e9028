import Crypto
import Foundation

/// A SHA-256 hash, held inline (no heap allocation) so that trees of millions of
/// hashes stay cheap to build, copy and compare.
public struct Hash: Hashable, Sendable, Comparable, CustomStringConvertible {
    // The 32 bytes in memory order; the words are storage, not numbers.
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0

    /// The number of bytes in a hash.
    public static let byteCount = 32

    /// The all-zero hash, used where a value is needed before there is one (the first record's `prev`).
    public static let zero = Hash()

    private init() {}

    /// Creates a hash from exactly 32 bytes; returns nil for any other length.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == Hash.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &self) { out in
            out.copyBytes(from: bytes)
        }
    }

    /// Creates a hash from exactly 32 bytes; returns nil for any other length. (Not generic, so callers in
    /// other modules need no runtime type metadata: the audit makes one per record.)
    public init?(bytes: [UInt8]) {
        guard bytes.count == Hash.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &self) { out in bytes.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// Creates a hash from exactly 32 bytes in memory; returns nil for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Hash.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &self) { $0.copyMemory(from: bytes) }
    }

    /// Creates a hash from exactly 32 bytes of `data`; returns nil for any other length.
    public init?(bytes data: Data) {
        guard data.count == Hash.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &self) { out in data.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// Decodes standard base64 (RFC 4648 §4) of exactly 32 bytes.
    public init?(base64 text: some StringProtocol) {
        guard let data = Data(base64Encoded: String(text)) else { return nil }
        self.init(bytes: data)
    }

    init(digest: SHA256.Digest) {
        self.init()
        withUnsafeMutableBytes(of: &self) { out in
            digest.withUnsafeBytes { out.copyMemory(from: $0) }
        }
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> Hash {
        Hash(digest: SHA256.hash(data: data))
    }

    /// SHA-256 of `bytes` (not generic, so that callers in other modules need no runtime type metadata: the audit
    /// hashes every event).
    public static func sha256(_ bytes: [UInt8]) -> Hash {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hash(digest: hasher.finalize())
    }

    /// SHA-256 of the bytes in memory.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> Hash {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return Hash(digest: hasher.finalize())
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: self) { Array($0) }
    }

    /// The 32 bytes as `Data`.
    public var data: Data {
        withUnsafeBytes(of: self) { Data($0) }
    }

    /// Calls `body` with the 32 bytes, without copying.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self, body)
    }

    /// Standard base64 with padding, as used by checkpoints and proofs.
    public var base64: String { data.base64EncodedString() }

    /// Lower-case hexadecimal.
    public var hex: String { hex(between: "", and: "") }

    /// `prefix`, the lower-case hexadecimal, then `suffix`: one string made at once (an event hash URI is made
    /// for every event read).
    public func hex(between prefix: StaticString, and suffix: StaticString) -> String {
        let (head, tail) = (prefix.utf8CodeUnitCount, suffix.utf8CodeUnitCount)
        return String(unsafeUninitializedCapacity: head + 2 * Hash.byteCount + tail) { out in
            let digits: StaticString = "0123456789abcdef"
            if head > 0 {
                _ = UnsafeMutableBufferPointer(rebasing: out[..<head]).initialize(
                    from: UnsafeBufferPointer(start: prefix.utf8Start, count: head))
            }
            withUnsafeBytes(of: self) { bytes in
                for (i, byte) in bytes.enumerated() {
                    out[head + 2 * i] = digits.utf8Start[Int(byte >> 4)]
                    out[head + 2 * i + 1] = digits.utf8Start[Int(byte & 15)]
                }
            }
            let end = head + 2 * Hash.byteCount
            if tail > 0 {
                _ = UnsafeMutableBufferPointer(rebasing: out[end...]).initialize(
                    from: UnsafeBufferPointer(start: suffix.utf8Start, count: tail))
            }
            return end + tail
        }
    }

    public var description: String { base64 }

    /// The bytes' lexicographic order, word by word (each word read as big-endian is its bytes in order).
    public static func < (lhs: Hash, rhs: Hash) -> Bool {
        let (l, r) = (lhs.orderedWords, rhs.orderedWords)
        return l < r
    }

    private var orderedWords: (UInt64, UInt64, UInt64, UInt64) {
        (UInt64(bigEndian: w0), UInt64(bigEndian: w1), UInt64(bigEndian: w2), UInt64(bigEndian: w3))
    }
}
