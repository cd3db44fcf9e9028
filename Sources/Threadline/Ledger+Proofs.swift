import Foundation
import LedgerRules
import LedgerStore
import Logging
import Participants
import Statements
import TransparencyLog

/// Reading and proving (`Specs/02-transparency-log.md` §Proofs, §tlog-proof, §Tiles): records, roots, inclusion
/// and consistency proofs against the operator's checkpoints.
extension Ledger {
    /// The exact stored bytes of record `seq`.
    public nonisolated func entry(_ seq: Int64) async throws -> [UInt8] {
        let size = try await store.size()
        guard seq >= 0, seq < size else { throw LedgerError.noSuchRecord(seq: seq, size: size) }
        return try await store.records(seq..<seq + 1)[0]
    }

    /// The tree hash at `size` (which must not exceed the log's size).
    public nonisolated func root(size: Int64) async throws -> Hash {
        let plan = HashReadPlan.root(size: size)
        return try await plan.combine(store.hashes(at: plan.indices)).first ?? Merkle.emptyRoot
    }

    /// A tlog-proof of record `seq` against the latest checkpoint (signing one if needed).
    public func inclusionProof(_ seq: Int64) async throws -> TlogProof {
        let note = try await checkpoint()
        let body = try lastVerified.flatMap { $0.note == note ? $0.body : nil } ?? Checkpoint(text: note.text)
        guard seq >= 0, seq < body.size else { throw LedgerError.noSuchRecord(seq: seq, size: body.size) }
        let plan = HashReadPlan.inclusionProof(index: seq, size: body.size)
        return TlogProof(index: seq, path: plan.combine(try await store.hashes(at: plan.indices)), checkpoint: note)
    }

    /// The tlog-proofs of several records against one checkpoint (the latest, signed first if the log grew),
    /// with every hash they need read in one batch, and the records themselves.
    public func inclusionProofs(_ seqs: [Int64]) async throws -> (proofs: [TlogProof], entries: [[UInt8]]) {
        let note = try await checkpoint()
        let body = try lastVerified.flatMap { $0.note == note ? $0.body : nil } ?? Checkpoint(text: note.text)
        for seq in seqs where seq < 0 || seq >= body.size {
            throw LedgerError.noSuchRecord(seq: seq, size: body.size)
        }
        let plans = seqs.map { HashReadPlan.inclusionProof(index: $0, size: body.size) }
        async let entries = store.records(at: seqs)
        // A proof's hashes are tree hashes of leaf ranges, which never change: wide ranges (shared by many
        // proofs) come from a cache; the others are read once each, in one batch.
        if rangeHashes.count > Ledger.maxCachedRanges { rangeHashes.removeAll(keepingCapacity: true) }
        // What the cache has is taken now: the actor is re-entered while the others are read, and a concurrent
        // call may empty the cache meanwhile.
        var known: [Range<Int64>: Hash] = [:]
        var missing: [Range<Int64>] = []
        for range in Set(plans.flatMap(\.ranges)) {
            if let hash = rangeHashes[range] { known[range] = hash } else { missing.append(range) }
        }
        if !missing.isEmpty {
            let plan = HashReadPlan(ranges: missing)
            let unique = Array(Set(plan.indices))
            let read = Dictionary(uniqueKeysWithValues: zip(unique, try await store.hashes(at: unique)))
            // `read` holds every index of the plan: `unique` is the plan's indices.
            for (range, hash) in zip(missing, plan.combine(plan.indices.map { read[$0]! })) {
                known[range] = hash
                if range.count >= Ledger.cachedRangeWidth { rangeHashes[range] = hash }
            }
        }
        let proofs = zip(seqs, plans).map { seq, plan in
            // Every range of every plan is in `known`: taken from the cache above, or read.
            TlogProof(index: seq, path: plan.ranges.map { known[$0]! }, checkpoint: note)
        }
        return (proofs, try await entries)
    }

    /// The consistency proof from tree size `old` to `new` (RFC 9162 §2.1.4.1).
    public nonisolated func consistencyProof(from old: Int64, to new: Int64) async throws -> [Hash] {
        let size = try await store.size()
        guard new >= 0, new <= size else { throw LedgerError.badTreeSize(new, size: size) }
        guard old >= 0, old <= new else { throw LedgerError.badTreeSize(old, size: new) }
        let plan = HashReadPlan.consistencyProof(oldSize: old, newSize: new)
        return plan.combine(try await store.hashes(at: plan.indices))
    }
}
