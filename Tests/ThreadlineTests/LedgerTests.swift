import Foundation
import LedgerStore
import LedgerStoreSQLite
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline
import Statements

struct LedgerTests {
    @Test func appendedRecordsChainAndProve() async throws {
        let (ledger, _) = try await Sample.sqliteLedger()
        let first = try await ledger.append((0..<3).map { try Sample.envelope($0) })
        let second = try await ledger.append([try Sample.envelope(3, by: Sample.brand)])
        #expect(first == 0..<3)
        #expect(second == 3..<4)
        var prev = Hash.zero
        for seq in 0..<4 as Range<Int64> {
            let bytes = try await ledger.entry(seq)
            let record = try LedgerRecord(bytes: bytes)
            #expect(record.seq == seq)
            #expect(record.prev == prev)
            #expect(record.timeMillis == 1_764_412_800_000)
            prev = Merkle.leafHash(bytes)
        }
        let proof = try await ledger.inclusionProof(2)
        let entry = try await ledger.entry(2)
        #expect(
            proof.verify(entry: entry, log: ledger.operatorVerifier)
                == .valid(try Checkpoint(text: proof.checkpoint.text)))
        #expect(try Checkpoint(text: proof.checkpoint.text).size == 4)
    }

    @Test func aBadStatementRefusesTheWholeBatch() async throws {
        let ledger = try await Sample.memoryLedger()
        let good = try Sample.envelope(1)
        let forged = try Envelope(
            payloadType: good.payloadType, payload: Array("forged".utf8), signatures: good.signatures)
        await #expect(throws: LedgerError.self) { try await ledger.append([good, forged]) }
        #expect(try await ledger.store.size() == 0)
        do {
            _ = try await ledger.append([good, forged])
        } catch LedgerError.invalidStatement(let index, let error) {
            #expect(index == 1)
            #expect(error.matches(StatementCode.envelopeSignature))
        }
    }

    /// A long run appended batch by batch, each checked while the one before it is written: every batch durable,
    /// in order, each reported once; a batch the rules refuse stops the run — the batches before it stay, it and
    /// every later one are not written; a batch that fails its check stops it too, after the one being written.
    @Test func aPipelinedRunIsWrittenInOrderAndStopsAtItsFirstFailure() async throws {
        struct Unreadable: Error {}
        let (ledger, _) = try await Sample.sqliteLedger()
        let batches = try (0..<9).map { (batch: Int) -> [Envelope] in
            try (0..<5).map { try Sample.envelope(batch * 5 + $0) }
        }
        var reported: [Range<Int64>] = []
        try await ledger.appendPipelined(batches, prepare: { try Ledger.prepare($0) }) { reported.append($0) }
        let expected: [Range<Int64>] = (0..<9).map { (batch: Int) -> Range<Int64> in
            Int64(batch * 5)..<Int64(batch * 5 + 5)
        }
        #expect(reported == expected)
        for seq in [0, 22, 44] as [Int64] {
            let record = try LedgerRecord(bytes: try await ledger.entry(seq))
            #expect(record.envelope == batches[Int(seq) / 5][Int(seq) % 5])
        }

        // Batch 3 repeats a statement of the first run: refused as a duplicate, and 4…8 are not written.
        let more = try (0..<9).map { (batch: Int) -> [Envelope] in
            try (0..<5).map { (i: Int) -> Envelope in
                try Sample.envelope(batch == 3 && i == 2 ? 7 : 100 + batch * 5 + i)
            }
        }
        reported = []
        await #expect(throws: LedgerError.self) {
            try await ledger.appendPipelined(more, prepare: { try Ledger.prepare($0) }) { reported.append($0) }
        }
        let before: [Range<Int64>] = [45..<50, 50..<55, 55..<60]
        #expect(reported == before)
        #expect(try await ledger.store.size() == 60)

        // Batch 4 cannot be read: 0…3 are written, whatever was queued when it failed, and nothing after.
        let third = try (0..<9).map { (batch: Int) -> [Envelope] in
            try (0..<5).map { try Sample.envelope(500 + batch * 5 + $0) }
        }
        reported = []
        await #expect(throws: Unreadable.self) {
            try await ledger.appendPipelined(
                Array(third.enumerated()),
                prepare: { batch in
                    if batch.offset == 4 { throw Unreadable() }
                    return try Ledger.prepare(batch.element)
                }
            ) { reported.append($0) }
        }
        let written: [Range<Int64>] = [60..<65, 65..<70, 70..<75, 75..<80]
        #expect(reported == written)
        #expect(try await ledger.store.size() == 80)
        // The ledger goes on: a later append lands after them.
        #expect(try await ledger.append([try Sample.envelope(999)]) == 80..<81)
    }

    @Test func concurrentAppendsShareTransactionsAndStayInOrder() async throws {
        let (ledger, _) = try await Sample.sqliteLedger()
        let ranges = try await withThrowingTaskGroup(of: Range<Int64>.self) { group in
            for n in 0..<64 {
                group.addTask { try await ledger.append([try Sample.envelope(n), try Sample.envelope(n + 1000)]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(ranges.allSatisfy { $0.count == 2 })
        #expect(Set(ranges.map(\.lowerBound)).count == 64)
        #expect(ranges.map(\.lowerBound).sorted() == Array(stride(from: 0, to: 128, by: 2)))
        // Each caller's two records are adjacent and in the order given.
        for range in ranges {
            let a = try LedgerRecord(bytes: try await ledger.entry(range.lowerBound)).envelope.payload
            let b = try LedgerRecord(bytes: try await ledger.entry(range.lowerBound + 1)).envelope.payload
            let n = Int(String(decoding: a, as: UTF8.self).filter(\.isNumber))!
            #expect(String(decoding: b, as: UTF8.self) == #"{"event":\#(n + 1000)}"#)
        }
        let report = await Auditor(store: ledger.store).run()
        #expect(report.isSound, "\(report.findings)")
        #expect(report.records == 128)
    }

    @Test func checkpointsAreSignedOnlyWhenTheLogGrowsAndStayConsistent() async throws {
        let (ledger, _) = try await Sample.sqliteLedger()
        let empty = try await ledger.checkpoint()
        #expect(try Checkpoint(text: empty.text).root == Merkle.emptyRoot)
        _ = try await ledger.append([try Sample.envelope(1)])
        let one = try await ledger.checkpoint()
        #expect(try await ledger.checkpoint() == one)
        _ = try await ledger.append((2..<9).map { try Sample.envelope($0) })
        let nine = try await ledger.checkpoint()
        let old = try Checkpoint(text: one.text)
        let new = try Checkpoint(text: nine.text)
        let proof = try await ledger.consistencyProof(from: old.size, to: new.size)
        #expect(
            Proofs.verifyConsistency(
                oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof))
        #expect(try await ledger.store.checkpoints().map(\.size) == [0, 1, 8])
        await #expect(throws: LedgerError.self) { try await ledger.consistencyProof(from: 9, to: 8) }
        await #expect(throws: LedgerError.self) { try await ledger.consistencyProof(from: 0, to: 99) }
    }

    @Test func aLedgerWithoutTheOperatorKeyCannotSign() async throws {
        let (ledger, path) = try await Sample.sqliteLedger()
        _ = try await ledger.append([try Sample.envelope(1)])
        let readOnly = try await Ledger(store: try SQLiteLedgerStore.open(path: path))
        await #expect(throws: LedgerError.self) { try await readOnly.checkpoint() }
        await #expect(throws: LedgerError.self) {
            try await Ledger(store: try SQLiteLedgerStore.open(path: path), operatorKey: Sample.brand)
        }
    }

    @Test func itRefusesToSignOverAStoredCheckpointItCannotExtend() async throws {
        let store = InMemoryLedgerStore(metadata: Ledger.metadata(operatorKey: Sample.operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: Sample.operatorKey)
        _ = try await ledger.append([try Sample.envelope(1), try Sample.envelope(2)])
        // A checkpoint of size 1 with a root that is not the log's: correctly signed, but for another tree.
        let body = try Checkpoint(origin: Sample.operatorKey.name, size: 1, root: Hash.sha256([9]))
        let note = try SignedNote(text: body.text, signatures: [Sample.operatorKey.noteSigner.sign(body.text)])
        try await store.addCheckpoint(size: 1, note: note.encoded)
        await #expect(throws: LedgerError.self) { try await ledger.checkpoint() }
        #expect(await store.latestCheckpoint()?.size == 1)
    }

    @Test func recordsPastTheSizeLimitAreRefused() async throws {
        let ledger = try await Sample.memoryLedger()
        let big = try Envelope(signing: [UInt8](repeating: 0x61, count: 50_000), type: "text/plain", with: Sample.farm)
        do {
            _ = try await ledger.append([big])
            Issue.record("a record over 64 KiB was appended")
        } catch LedgerError.invalidStatement(_, let error) {
            #expect(error.matches(StatementCode.recordSize))
        }
        #expect(try await ledger.store.size() == 0)
    }
}

extension LedgerTests {
    @Test func batchedProofsEqualSingleProofsAsTheTreeGrowsAndTheCacheFills() async throws {
        let (ledger, _) = try await Sample.sqliteLedger()
        var generator = SeededGenerator(state: 11)
        var appended = 0
        for round in 0..<3 {
            // 700, then 1,400, then 2,100 records: wide ranges are cached in the first round and reused after.
            let count = 700
            _ = try await ledger.append(try (appended..<appended + count).map { try Sample.envelope($0) })
            appended += count
            let seqs = (0..<40).map { _ in Int64.random(in: 0..<Int64(appended), using: &generator) } + [0]
            let (proofs, entries) = try await ledger.inclusionProofs(seqs)
            #expect(entries == (try await ledger.store.records(at: seqs)), "round \(round)")
            for (seq, proof) in zip(seqs, proofs) {
                let single = try await ledger.inclusionProof(seq)
                #expect(proof.index == seq)
                #expect(proof.path == single.path, "round \(round), record \(seq)")
                #expect(proof.checkpoint == single.checkpoint)
                #expect(
                    proof.verify(entry: try await ledger.entry(seq), log: ledger.operatorVerifier)
                        == .valid(try Checkpoint(text: proof.checkpoint.text)))
            }
        }
        await #expect(throws: LedgerError.self) { try await ledger.inclusionProofs([Int64(appended)]) }
    }
}
