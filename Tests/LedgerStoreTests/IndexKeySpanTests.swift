import LedgerStore
import Testing

@Suite("The packed index keys an audit compares")
struct IndexKeySpanTests {
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
        #expect(keys.has(["Z", "epc:a", "epc:b"], for: 10))
        #expect(!keys.has(["Z", "epc:a"], for: 10))
        #expect(!keys.has(["Z", "epc:a", "epc:c"], for: 10))
        #expect(!keys.has(["Z", "epc:b", "epc:a"], for: 10))
        #expect(keys.has([], for: 11) && !keys.has(["events"], for: 11))
    }

    @Test func entriesOutsideTheSpanOrBackInTheLogAreRefused() throws {
        var span = IndexKeySpan(span: 0..<3)
        try span.append("a", seq: 1)
        #expect(throws: LedgerStoreError.self) { try span.append("a", seq: 0) }
        #expect(throws: LedgerStoreError.self) { try span.append("a", seq: 3) }
    }
}
