import EPCIS
import Foundation
import LedgerRules
import Statements
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Bundles of sealed records (`Specs/14-bundles.md`, `Specs/23-sealed-events.md` §4): the operator's holds every
/// disclosure, a consumer's only what the consumer may see — each checked against its signed record — and the
/// journey and verdict are re-derived from the disclosed fields alone.
struct SealedBundleTests {
    typealias R = RecordingTests
    static let shirt = "https://id.gs1.org/01/10614141123459/21/TS-0001"
    static let serials = (1...12).map { String(format: "urn:epc:id:sgtin:0614141.112345.TS-%04d", $0) }
    static let carton = "urn:epc:id:sscc:0614141.1234567890"

    /// Twelve shirts made in one event, packed into one carton, the carton shipped, and one shirt sold: all sealed.
    static let events: [(payload: [UInt8], key: SigningKey)] = [
        (
            R.event(
                #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","epcList":\#(list(serials)),"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"},"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO-77"}],"certificationInfo":["https://certifier.example/gots/TC-2026-1"]"#,
                time: "2026-09-01T08:00:00Z"), R.brand
        ),
        (
            R.event(
                #""type":"AggregationEvent","action":"ADD","bizStep":"packing","parentID":"\#(carton)","childEPCs":\#(list(serials))"#,
                time: "2026-09-02T08:00:00Z"), R.brand
        ),
        (
            R.event(
                #""type":"ObjectEvent","action":"OBSERVE","bizStep":"shipping","epcList":["\#(carton)"],"readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"}"#,
                time: "2026-09-03T08:00:00Z"), R.brand
        ),
        (
            R.event(
                #""type":"ObjectEvent","action":"OBSERVE","bizStep":"retail_selling","disposition":"retail_sold","epcList":["\#(serials[0])"]"#,
                time: "2026-09-05T08:00:00Z"), R.shop
        ),
    ]

