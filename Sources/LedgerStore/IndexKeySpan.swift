#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The index keys of a span of records, packed into one buffer: what an audit compares with the keys each record
/// names, read without a `String` (an allocation) per entry. Each record's keys are in byte order.
public struct IndexKeySpan: Sendable, Equatable {
    /// The records the span covers.
    public let span: Range<Int64>
    /// The keys' UTF-8, one after another.
    private var bytes: [UInt8] = []
    /// Where each key ends in `bytes`.
    private var keyEnds: [Int] = []
    /// Where the keys of each record before the current one end in `keyEnds`.
    private var recordEnds: [Int] = []
    /// Whether the current record's keys came in byte order so far.
    private var ordered = true

    /// An empty span of `span`'s records, to be filled by `append` in record order.
    public init(span: Range<Int64>) {
        self.span = span
        recordEnds.reserveCapacity(span.count)
    }

    /// Adds `key` (UTF-8) for record `seq`, which may not be before the last key's record.
    public mutating func append(key: UnsafeRawBufferPointer, seq: Int64) throws {
        guard span.contains(seq), seq >= span.lowerBound + Int64(recordEnds.count) else {
            throw LedgerStoreError.corrupt("index entry of record \(seq) out of order in \(span)")
        }
        while span.lowerBound + Int64(recordEnds.count) < seq { closeRecord() }
        let start = bytes.count
        bytes.append(
            contentsOf: UnsafeBufferPointer(
                start: key.baseAddress?.assumingMemoryBound(to: UInt8.self), count: key.count))
        let first = recordEnds.last ?? 0
        if ordered, keyEnds.count > first {
            ordered = precedes(keyEnds.count > 1 ? keyEnds[keyEnds.count - 2] : 0, start, bytes.count)
        }
        keyEnds.append(bytes.count)
    }

    /// Adds `key` for record `seq` (see `append(key:seq:)`).
    public mutating func append(_ key: String, seq: Int64) throws {
        var key = key
        try key.withUTF8 { try append(key: UnsafeRawBufferPointer($0), seq: seq) }
    }

    /// Whether the bytes `a..<b` come before `b..<end` in byte order.
    private func precedes(_ a: Int, _ b: Int, _ end: Int) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            let common = min(b - a, end - b)
            let order = common == 0 ? 0 : memcmp(buffer.baseAddress! + a, buffer.baseAddress! + b, common)
            return order < 0 || (order == 0 && b - a < end - b)
        }
    }

    /// Ends the current record: its keys are put in byte order if they did not come so.
    private mutating func closeRecord() {
        let first = recordEnds.last ?? 0
        if !ordered {
            // Copied out first, so that writing them back does not copy the whole buffer (the slices share it).
            let keys = (first..<keyEnds.count).map { Array(key(at: $0)) }.sorted { $0.lexicographicallyPrecedes($1) }
            var at = first == 0 ? 0 : keyEnds[first - 1]
            for (offset, key) in keys.enumerated() {
                bytes.replaceSubrange(at..<at + key.count, with: key)
                at += key.count
                keyEnds[first + offset] = at
            }
            ordered = true
        }
        recordEnds.append(keyEnds.count)
    }

    /// The span with every record closed (records after the last key have none).
    public func finished() -> IndexKeySpan {
        var span = self
        while Int64(span.recordEnds.count) < span.span.count { span.closeRecord() }
        return span
    }

    private func key(at index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : keyEnds[index - 1])..<keyEnds[index]]
    }

    /// The keys of record `seq` (in the span and finished), in byte order.
    public func keys(of seq: Int64) -> [ArraySlice<UInt8>] {
        keyRange(of: seq).map(key(at:))
    }

    /// How many keys record `seq` has.
    public func keyCount(of seq: Int64) -> Int { keyRange(of: seq).count }

    /// Whether record `seq`'s keys are exactly the packed keys `bytes` (in byte order, each once), which end at
    /// `ends`: one comparison of the bytes and of the keys' lengths.
    public func has(packed keys: [UInt8], ends: [Int], for seq: Int64) -> Bool {
        let range = keyRange(of: seq)
        guard range.count == ends.count else { return false }
        let base = range.lowerBound == 0 ? 0 : keyEnds[range.lowerBound - 1]
        for (offset, end) in ends.enumerated() where keyEnds[range.lowerBound + offset] - base != end { return false }
        return keys.withUnsafeBufferPointer { wanted in
            bytes.withUnsafeBufferPointer { stored in
                wanted.count == (ends.last ?? 0)
                    && (wanted.isEmpty || memcmp(wanted.baseAddress!, stored.baseAddress! + base, wanted.count) == 0)
            }
        }
    }

    private func keyRange(of seq: Int64) -> Range<Int> {
        let record = Int(seq - span.lowerBound)
        return (record == 0 ? 0 : recordEnds[record - 1])..<recordEnds[record]
    }
}
