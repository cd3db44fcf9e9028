import LedgerStore
import Testing

@Suite("The packed index keys an audit compares")
struct IndexKeySpanTests {
    /// Whether `span` holds exactly `keys` (in byte order) for record `seq`.
    func has(_ span: IndexKeySpan, _ keys: [String], _ seq: Int64) -> Bool {
        var ends: [Int] = []
        for key in keys { ends.append((ends.last ?? 0) + key.utf8.count) }
        return span.has(packed: Array(keys.joined().utf8), ends: ends, for: seq)
    }

    func strings(_ span: IndexKeySpan, _ seq: Int64) -> [String] {
        span.keys(of: seq).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func eachRecordsKeysAreKeptInByteOrderWhateverOrderTheyCameIn() throws {
        var span = IndexKeySpan(span: 10..<14)
        try span.append("epc:b", seq: 10)
        try span.append("epc:a", seq: 10)
        try span.append("Z", seq: 10)
        try span.append("events", seq: 12)
        try span.append("event:ab", seq: 12)
        let keys = span.finished()
        // "Z" (0x5A) sorts before lower-case letters: byte order, not Unicode or locale order.
        #expect(strings(keys, 10) == ["Z", "epc:a", "epc:b"])
        #expect(keys.keyCount(of: 11) == 0 && keys.keyCount(of: 13) == 0)
        #expect(strings(keys, 12) == ["event:ab", "events"])
        #expect(has(keys, ["Z", "epc:a", "epc:b"], 10))
        #expect(!has(keys, ["Z", "epc:a"], 10))
        #expect(!has(keys, ["Z", "epc:a", "epc:c"], 10))
        #expect(!has(keys, ["Z", "epc:b", "epc:a"], 10))
        // The same bytes cut into other keys are other keys.
        #expect(!has(keys, ["Ze", "pc:a", "epc:b"], 10))
        #expect(has(keys, [], 11) && !has(keys, ["events"], 11))
    }

    @Test func entriesOutsideTheSpanOrBackInTheLogAreRefused() throws {
        var span = IndexKeySpan(span: 0..<3)
        try span.append("a", seq: 1)
        #expect(throws: LedgerStoreError.self) { try span.append("a", seq: 0) }
        #expect(throws: LedgerStoreError.self) { try span.append("a", seq: 3) }
    }
}
