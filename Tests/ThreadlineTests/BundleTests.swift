import Crypto
import Foundation
import LedgerStore
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Offline bundles (issue 4, point 4): verified with no database, any changed byte detected.
struct BundleTests {
    typealias R = RecordingTests
    static let shirt = "https://id.gs1.org/01/10614141123459/21/1"

    static func ledgerWithJourney() async throws -> Ledger {
        let ledger = try await R.ledger()
        _ = try await ledger.append(
            try [
                R.signed(R.commissionShirts, by: R.brand), R.signed(R.shipShirts, by: R.brand),
                R.signed(R.commissionBale, by: R.farm),  // another product's event: not in the bundle
                R.signed(R.sellShirt, by: R.shop),
            ])
        return ledger
    }

    @Test func aBundleVerifiesOfflineAndGivesTheJourneyAndVerdict() async throws {
        let ledger = try await Self.ledgerWithJourney()
        let bundle = try await ledger.bundle("urn:epc:id:sgtin:0614141.112345.1")
        #expect(bundle.code == Self.shirt)
        #expect(bundle.entries.map(\.seq) == [0, 1, 2, 3, 4, 5, 7])
        // Parsed back from its bytes, with nothing but the log's key.
        let parsed = try ProductBundle(parsing: bundle.encoded)
        let verification = try await parsed.verify(log: ledger.operatorVerifier, seller: "shop")
        #expect(verification.journey.steps.map(\.seq) == [4, 5, 7])
        #expect(verification.listing?.verdict == .suspect)
        #expect(
            verification.listing?.findings.map(\.reason) == [.sellerNotAuthorised, .sellerNotCustodian, .alreadySold])
        #expect(verification.checkpoint.size == 8)
    }

    @Test func anyChangedByteIsDetected() async throws {
        let ledger = try await Self.ledgerWithJourney()
        let bytes = try await ledger.bundle(Self.shirt).encoded
        var generator = SeededGenerator(state: 7)
        var positions = Set((0..<150).map { _ in Int.random(in: 0..<bytes.count, using: &generator) })
        positions.formUnion([0, bytes.count - 1, bytes.count / 2])
        for position in positions.sorted() {
            var changed = bytes
            changed[position] ^= UInt8.random(in: 1...255, using: &generator)
            let detected: Bool
            do {
                _ = try await ProductBundle(parsing: changed).verify(log: ledger.operatorVerifier)
                detected = false
            } catch { detected = true }
            #expect(detected, "a change at byte \(position) went unnoticed")
        }
    }

    @Test func theWrongKeyAWitnessQuorumAndARecordTooManyAreRefused() async throws {
        let ledger = try await Self.ledgerWithJourney()
        let bundle = try await ledger.bundle(Self.shirt)
        await #expect(throws: EngineError.self) { try await bundle.verify(log: R.brand.noteSigner.verifier) }
        let witness = try Cosigner(name: "witness.example", privateKey: .init())
        await #expect(throws: EngineError.self) {
            try await bundle.verify(log: ledger.operatorVerifier, witnesses: [witness.verifier], quorum: 1)
        }
        // A bundle whose records are not exactly the journey: another product's event, sealed all the same.
        let bale = try await ledger.bundle("urn:epc:class:lgtin:8901234.012345.B1")
        #expect(bale.entries.map(\.seq).contains(6))
        let tooMany = try await ledger.bundle(Self.shirt)
        let mixed = try ProductBundle.sealed(
            code: tooMany.code, checkpoint: tooMany.checkpoint,
            entries: (tooMany.entries + bale.entries.filter { $0.seq == 6 }).sorted { $0.seq < $1.seq }, by: ledger)
        let error = await #expect(throws: EngineError.self) { try await mixed.verify(log: ledger.operatorVerifier) }
        #expect(error?.code == EngineCode.bundleJourney)
    }
}
