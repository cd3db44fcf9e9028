import Foundation
import LedgerRules
import LedgerStore
import Participants
import Statements
import Testing
import TransparencyLog

@testable import Threadline

/// Product statements in the ledger (Specs/24-products.md §3): the GTIN's owner alone records them, the latest
/// applies, an older one held back cannot undo a newer, and the audit re-applies the rule.
struct ProductStatementTests {
    typealias R = RecordingTests
    static let gtin = "00614141123452"

    /// Acme's product data for the T-shirt, named `name`, signed against a log of `basis` records by `key`.
    static func product(
        _ name: String, basis: Int64, by key: SigningKey = R.brand, gtin: String = gtin
    ) throws
        -> Envelope
    {
        try product(name, basis: basis, by: [key], gtin: gtin)
    }

    static func product(_ name: String, basis: Int64, by keys: [SigningKey], gtin: String = gtin) throws -> Envelope {
        let product = try ProductData(
            gtin: gtin, name: try LocalizedText(["en": name, "zh-CN": "T恤"], maxCharacters: 200),
            composition: [.init(fibre: "cotton", percent: 100)], countryOfManufacture: "BD", basis: basis)
        return try Envelope(signing: product.payload, type: ProductData.payloadType, with: keys)
    }

    @Test func theOwnerRecordsProductDataAndTheLatestApplies() async throws {
        let ledger = try await R.ledger()
        #expect(try await ledger.product(gtin: Self.gtin) == nil)
        let first = try Self.product("T-shirt", basis: 4)
        #expect(try await ledger.append([first]) == 4..<5)
        #expect(try await ledger.append([try Self.product("Organic T-shirt", basis: 5)]) == 5..<6)
        let latest = try #require(try await ledger.product(gtin: Self.gtin))
        #expect(latest.seq == 5 && latest.product.name.text(for: ["en"]) == "Organic T-shirt")
        #expect(latest.signers == [R.brand.keyID])
        #expect(try await ledger.products(gtin: Self.gtin).map(\.seq) == [4, 5])
        // Another GTIN of the same prefix has none; the registry folds both statements.
        #expect(try await ledger.product(gtin: "00614141000005") == nil)
        let (registry, refused) = try await ledger.registry()
        #expect(registry.products == [Self.gtin: 5] && refused.isEmpty)
        // Proved against the latest checkpoint, and anyone's to read.
        let (note, entry) = try #require(try await ledger.provedProduct(gtin: Self.gtin))
        let body = try Checkpoint(text: note.text)
        #expect(
            Proofs.verifyInclusion(
                leafHash: Merkle.leafHash(entry.record), index: 5, size: body.size, proof: entry.proof, root: body.root)
        )
        #expect(ReadPolicy.isPublic(first))
        let report = await RuleAuditTests.audit(ledger)
        #expect(report.isSound, "\(report.findings)")
        #expect(report.productStatements == 2 && report.registryStatements == 4)
    }

    @Test func onlyTheOwnerFreshAndNoReplay() async throws {
        let ledger = try await R.ledger()
        let test = RecordingTests()
        // Not the owner of 0614141 (the shop, the farm), nor anyone for a prefix nobody owns.
        try await test.expectRefusal(
            ledger, [try Self.product("T", basis: 4, by: R.shop)], code: RegistryCode.productOwner)
        try await test.expectRefusal(
            ledger, [try Self.product("T", basis: 4, by: R.farm, gtin: "09506000134352")],
            code: RegistryCode.productOwner)
        // Cosigned by a stranger: every signer must be a participant's current key.
        let cosigned = try Self.product("T", basis: 4, by: [R.brand, R.stranger])
        try await test.expectRefusal(ledger, [cosigned], code: RegistryCode.signer)
        // A basis beyond the log.
        try await test.expectRefusal(ledger, [try Self.product("T", basis: 9)], code: RegistryCode.basis)
        let older = try Self.product("Old name", basis: 4)
        let newer = try Self.product("New name", basis: 4)
        _ = try await ledger.append([newer])
        // Signed against the same log as the one now recorded: held back, it cannot undo the newer.
        try await test.expectRefusal(ledger, [older], code: RegistryCode.productStale)
        // The same bytes again are a replay.
        try await test.expectRefusal(ledger, [newer], code: RuleCode.recordDuplicate, existing: 4)
        #expect(try await ledger.product(gtin: Self.gtin)?.product.name.text(for: []) == "New name")
    }

    @Test(arguments: ["not the owner", "stale"])
    func aProductStatementAroundTheEngineIsNamed(case name: String) async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append([try Self.product("T-shirt", basis: 4)])
        let rogue = name == "stale" ? try Self.product("Old", basis: 3) : try Self.product("T", basis: 5, by: R.shop)
        try await RuleAuditTests.appendRaw(ledger, [rogue])
        let report = await RuleAuditTests.audit(ledger)
        #expect(report.findings.map(\.code) == [.productRefused], "\(report.findings)")
        #expect(report.findings.first?.seq == 5)
    }
}
