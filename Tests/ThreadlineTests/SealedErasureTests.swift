import EPCIS
import Foundation
import GRDB
import LedgerRules
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Erasure (`Specs/23-sealed-events.md` §7): disclosures deleted from beside the log, the log untouched and still
/// verifying, the erasure recorded by the operator, reads and the audit showing what was erased.
struct SealedErasureTests {
    typealias B = SealedBundleTests
    static let place = "urn:epc:id:sgln:0614141.00001.0"

    @Test func erasingAFieldLeavesTheLogAndDeletesItsDisclosures() async throws {
        let (ledger, seqs) = try await B.ledger()
        let made = seqs[0]
        let before = try await ledger.store.records(0..<(try await ledger.size()))
        let result = try await ledger.erase(
            record: made, field: "bizLocation", reason: "the factory's address (GDPR Art. 17)")
        // The place was an object: its own disclosure and its `id`'s.
        #expect(result.digests.count == 2)
        #expect(result.remainsEvent)
        #expect(result.seq == before.count)
        // The log is only longer: every earlier record's bytes are as they were.
        #expect(try await ledger.store.records(0..<Int64(before.count)) == before)
        // The erasure names digests and why, never the value.
        let erasureRecord = try await ledger.entry(result.seq)
        #expect(!Encodings.contain("0614141.00001", in: erasureRecord))
        let erasure = try Erasure(payload: try LedgerRecord(bytes: erasureRecord).envelope.payload)
        #expect(erasure.record == made && erasure.digests == result.digests)
        // The opening holds neither disclosure, and lists both as erased by the erasure.
        let opening = try Opening(stored: try #require(try await ledger.store.openings(at: [made])[made]))
        #expect(!opening.disclosures.contains { result.digests.contains($0.digest) })
        #expect(
            opening.erased.map(\.digest).sorted() == result.digests && opening.erased.allSatisfy { $0.by == result.seq }
        )
        #expect(!Encodings.contain("0614141.00001", in: opening.stored))
        // Reads: the step has no place now, and is not found by it; the shipping step still is (its read point).
        let journey = try await ledger.trace(B.shirt)
        #expect(journey.steps.map(\.seq) == seqs)
        #expect(journey.steps[0].event.bizLocation == nil)
        #expect(journey.steps[0].erased == 2 && journey.steps[1].erased == 0)
        #expect(JourneyJSON(journey).steps[0].erased == 2 && JourneyJSON(journey).steps[1].erased == nil)
        let text = JourneyText.lines(journey, registry: try await ledger.currentRegistry())
        #expect(text.contains("    erased     2 fields (Specs/23 §7)"))
        #expect(try await ledger.store.lookup([IndexKey.bizLocation(Self.place)], from: 0).isEmpty)
        #expect(try await ledger.store.lookup([IndexKey.readPoint(Self.place)], from: 0).map(\.seq) == [seqs[2]])
        // The audit: sound, the erased disclosures counted; the index agrees with the log.
        let report = await Auditor(store: ledger.store).run()
        #expect(report.isSound, "\(report.findings)")
        #expect(report.erasedDisclosures == 2)
        // The operator's bundle still opens the step whole — the erased digests accounted for — with its new hash.
        let bundle = try ProductBundle(parsing: try await ledger.bundle(B.shirt).encoded)
        #expect(bundle.entries.first { $0.seq == made }?.erased?.sorted() == result.digests)
        let verified = try await bundle.verify(log: ledger.operatorVerifier)
        #expect(verified.journey.steps.map(\.hash) == journey.steps.map(\.hash))
        #expect(verified.journey.steps.first?.erased == 2)
        // Not twice.
        let again = await #expect(throws: StatementError.self) {
            try await ledger.erase(record: made, field: "bizLocation", reason: "again")
        }
        #expect(again?.code == .erasureField)
    }

    @Test func erasingAWholeEventLeavesAnOpaqueRecord() async throws {
        let (ledger, seqs) = try await B.ledger()
        let result = try await ledger.erase(record: seqs[3], field: nil, reason: "the sale identified a person")
        #expect(!result.remainsEvent)
        #expect(try await ledger.trace(B.shirt).steps.map(\.seq) == Array(seqs.prefix(3)))
        let report = await Auditor(store: ledger.store).run()
        #expect(report.isSound, "\(report.findings)")
        #expect(report.erasedDisclosures == Int64(result.digests.count))
        // An element of a list, by its place among those left.
        let element = try await ledger.erase(record: seqs[1], field: "childEPCs[11]", reason: "a serial")
        #expect(element.digests.count == 1 && element.remainsEvent)
        let packing = try await ledger.trace(B.shirt).steps.first { $0.seq == seqs[1] }
        #expect(packing?.event.childEPCs == Array(B.serials.prefix(11)))
        #expect(await Auditor(store: ledger.store).run().isSound)
    }

    @Test func onlyASealedRecordsDisclosuresAreErasedAndOnlyByErase() async throws {
        let (ledger, seqs) = try await B.ledger()
        // Record 0 is a registry statement; a path that names nothing; a malformed path; no reason.
        let plain = await #expect(throws: EngineError.self) {
            try await ledger.erase(record: 0, field: nil, reason: "x")
        }
        #expect(plain?.code == .erasureRecord)
        for path in ["nothing", "epcList[12]", "epcList[", "a..b", ""] {
            let error = await #expect(throws: StatementError.self, "\(path)") {
                try await ledger.erase(record: seqs[0], field: path, reason: "x")
            }
            #expect(error?.code == .erasureField)
        }
        let noReason = await #expect(throws: StatementError.self) {
            try await ledger.erase(record: seqs[0], field: "bizStep", reason: "")
        }
        #expect(noReason?.code == .erasureJSON)
        await #expect(throws: LedgerError.self) { try await ledger.erase(record: 999, field: nil, reason: "x") }
        // An erasure statement appended on its own, even the operator's, is refused: it would rewrite nothing.
        let stored = try #require(try await ledger.store.openings(at: [seqs[0]])[seqs[0]])
        let digest = try #require(try Opening(stored: stored).disclosures.first?.digest)
        let statement = try Erasure(record: seqs[0], digests: [digest], reason: "x")
        let envelope = try Envelope(signing: statement.payload, type: Erasure.payloadType, with: Sample.operatorKey)
        await #expect(throws: LedgerError.self) { try await ledger.append([envelope]) }
        // Without the operator key there is no erasure.
        let reader = try await Ledger(store: ledger.store)
        await #expect(throws: LedgerError.self) { try await reader.erase(record: seqs[0], field: nil, reason: "x") }
    }

    @Test func theAuditNamesAnErasureItCannotMatch() async throws {
        let (ledger, seqs, path) = try await B.ledgerAndPath()
        let result = try await ledger.erase(record: seqs[0], field: "bizStep", reason: "why not")
        #expect(await Auditor(store: ledger.store).run().isSound)
        // The opening now says another record erased it.
        let db = try DatabaseQueue(path: path)
        var opening = try Opening(stored: try #require(try await ledger.store.openings(at: [seqs[0]])[seqs[0]]))
        opening.erased = opening.erased.map { Opening.Erased(digest: $0.digest, by: result.seq - 1) }
        let altered = Data(opening.stored)
        try await db.write {
            try $0.execute(sql: "UPDATE openings SET body = ? WHERE seq = ?", arguments: [altered, seqs[0]])
        }
        let report = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
        #expect(Set(report.findings.map(\.code)) == [.erasureInvalid])
        // Both sides are named: the opening's claim, and the erasure whose digest no opening lists.
        #expect(Set(report.findings.map(\.seq)) == [seqs[0], result.seq])
    }
}
