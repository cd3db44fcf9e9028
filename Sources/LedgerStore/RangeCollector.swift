import TransparencyLog

/// The rows of one range read (records or stored hashes), checked as they arrive: a gap inside the range
/// means the store lost a row (`corrupt`), a range that ends early was asked beyond the log (`outOfRange`).
/// Every store reads ranges through it, so the rule is the same everywhere. (Inlinable, so that a store's reader
/// of each row is specialised for its element rather than looking the element's type up at run time: the audit
/// adds every record and stored hash.)
package struct RangeCollector<Element> {
    @usableFromInline let range: Range<Int64>
    @usableFromInline let singular: String
    @usableFromInline let plural: String
    @usableFromInline let malformed: String
    @usableFromInline var elements: [Element] = []

    /// A collector for `range` of `singular`/`plural` things; `malformed` follows "is missing" in the error
    /// for a row whose value cannot be used (e.g. " or not 32 bytes").
    @inlinable package init(_ range: Range<Int64>, singular: String, plural: String, malformed: String = "") {
        self.range = range
        self.singular = singular
        self.plural = plural
        self.malformed = malformed
        elements.reserveCapacity(range.count)
    }

    /// Adds the row at `index`; `element` is nil when its stored value is unusable.
    @inlinable package mutating func add(index: Int64, _ element: Element?) throws {
        let expected = range.lowerBound + Int64(elements.count)
        guard index == expected, let element else {
            throw LedgerStoreError.corrupt("\(singular) \(expected) is missing\(malformed)")
        }
        elements.append(element)
    }

    /// The rows, once all of the range has arrived.
    @inlinable package func finish() throws -> [Element] {
        guard elements.count == range.count else {
            throw LedgerStoreError.outOfRange("\(plural) \(range) are not all in the ledger")
        }
        return elements
    }

    /// The hashes found by index, in the order asked. Callers derive indices from the log's size, so a
    /// missing one means the store lost it.
    package static func ordered(_ found: [Int64: Hash], at indices: [Int64]) throws -> [Hash] where Element == Hash {
        try indices.map {
            guard let hash = found[$0] else { throw LedgerStoreError.corrupt("stored hash \($0) is missing") }
            return hash
        }
    }
}
