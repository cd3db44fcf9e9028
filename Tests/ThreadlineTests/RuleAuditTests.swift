import Foundation
import LedgerStore
import Testing
import TransparencyLog

@testable import Threadline
import Statements

/// The audit re-applies the ledger's rules from the log alone (issue 4, point 1): statements written around
/// the engine — as a rogue writer with database access could — are named with their record.
struct RuleAuditTests {
    typealias R = RecordingTests

    /// Appends `envelopes` straight to the store (no rules), indexing them as the engine would.
    static func appendRaw(_ ledger: Ledger, _ envelopes: [Envelope]) async throws {
        let prepared = try Ledger.prepare(envelopes)
        _ = try await ledger.store.append { head in
            try Ledger.build(
                prepared.canonical, keys: prepared.statements.map(\.indexKeys), openings: prepared.openings, on: head,
                time: 1_764_412_800_000)
        }
    }

    static func audit(_ ledger: Ledger) async -> AuditReport { await Auditor(store: ledger.store).run() }

    @Test func aLedgerRecordedThroughTheEngineMeetsItsRules() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append(try [R.signed(R.commissionShirts, by: R.brand), R.signed(R.sellShirt, by: R.shop)])
        let report = await Self.audit(ledger)
        #expect(report.isSound, "\(report.findings)")
        #expect(report.events == 2)
        #expect(report.registryStatements == 4)
        #expect(report.indexedRecords == 6)
    }

    @Test(arguments: [
        ("an unknown signer", AuditFinding.Code.signerNotValid),
        ("a role that may not commission", .recordingRule),
        ("a duplicate event", .duplicateEvent),
        ("a replayed registration", .duplicateStatement),
        ("a registration not signed by the operator", .registryRefused),
        ("an invalid event", .statementInvalid),
        ("an anchor by someone else", .anchorInvalid),
        ("an anchor over no stored checkpoint", .anchorInvalid),
    ])
    func aRuleBrokenAroundTheEngineIsNamed(case name: String, code: AuditFinding.Code) async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append([try R.signed(R.commissionShirts, by: R.brand)])
        let rogue: Envelope =
            switch name {
            case "an unknown signer": try R.signed(R.shipShirts, by: R.stranger)
            case "a role that may not commission": try R.signed(R.commissionBale, by: R.shop)
            case "a duplicate event": try R.signed(R.commissionShirts, by: R.brand)
            case "a replayed registration":
                // Record 2's registration of the shop, byte for byte.
                try LedgerRecord(bytes: try await ledger.entry(2)).envelope
            case "a registration not signed by the operator":
                try R.registry(
                    .registration(.init(id: "x", name: "X", roles: [.brand], keys: [R.stranger.keyID])), basis: 5,
                    by: R.brand)
            case "an anchor by someone else":
                try Envelope(
                    signing: Statement.anchorPayload(checkpoint: "x\n", token: [1]), type: Statement.anchorPayloadType,
                    with: R.brand)
            case "an anchor over no stored checkpoint":
                try Envelope(
                    signing: Statement.anchorPayload(checkpoint: "example.com/test-ledger\n1\nAAAA\n", token: [1]),
                    type: Statement.anchorPayloadType, with: Sample.operatorKey)
            default:
                try Envelope(
                    signing: Array(#"{"type":"ObjectEvent"}"#.utf8), type: Statement.eventPayloadType, with: R.brand)
            }
        // An invalid event has no index keys to write, so it goes in as opaque bytes would.
        if name == "an invalid event" {
            _ = try await ledger.store.append { head in
                try Ledger.build([rogue.canonicalJSON], keys: [[]], openings: [nil], on: head, time: 1_764_412_800_000)
            }
        } else {
            try await Self.appendRaw(ledger, [rogue])
        }
        let report = await Self.audit(ledger)
        #expect(report.findings.map(\.code) == [code], "\(report.findings)")
        #expect(report.findings.first?.seq == 5)
        if name == "a duplicate event" {
            // The finding names the event by its CBV 2.0 hash.
            let hash = try Statement.event(payload: R.commissionShirts).hash()
            #expect(report.findings.first?.message == "the same event (\(hash)) is already record 4")
        }
    }

    @Test func anIndexThatDisagreesWithTheLogIsNamedAndRebuilt() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append(
            try [R.signed(R.commissionShirts, by: R.brand), R.signed(R.shipShirts, by: R.brand)])
        let entries = try await ledger.store.indexEntries(in: 0..<6)
        try await ledger.store.resetIndex()
        // Re-add all but one entry of record 5, and one entry the log does not justify.
        let dropped = try #require(entries.last { $0.seq == 5 })
        try await ledger.store.addIndex(
            entries.filter { $0 != dropped } + [IndexEntry(key: "epc:https://example.com/forged", seq: 4)], from: 0,
            to: 6)
        let report = await Self.audit(ledger)
        #expect(Set(report.findings.map(\.code)) == [.indexMismatch])
        #expect(report.findings.contains { $0.seq == 5 && $0.message.contains(dropped.key) })
        #expect(report.findings.contains { $0.seq == 4 && $0.message.contains("forged") })
        _ = try await ledger.reindex()
        #expect(await Self.audit(ledger).isSound)
    }
}

extension RuleAuditTests {
    /// A ledger indexed before one identifier had one spelling (07 §2.1) keeps the keys as the events spelled
    /// them: the audit names each, trace misses the product, and `reindex` rebuilds the index canonical.
    @Test func anIndexOfIdentifiersAsSpelledIsRebuiltCanonical() async throws {
        let ledger = try await R.ledger()
        let escaped = "urn:epc:id:sgtin:0614141.112345.TS%2D1"
        let commission = R.event(
            #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","epcList":["\#(escaped)"]"#)
        _ = try await ledger.append([try R.signed(commission, by: R.brand)])
        let canonical = "epc:https://id.gs1.org/01/10614141123459/21/TS-1"
        let entries = try await ledger.store.indexEntries(in: 0..<5)
        #expect(entries.contains { $0.key == canonical })
        #expect(try await ledger.trace("https://id.gs1.org/01/10614141123459/21/TS%2d1").steps.count == 1)
        // The index as an older Threadline wrote it: the serial as the event spelled it.
        let old = entries.map {
            $0.key == canonical
                ? IndexEntry(key: "epc:https://id.gs1.org/01/10614141123459/21/TS%2D1", seq: $0.seq) : $0
        }
        try await ledger.store.resetIndex()
        try await ledger.store.addIndex(old, from: 0, to: 5)
        #expect(try await ledger.trace("https://id.gs1.org/01/10614141123459/21/TS-1").steps.isEmpty)
        let report = await Self.audit(ledger)
        #expect(Set(report.findings.map(\.code)) == [.indexMismatch])
        _ = try await ledger.reindex()
        #expect(await Self.audit(ledger).isSound)
        #expect(try await ledger.trace("https://id.gs1.org/01/10614141123459/21/TS-1").steps.count == 1)
    }
}
