import EPCIS
import Foundation
import GRDB
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import TransparencyLog

@testable import Threadline

/// Sealed event statements through the engine (`Specs/23-sealed-events.md` §3, §5): recorded only opened whole,
/// ruled and indexed as the event they open to, their openings kept beside the log, and audited.
struct SealedRecordingTests {
    typealias R = RecordingTests

    static func sealed(_ payload: [UInt8], by key: SigningKey) throws -> Submission {
        try Recording.seal(payload, with: [key])
    }

    @Test func aSealedEventIsRecordedRuledAndIndexedAsTheEventItOpensTo() async throws {
        let ledger = try await R.ledger()
        let commission = try Self.sealed(R.commissionShirts, by: R.brand)
        let seq = try await ledger.append([commission]).lowerBound
        // The log holds the sealed statement only: no serial, step or time in clear.
        let record = try LedgerRecord(bytes: try await ledger.entry(seq))
        #expect(record.envelope == commission.envelope)
        let logged = String(decoding: try await ledger.entry(seq), as: UTF8.self)
        let payload = String(decoding: record.envelope.payload, as: UTF8.self)
        for secret in ["0614141", "commissioning", "2026-09-01", "112345"] {
            #expect(!logged.contains(secret) && !payload.contains(secret))
        }
        // The journey of the serial finds it, opened.
        let journey = try await ledger.trace("urn:epc:id:sgtin:0614141.112345.1")
        #expect(journey.steps.map(\.seq) == [seq])
        #expect(journey.steps.first?.event.bizStepTerm == "commissioning")
        // The same event again, plain or sealed with fresh salts, is a duplicate (one CBV 2.0 hash).
        for again in [
            Submission(envelope: try R.signed(R.commissionShirts, by: R.brand)),
            try Self.sealed(R.commissionShirts, by: R.brand),
        ] {
            await #expect(throws: LedgerError.self) { try await ledger.append([again]) }
        }
        // A role that may not commission is refused sealed as plain.
        await #expect(throws: LedgerError.self) {
            try await ledger.append([try Self.sealed(R.commissionBale, by: R.shop)])
        }
        let report = await Auditor(store: ledger.store).run()
        #expect(report.isSound, "\(report.findings)")
        #expect(report.sealedRecords == 1)
        #expect(report.disclosures == Int64(commission.opening?.disclosures.count ?? 0))
        #expect(report.events == 1)
        #expect(try await ledger.reindex() == (try await ledger.size()))
        #expect(try await ledger.trace("urn:epc:id:sgtin:0614141.112345.1").steps.map(\.seq) == [seq])
    }

    @Test func aSealedEventIsRecordedOnlyWithEveryDisclosureAndDecoy() async throws {
        let ledger = try await R.ledger()
        let whole = try Self.sealed(R.commissionShirts, by: R.brand)
        let opening = try #require(whole.opening)
        var short = opening
        short.disclosures.removeLast()
        var noDecoys = opening
        noDecoys.decoys = []
        var extraDecoy = opening
        extraDecoy.decoys.append([UInt8](repeating: 9, count: 16))
        for partial in [short, noDecoys, extraDecoy] {
            await #expect(throws: LedgerError.self) {
                try await ledger.append([Submission(envelope: whole.envelope, opening: partial)])
            }
        }
        // Without its opening a sealed statement is refused; with one, a plain statement is too.
        await #expect(throws: LedgerError.self) { try await ledger.append([whole.envelope]) }
        #expect(throws: (any Error).self) {
            var json = Array(
                String(decoding: try R.signed(R.shipShirts, by: R.brand).canonicalJSON, as: UTF8.self).utf8)
            json.removeLast()
            json += #","disclosures":[],"decoys":[]}"#.utf8
            _ = try Submission(json: json)
        }
        #expect(try await ledger.size() == 4)
    }

    @Test func aSealedEventShowsNothingInClearButItsTypeAndContext() throws {
        let whole = try Self.sealed(R.commissionShirts, by: R.brand)
        let opening = try #require(whole.opening)
        var json = try JSONValue(parsing: whole.envelope.payload)
        guard case .object(var members) = json else { Issue.record("not an object"); return }
        members.append(.init("bizStep", .string("commissioning")))
        json = .object(members)
        let leaky = try Envelope(
            signing: Array(json.serialized.utf8), type: SealedEvent.payloadType, with: [R.brand])
        #expect(throws: StatementError.self) {
            _ = try Statement(payloadType: leaky.payloadType, payload: leaky.payload, opening: opening)
        }
    }

    @Test func aSubmissionRoundTripsThroughItsJSON() throws {
        let whole = try Self.sealed(R.commissionShirts, by: R.brand)
        let read = try Submission(json: whole.json)
        #expect(read.envelope == whole.envelope)
        #expect(read.opening == whole.opening)
        // A DSSE reader that knows nothing of openings reads the same envelope.
        #expect(try Envelope(json: whole.json) == whole.envelope)
        // And the stored form reads back.
        let opening = try #require(whole.opening)
        #expect(try Opening(stored: opening.stored) == opening)
    }

    @Test func theAuditNamesAMissingOrAlteredOpening() async throws {
        // The sample participants' ledger, on a file the test can alter.
        let (ledger, path) = try await R.ledgerAndPath()
        let seq = try await ledger.append([try Self.sealed(R.commissionShirts, by: R.brand)]).lowerBound
        #expect(await Auditor(store: ledger.store).run().isSound)
        let db = try DatabaseQueue(path: path)
        // One disclosure dropped: a digest of the record is no longer accounted for.
        let stored = try await db.read {
            try Data.fetchOne($0, sql: "SELECT body FROM openings WHERE seq = ?", arguments: [seq])
        }
        var opening = try Opening(stored: Array(try #require(stored)))
        opening.disclosures.removeFirst()
        let altered = Data(opening.stored)
        try await db.write {
            try $0.execute(sql: "UPDATE openings SET body = ? WHERE seq = ?", arguments: [altered, seq])
        }
        var report = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
        // Named once: what the record names is not known without its opening, so its index is not compared.
        #expect(report.findings.map(\.code) == [.openingInvalid])
        #expect(report.findings.first?.seq == seq)
        // No opening at all, and one for a record that is not sealed.
        try await db.write {
            try $0.execute(sql: "DELETE FROM openings")
            try $0.execute(sql: "INSERT INTO openings(seq, body) VALUES (0, x'7b7d')")
        }
        report = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
        #expect(Set(report.findings.filter { $0.code == .openingInvalid }.map(\.seq)) == [0, seq])
        #expect(report.findings.allSatisfy { $0.code == .openingInvalid })
    }
}
