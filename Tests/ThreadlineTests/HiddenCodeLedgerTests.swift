import Foundation
import LedgerRules
import LedgerStore
import Participants
import Statements
import Testing
import TransparencyLog

@testable import Threadline

/// Hidden codes in the ledger (Specs/24-products.md §7): the GTIN's owner commits once a serial, the operator
/// records each correct entry, a second one makes the serial suspect, and the audit re-applies the rules.
struct HiddenCodeLedgerTests {
    typealias R = RecordingTests
    static let serial = "https://id.gs1.org/01/10614141123459/21/1"

    static func commitment(
        _ code: String = "8W15QNEQP6", product: String = serial, by key: SigningKey = R.brand
    ) throws
        -> Envelope
    {
        try Envelope(
            signing: try CodeCommitment(code: code, product: product).payload, type: CodeCommitment.payloadType,
            with: key)
    }

    @Test func theFirstCorrectEntryIsRecordedAndASecondMakesTheSerialSuspect() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(R.shipShirts, by: R.brand),
        ])
        #expect(try await ledger.checkCode("8W15QNEQP6", product: Self.serial) == .notCommitted)
        _ = try await ledger.append([try Self.commitment()])
        #expect(try await ledger.checkCode("8W15QNEQP7", product: Self.serial) == .wrong)
        #expect(try await ledger.verifications(of: Self.serial).isEmpty)
        #expect(try await ledger.checkCode("8w15q-neqp6", product: Self.serial) == .first(millis: 1_764_412_800_000))
        let firstAssessment = try await ledger.assess(Self.serial)
        #expect(firstAssessment.verifications.count == 1)
        #expect(!firstAssessment.integrity.contains { $0.code == .verifiedMoreThanOnce })
        #expect(ProductStory(firstAssessment).firstVerified == 1_764_412_800_000)
        #expect(
            try await ledger.checkCode("8W15QNEQP6", product: Self.serial)
                == .again(first: 1_764_412_800_000, times: 2))
        // Now a copied label: suspect on the page, in listing checks and in `check`.
        let assessment = try await ledger.assess(Self.serial)
        guard case .suspect(let reasons) = ProductStory(assessment).status else {
            Issue.record("not suspect: \(ProductStory(assessment).status)")
            return
        }
        #expect(reasons == [.verifiedAgain(firstMillis: 1_764_412_800_000, times: 2)])
        #expect(assessment.integrity.map(\.code).contains(.verifiedMoreThanOnce))
        // And over the whole ledger, as `threadline check` runs it.
        let whole = try await ledger.checkIntegrity().findings.filter { $0.code == .verifiedMoreThanOnce }
        #expect(whole.map(\.identifier) == [Self.serial] && whole.first?.records.count == 2)
        let listing = assessment.listing(seller: "shop")
        #expect(listing.verdict == .suspect && listing.findings.contains { $0.reason == .verifiedMoreThanOnce })
        // A verification holds the serial and the time, nothing of who entered it.
        let (_, verifications) = try await (ledger.size(), ledger.verifications(of: Self.serial))
        let record = try LedgerRecord(bytes: try await ledger.entry(verifications[0].seq))
        #expect(record.envelope.signatures.map(\.keyid) == [Sample.operatorKey.keyID])
        #expect(
            String(decoding: record.envelope.payload, as: UTF8.self)
                == #"{"product":"https://id.gs1.org/01/10614141123459/21/1","number":1,"verifiedAt":"2025-11-29T10:40:00.000Z"}"#
        )
        #expect(await RuleAuditTests.audit(ledger).isSound)
    }

    @Test func onlyTheOwnerCommitsOnceASerialAndOnlyTheOperatorVerifies() async throws {
        let ledger = try await R.ledger()
        let test = RecordingTests()
        try await test.expectRefusal(ledger, [try Self.commitment(by: R.shop)], code: RegistryCode.productOwner)
        _ = try await ledger.append([try Self.commitment()])
        // A second commitment to the same serial, with another code: refused as its replay.
        try await test.expectRefusal(
            ledger, [try Self.commitment("AAAAAAAAAA")], code: RuleCode.recordDuplicate, existing: 4)
        let verification = try CodeVerification(product: Self.serial, number: 1, millis: 1_764_412_800_000)
        for signers in [[R.brand], [Sample.operatorKey, R.brand]] {
            let envelope = try Envelope(
                signing: verification.payload, type: CodeVerification.payloadType, with: signers)
            try await test.expectRefusal(ledger, [envelope], code: RuleCode.verificationSigner)
        }
    }

    @Test(arguments: [
        "not the owner", "twice", "verification without commitment", "verification by a participant",
        "verification out of number",
    ])
    func aHiddenCodeStatementAroundTheEngineIsNamed(case name: String) async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append([try Self.commitment()])
        let verification = { (product: String) in
            try CodeVerification(product: product, number: 1, millis: 1_764_412_800_000).payload
        }
        let rogue: Envelope =
            switch name {
            case "not the owner": try Self.commitment(product: "https://id.gs1.org/01/10614141123459/21/2", by: R.shop)
            case "twice": try Self.commitment("AAAAAAAAAA")
            case "verification without commitment":
                try Envelope(
                    signing: try verification("https://id.gs1.org/01/10614141123459/21/9"),
                    type: CodeVerification.payloadType, with: Sample.operatorKey)
            case "verification out of number":
                try Envelope(
                    signing: try CodeVerification(product: Self.serial, number: 2, millis: 1).payload,
                    type: CodeVerification.payloadType, with: Sample.operatorKey)
            default:
                try Envelope(
                    signing: try verification(Self.serial), type: CodeVerification.payloadType, with: R.brand)
            }
        // Written straight to the store with its index keys, as a rogue writer could.
        _ = try await ledger.store.append { head in
            try Ledger.build(
                [rogue.canonicalJSON],
                keys: [try Statement(payloadType: rogue.payloadType, payload: rogue.payload).indexKeys],
                openings: [nil], on: head, time: 1_764_412_800_000)
        }
        let report = await RuleAuditTests.audit(ledger)
        let expected: AuditFinding.Code = name == "twice" ? .duplicateStatement : .codeRefused
        #expect(report.findings.map(\.code) == [expected], "\(report.findings)")
        #expect(report.findings.first?.seq == 5)
    }
}
