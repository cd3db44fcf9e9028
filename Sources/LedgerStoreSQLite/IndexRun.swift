import LedgerStore

/// One row of a SQLite ledger's index (`index_runs`, Specs/04 §2, "The index's runs"): the records of one block of
/// `IndexRun.blockSize` that name one key and were indexed together. A key every event of a batch names (a step, a
/// place) takes one row a batch rather than one an event; a key one record names (an event's `event:` key, a
/// serial) is a run of one.
///
/// The records are `first`, the ones in `gaps`, then `last` (`first` ≤ `last`, both in one block): `gaps`
/// holds each record strictly between them as its distance from the one before, an unsigned LEB128 number each.
package struct IndexRun: Equatable, Sendable {
    /// Runs never cross a multiple of this, so the runs of a span of records are those that begin in the span's
    /// blocks (`index_runs_by_first`).
    package static let blockSize: Int64 = 4096

    package let key: String
    package let first: Int64
    package private(set) var last: Int64
    package private(set) var gaps: [UInt8] = []
    /// The record `gaps` ends at (`first` while it is empty).
    private var encoded: Int64

    package init(key: String, seq: Int64) {
        self.key = key
        first = seq
        last = seq
        encoded = seq
    }

    package static func block(of seq: Int64) -> Int64 { seq / blockSize }

    /// Adds `seq`, which is after `last` and in its block.
    private mutating func add(_ seq: Int64) {
        if last != first {
            var delta = UInt64(last - encoded)
            while delta >= 0x80 {
                gaps.append(UInt8(truncatingIfNeeded: delta) | 0x80)
                delta >>= 7
            }
            gaps.append(UInt8(delta))
            encoded = last
        }
        last = seq
    }

    /// The runs of `entries`: a run grows while the next record with entries names its key too, and ends at a
    /// block's end. Repeated entries are kept once. A key's runs therefore never overlap: only the run holding the
    /// record before can grow, and a record names a key once.
    ///
    /// Matching each key against the keys of the record before (first at the same position, where an event's
    /// step and place usually are) spares hashing every key: a table of the block's keys cost more than the rows
    /// the runs save.
    package static func runs(of entries: [IndexEntry]) -> [IndexRun] {
        var ordered = entries
        if !zip(entries, entries.dropFirst()).allSatisfy({ $0.seq <= $1.seq }) { ordered.sort { $0.seq < $1.seq } }
        var runs: [IndexRun] = []
        // The runs of the record before and of this one, in the order of their keys there: a run's key is the
        // key its record named, so the keys are compared where the runs keep them, without copying any.
        var previous: [Int] = []
        var current: [Int] = []
        var seq: Int64 = -1
        for entry in ordered {
            if entry.seq != seq {
                swap(&previous, &current)
                current.removeAll(keepingCapacity: true)
                if seq < 0 || block(of: entry.seq) != block(of: seq) { previous.removeAll(keepingCapacity: true) }
                seq = entry.seq
            }
            let position = current.count
            let match =
                position < previous.count && runs[previous[position]].key == entry.key
                ? previous[position] : previous.first(where: { runs[$0].key == entry.key })
            if let match {
                if runs[match].last < seq { runs[match].add(seq) }
                current.append(match)
            } else if !current.contains(where: { runs[$0].key == entry.key }) {
                current.append(runs.count)
                runs.append(IndexRun(key: entry.key, seq: seq))
            }
        }
        return runs
    }

    /// Calls `body` with each record of the stored run `first`, `gaps`, `last`, in order; `corrupt` when they
    /// do not make a run (out of order, past `last`, across a block).
    package static func forEachSeq(
        first: Int64, last: Int64, gaps: UnsafeRawBufferPointer, _ body: (Int64) throws -> Void
    ) throws {
        guard first >= 0, first <= last, block(of: first) == block(of: last), first != last || gaps.isEmpty
        else { throw LedgerStoreError.corrupt("index run \(first)…\(last) is malformed") }
        try body(first)
        var seq = first
        var delta: Int64 = 0
        var shift: Int64 = 0
        for byte in gaps {
            // Within a block a distance has at most two bytes' worth of bits.
            guard shift < 21 else { throw LedgerStoreError.corrupt("index run \(first)…\(last) is malformed") }
            delta |= Int64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift += 7
                continue
            }
            guard delta > 0, delta < last - seq else {
                throw LedgerStoreError.corrupt("index run \(first)…\(last) is malformed")
            }
            seq += delta
            try body(seq)
            delta = 0
            shift = 0
        }
        guard shift == 0 else { throw LedgerStoreError.corrupt("index run \(first)…\(last) is malformed") }
        if last != first { try body(last) }
    }
}