    static func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }

    static func ledger() async throws -> (Ledger, [Int64]) {
        let (ledger, seqs, _) = try await ledgerAndPath()
        return (ledger, seqs)
    }

    /// `ledger()`, with the path of its SQLite file.
    static func ledgerAndPath() async throws -> (Ledger, [Int64], String) {
        let (ledger, path) = try await R.ledgerAndPath()
        let range = try await ledger.append(try events.map { try Recording.seal($0.payload, with: [$0.key]) })
        return (ledger, Array(range), path)
    }

    @Test func theOperatorsBundleOpensEverySealedStepWhole() async throws {
        let (ledger, seqs) = try await Self.ledger()
        let bytes = try await ledger.bundle(Self.shirt).encoded
        let bundle = try ProductBundle(parsing: bytes)
        #expect(bundle.version == "threadline/bundle/v2")
        // Everything is there, under base64url within the disclosures (what the consumer's test looks through).
        for secret in ["TS-0002", "TS-0012", "PO-77", "0614141.00001"] { #expect(Encodings.contain(secret, in: bytes)) }
        let sealed = bundle.entries.filter { $0.disclosures != nil }
        #expect(sealed.map(\.seq) == seqs)
        #expect(sealed.allSatisfy { $0.decoys != nil })
        let verified = try await bundle.verify(log: ledger.operatorVerifier)
        let journey = try await ledger.trace(Self.shirt)
        #expect(verified.journey.steps.map(\.seq) == seqs)
        // Whole, each step is the recorded event: the same CBV 2.0 hash as the ledger's.
        #expect(verified.journey.steps.map(\.hash) == journey.steps.map(\.hash))
        #expect(verified.journey.steps.allSatisfy { $0.sealed })
    }

    @Test func aConsumersBundleRevealsOneSerialAndTheJourneyFollowsFromIt() async throws {
        let (ledger, seqs) = try await Self.ledger()
        let bytes = try await ledger.bundle(Self.shirt, for: .anyone).encoded
        let bundle = try ProductBundle(parsing: bytes)
        #expect(bundle.entries.filter { $0.disclosures != nil }.map(\.seq) == seqs)
        #expect(bundle.entries.allSatisfy { $0.decoys == nil })
        // From the disclosed fields alone: the same steps, the carton followed, the sale seen.
        let verified = try await bundle.verify(log: ledger.operatorVerifier, seller: "shop")
        #expect(verified.journey.steps.map(\.seq) == seqs)
        #expect(
            verified.journey.steps.map { $0.event.bizStepTerm } == [
                "commissioning", "packing", "shipping", "retail_selling",
            ])
        #expect(verified.journey.steps[0].event.epcList == [Self.serials[0]])
        #expect(verified.journey.steps[1].event.parentID == Self.carton)
        #expect(verified.journey.steps[0].event.certificationInfo == ["https://certifier.example/gots/TC-2026-1"])
        #expect(verified.journey.steps.allSatisfy { $0.hash.isEmpty })
        #expect(verified.listing?.findings.map(\.reason).contains(.alreadySold) == true)
        // Not another serial, the order, the place or the count, in any encoding the bundle holds.
        for secret in ["TS-0002", "TS-0012", "PO-77", "0614141.00001"] {
            #expect(!Encodings.contain(secret, in: bytes), "\(secret) is in the consumer's bundle")
        }
        #expect(Encodings.contain("TS-0001", in: bytes))
        // Of the registry, only the participants of its steps and the product's brand: not the farm or the
        // certifier, which the operator's bundle names.
        func registered(_ bundle: ProductBundle) throws -> Set<String> {
            Set(
                try bundle.entries.filter { $0.disclosures == nil }.compactMap { entry in
                    let statement = try RegistryStatement(
                        payload: try LedgerRecord(bytes: entry.record).envelope.payload)
                    if case .registration(let p) = statement.change { return p.id }
                    return nil
                })
        }
        #expect(try registered(bundle) == ["acme", "shop"])
        #expect(try registered(try await ledger.bundle(Self.shirt)) == ["farm", "acme", "shop", "gots"])
        #expect(!Encodings.contain("GOTS certifier", in: bytes) && !Encodings.contain("Farm", in: bytes))
    }

    @Test func aDisclosureThatIsNotTheSignedOneIsRefused() async throws {
        let (ledger, _) = try await Self.ledger()
        let bundle = try await ledger.bundle(Self.shirt, for: .anyone)
        // The seller's step told with another serial, under a fresh salt: no digest of the record matches it.
        let forged = bundle.entries.map { entry -> ProductBundle.Entry in
            guard var disclosures = entry.disclosures, entry.seq == bundle.entries.last?.seq else { return entry }
            let index = try! #require(disclosures.firstIndex { (try? Disclosure(parsing: $0))?.name == nil })
            disclosures[index] =
                Disclosure(salt: "c2FsdHNhbHRzYWx0c2FsdA", name: nil, value: .string(Self.serials[1])).encoded
            return ProductBundle.Entry(
                seq: entry.seq, record: entry.record, proof: entry.proof, disclosures: disclosures)
        }
        let resealed = try ProductBundle.sealed(
            code: bundle.code, checkpoint: bundle.checkpoint, entries: forged, by: ledger)
        let error = await #expect(throws: EngineError.self) { try await resealed.verify(log: ledger.operatorVerifier) }
        #expect(error?.code == .bundleDisclosure)
        // A sealed record with no disclosures, and a plain one with some, are refused too.
        for changed in [
            bundle.entries.map { $0.disclosures == nil ? $0 : .init(seq: $0.seq, record: $0.record, proof: $0.proof) },
            bundle.entries.map {
                $0.disclosures != nil ? $0 : .init(seq: $0.seq, record: $0.record, proof: $0.proof, disclosures: [])
            },
        ] {
            let bad = try ProductBundle.sealed(
                code: bundle.code, checkpoint: bundle.checkpoint, entries: changed, by: ledger)
            let error = await #expect(throws: EngineError.self) { try await bad.verify(log: ledger.operatorVerifier) }
            #expect(error?.code == .bundleDisclosure)
        }
    }
}
