import Foundation
import GRDB
import LedgerStore
import LedgerStoreSQLite
import Testing
import TransparencyLog

@testable import Threadline
import LedgerRules
import Participants
import Statements

/// The ledger's recording rules (issue 3, point 4): each refusal, and that nothing is appended.
@Suite struct RecordingTests {
    static let farm = Sample.farm
    static let brand = Sample.brand
    static let shop = try! SigningKey(name: "sample-shop", seed: [UInt8](repeating: 4, count: 32))
    static let certifier = try! SigningKey(name: "sample-certifier", seed: [UInt8](repeating: 5, count: 32))
    static let stranger = try! SigningKey(name: "stranger", seed: [UInt8](repeating: 6, count: 32))
    static let brand2 = try! SigningKey(name: "sample-brand-2", seed: [UInt8](repeating: 7, count: 32))

    /// A registry change signed against a log of `basis` records.
    static func registry(
        _ change: RegistryStatement.Change, basis: Int64, by key: SigningKey = Sample.operatorKey
    ) throws -> Envelope {
        let statement = RegistryStatement(change, basis: basis)
        return try Envelope(signing: statement.payload, type: RegistryStatement.payloadType, with: key)
    }

    /// A ledger with a farm (prefix 8901234), a brand (0614141), a marketplace and a certifier.
    static func ledger() async throws -> Ledger { try await ledgerAndPath().0 }

    /// `ledger()`, with the path of its SQLite file.
    static func ledgerAndPath(
        clock: @escaping @Sendable () -> Int64 = { 1_764_412_800_000 }
    ) async throws -> (Ledger, String) {
        let (ledger, path) = try await Sample.sqliteLedger(clock: clock)
        _ = try await ledger.append([
            try registry(
                .registration(
                    .init(id: "farm", name: "Farm", roles: [.origin], companyPrefixes: ["8901234"], keys: [farm.keyID])),
                basis: 0),
            try registry(
                .registration(
                    .init(
                        id: "acme", name: "Acme", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                        keys: [brand.keyID])), basis: 0),
            try registry(
                .registration(.init(id: "shop", name: "Shop", roles: [.marketplace], keys: [shop.keyID])), basis: 0),
            try registry(
                .registration(.init(id: "gots", name: "GOTS certifier", roles: [.certifier], keys: [certifier.keyID])),
                basis: 0),
        ])
        return (ledger, path)
    }

    static func event(_ body: String, time: String = "2026-09-01T08:00:00Z") -> [UInt8] {
        Array(
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"eventTime":"\#(time)","eventTimeZoneOffset":"+00:00",\#(body)}"#
                .utf8)
    }

    static let commissionBale = event(
        #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"urn:epc:class:lgtin:8901234.012345.B1","quantity":200,"uom":"KGM"}]"#
    )
    static let commissionShirts = event(
        #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
    )
    static let shipShirts = event(
        #""type":"ObjectEvent","action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
    )
    static let sellShirt = event(
        #""type":"ObjectEvent","action":"OBSERVE","bizStep":"retail_selling","disposition":"retail_sold","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
    )
    static let inspect = event(
        #""type":"ObjectEvent","action":"OBSERVE","bizStep":"inspecting","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
    )

    static func signed(_ payload: [UInt8], by key: SigningKey) throws -> Envelope {
        try Envelope(signing: payload, type: Statement.eventPayloadType, with: key)
    }

    /// Appends and expects a refusal with `code`; checks the log did not grow.
    func expectRefusal(
        _ ledger: Ledger, _ envelopes: [Envelope], code: some ErrorCode, existing: Int64? = nil
    ) async throws {
        let before = try await ledger.store.size()
        do {
            _ = try await ledger.append(envelopes)
            Issue.record("appended; expected \(code)")
        } catch LedgerError.refused(_, let error, let found) {
            #expect(error.matches(code), "\(error)")
            #expect(found == existing)
        } catch LedgerError.invalidStatement(_, let error) {
            #expect(error.matches(code), "\(error)")
        }
        #expect(try await ledger.store.size() == before)
    }

    @Test func registeredParticipantsRecordTheirOwnSteps() async throws {
        let ledger = try await Self.ledger()
        let seqs = try await ledger.append([
            try Self.signed(Self.commissionBale, by: Self.farm), try Self.signed(Self.commissionShirts, by: Self.brand),
            try Self.signed(Self.shipShirts, by: Self.brand), try Self.signed(Self.sellShirt, by: Self.shop),
            try Self.signed(Self.inspect, by: Self.certifier),
        ])
        #expect(seqs == 4..<9)
        let entries = try await ledger.store.lookup([IndexKey.object("urn:epc:id:sgtin:0614141.112345.1")], from: 0)
        #expect(entries.map(\.seq) == [5, 6, 7, 8])
    }

    @Test func anUnknownSignerIsRefused() async throws {
        let ledger = try await Self.ledger()
        try await expectRefusal(
            ledger, [try Self.signed(Self.shipShirts, by: Self.stranger)], code: RuleCode.recordSigner)
    }

    @Test func aRevokedParticipantOrKeyIsRefused() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append([
            try Self.registry(.revocation(participant: "shop", key: nil, reason: "closed"), basis: 4)
        ])
        try await expectRefusal(ledger, [try Self.signed(Self.sellShirt, by: Self.shop)], code: RuleCode.recordSigner)
        _ = try await ledger.append([
            try Self.registry(.keyRotation(participant: "acme", newKey: Self.brand2.keyID, retiredKey: nil), basis: 5),
            // Signed knowing the rotation will be record 5: a change signed against the log before it would be stale.
            try Self.registry(.revocation(participant: "acme", key: Self.brand.keyID, reason: "key leaked"), basis: 6),
        ])
        try await expectRefusal(ledger, [try Self.signed(Self.shipShirts, by: Self.brand)], code: RuleCode.recordSigner)
        #expect(try await ledger.append([try Self.signed(Self.shipShirts, by: Self.brand2)]).count == 1)
    }

    @Test func aRotatedOutKeyIsRefusedAndTheNewOneAccepted() async throws {
        let ledger = try await Self.ledger()
        let before = try await ledger.append([try Self.signed(Self.commissionShirts, by: Self.brand)])
        _ = try await ledger.append([
            try Self.registry(
                .keyRotation(participant: "acme", newKey: Self.brand2.keyID, retiredKey: Self.brand.keyID), basis: 5)
        ])
        try await expectRefusal(ledger, [try Self.signed(Self.shipShirts, by: Self.brand)], code: RuleCode.recordSigner)
        #expect(
            try await ledger.append([try Self.signed(Self.shipShirts, by: Self.brand2)]).lowerBound == before.upperBound
                + 1)
    }

    /// An event signed by two participants: the roles and company prefixes of either count, any unusable signer
    /// refuses it, and certifiers alone still only inspect.
    @Test func anEventSignedByTwoParticipantsIsJudgedByBoth() async throws {
        let ledger = try await Self.ledger()
        // Each event at its own time, so that none is refused as a duplicate of another.
        var hour = 0
        func signed(_ step: String, _ action: String, by keys: [SigningKey]) throws -> Envelope {
            hour += 1
            let event = Self.event(
                #""type":"ObjectEvent","action":"\#(action)","bizStep":"\#(step)","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#,
                time: "2026-09-01T\(hour < 10 ? "0" : "")\(hour):00:00Z")
            return try Envelope(signing: event, type: Statement.eventPayloadType, with: keys)
        }
        // The farm may not commission the brand's GTIN, nor the shop sell alone what it does not make — but the
        // brand's prefix and roles count when the brand signs too, whichever key signs first.
        _ = try await ledger.append([try signed("commissioning", "ADD", by: [Self.farm, Self.brand])])
        _ = try await ledger.append([try signed("retail_selling", "OBSERVE", by: [Self.farm, Self.shop])])
        // A second signer that is not registered refuses the event, wherever it signs.
        try await expectRefusal(
            ledger, [try signed("shipping", "OBSERVE", by: [Self.brand, Self.stranger])], code: RuleCode.recordSigner)
        try await expectRefusal(
            ledger, [try signed("shipping", "OBSERVE", by: [Self.stranger, Self.brand])], code: RuleCode.recordSigner)
        // Neither a marketplace nor a farm makes the brand's products, together or apart.
        try await expectRefusal(
            ledger, [try signed("commissioning", "ADD", by: [Self.shop, Self.farm])], code: RuleCode.recordCompanyPrefix
        )
        try await expectRefusal(
            ledger, [try signed("commissioning", "ADD", by: [Self.shop, Self.certifier])], code: RuleCode.recordRole)
        // Two certifiers only inspect; a certifier with a brand may ship.
        try await expectRefusal(
            ledger, [try signed("shipping", "OBSERVE", by: [Self.certifier, Self.certifier])], code: RuleCode.recordRole
        )
        _ = try await ledger.append([try signed("shipping", "OBSERVE", by: [Self.certifier, Self.brand])])
        _ = try await ledger.append([try signed("inspecting", "OBSERVE", by: [Self.certifier, Self.certifier])])
    }

    @Test func aRoleThatMayNotRecordTheStepIsRefused() async throws {
        let ledger = try await Self.ledger()
        // A marketplace commissions nothing; a farm commissions only under its own prefix.
        try await expectRefusal(
            ledger, [try Self.signed(Self.commissionShirts, by: Self.shop)], code: RuleCode.recordRole)
        try await expectRefusal(
            ledger, [try Self.signed(Self.commissionShirts, by: Self.farm)], code: RuleCode.recordCompanyPrefix)
        // A farm does not sell to consumers; a certifier only inspects.
        try await expectRefusal(ledger, [try Self.signed(Self.sellShirt, by: Self.farm)], code: RuleCode.recordRole)
        try await expectRefusal(
            ledger, [try Self.signed(Self.shipShirts, by: Self.certifier)], code: RuleCode.recordRole)
        // A transformation's outputs are commissioned too.
        let spin = Self.event(
            #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:8901234.012345.B1","quantity":200,"uom":"KGM"}],"outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.012345.Y1","quantity":180,"uom":"KGM"}]"#
        )
        try await expectRefusal(ledger, [try Self.signed(spin, by: Self.farm)], code: RuleCode.recordCompanyPrefix)
    }

    @Test func anInvalidEventIsRefusedWithItsReason() async throws {
        let ledger = try await Self.ledger()
        let bad = Self.event(#""type":"ObjectEvent","action":"CREATE","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#)
        try await expectRefusal(ledger, [try Self.signed(bad, by: Self.brand)], code: StatementCode.eventInvalid)
        let notJSON = try Envelope(signing: Array("{".utf8), type: Statement.eventPayloadType, with: Self.brand)
        try await expectRefusal(ledger, [notJSON], code: StatementCode.eventJSON)
    }

    @Test func aDuplicateIsRefusedNamingTheExistingRecord() async throws {
        let ledger = try await Self.ledger()
        let first = try await ledger.append([try Self.signed(Self.commissionShirts, by: Self.brand)])
        // The same event written differently (a Digital Link instead of the URN) is the same event.
        let same = Self.event(
            #""epcList":["https://brand.example/01/10614141123459/21/1"],"bizStep":"urn:epcglobal:cbv:bizstep:commissioning","action":"ADD","type":"ObjectEvent""#
        )
        try await expectRefusal(
            ledger, [try Self.signed(same, by: Self.brand)], code: RuleCode.recordDuplicate, existing: first.lowerBound)
        // Twice in one batch: refused too.
        try await expectRefusal(
            ledger,
            [try Self.signed(Self.shipShirts, by: Self.brand), try Self.signed(Self.shipShirts, by: Self.brand)],
            code: RuleCode.recordDuplicate)
    }

    @Test func aLedgerWithTheOldIndexTableIsReindexedAsRunsWhenOpenedSoAReplayIsStillRefused() async throws {
        let (ledger, path) = try await Self.ledgerAndPath()
        let first = try await ledger.append([try Self.signed(Self.commissionShirts, by: Self.brand)])
        // The index as a ledger made before it was kept as runs, and before an event's key had the time in it
        // (`event:<hash>`) and events lost their `events` key: one row a key a record.
        let entries = try await ledger.store.indexEntries(in: 0..<(try await ledger.store.size()))
        #expect(entries.count > 3)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: """
                    DROP TABLE index_runs;
                    CREATE TABLE index_entries (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq))
                        WITHOUT ROWID;
                    CREATE INDEX index_entries_by_seq ON index_entries(seq);
                    DELETE FROM grdb_migrations WHERE identifier IN ('v9-no-events-key', 'v10-index-runs');
                    """)
            for entry in entries {
                let event = entry.key.hasPrefix("event:")
                try db.execute(
                    sql: "INSERT INTO index_entries(key, seq) VALUES (?, ?)",
                    arguments: [event ? "event:" + entry.key.suffix(64) : entry.key, entry.seq])
                if event {
                    try db.execute(
                        sql: "INSERT INTO index_entries(key, seq) VALUES ('events', ?)", arguments: [entry.seq])
                }
            }
        }
        func keys(_ sql: String) async throws -> [String] {
            try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: sql) }
        }
        #expect(try await keys("SELECT key FROM index_entries WHERE key LIKE 'event:%'").map(\.count) == [70])
        let store = try SQLiteLedgerStore.open(path: path)
        #expect(try await keys("SELECT name FROM sqlite_master WHERE name LIKE 'index_entries%'").isEmpty)
        let reopened = try await Ledger(store: store, operatorKey: Sample.operatorKey, clock: { 1_764_412_800_000 })
        try await expectRefusal(
            reopened, [try Self.signed(Self.commissionShirts, by: Self.brand)], code: RuleCode.recordDuplicate,
            existing: first.lowerBound)
        #expect(
            try await keys("SELECT key FROM index_runs WHERE key LIKE 'event:%'").map { $0.prefix(31) } == [
                "event:2026-09-01T08:00:00.000Z/"
            ])
        #expect(try await keys("SELECT key FROM index_runs WHERE key = 'events'").isEmpty)
        let report = await Auditor(store: store).run()
        let size = try await store.size()
        #expect(report.isSound && report.indexedRecords == size, "\(report.findings)")
    }

    @Test func eachStatementOnItsOwnAppendsTheGoodOnesInOrder() async throws {
        let ledger = try await Self.ledger()
        let prepared = try Ledger.prepare([
            try Self.signed(Self.commissionShirts, by: Self.brand),
            try Self.signed(
                Self.event(
                    #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.2"]"#
                ), by: Self.shop),
            try Self.signed(Self.shipShirts, by: Self.brand), try Self.signed(Self.commissionShirts, by: Self.brand),
        ])
        let results = try await ledger.appendEach(prepared: prepared)
        #expect((try? results[0].get()) == 4)
        #expect((try? results[2].get()) == 5)
        guard case .failure(.refused(_, let role, _)) = results[1],
            case .failure(.refused(_, let dup, let existing)) = results[3]
        else {
            Issue.record("\(results)")
            return
        }
        #expect(role.matches(RuleCode.recordRole))
        #expect(dup.matches(RuleCode.recordDuplicate))
        #expect(existing == 4)
        #expect(try await ledger.store.size() == 6)
    }

    @Test func registryStatementsAreCheckedByTheLedgerToo() async throws {
        let ledger = try await Self.ledger()
        let byBrand = try Self.registry(
            .registration(.init(id: "x", name: "X", roles: [.brand], keys: [Self.stranger.keyID])), basis: 4,
            by: Self.brand)
        try await expectRefusal(ledger, [byBrand], code: RegistryCode.signer)
        let (registry, refused) = try await ledger.registry()
        #expect(registry.participants.count == 4)
        #expect(refused.isEmpty)
    }

    @Test func theIndexIsRebuiltFromTheLogAndAnotherWriterIsSeen() async throws {
        let (ledger, path) = try await Sample.sqliteLedger()
        _ = try await ledger.append([
            try Self.registry(
                .registration(
                    .init(
                        id: "acme", name: "Acme", roles: [.brand], companyPrefixes: ["0614141"],
                        keys: [Self.brand.keyID])), basis: 0),
            try Self.signed(Self.commissionShirts, by: Self.brand),
        ])
        // A second engine on the same file (another process) registers the shop; the first sees it.
        let other = try await Ledger(store: try SQLiteLedgerStore.open(path: path))
        _ = try await other.append([
            try Self.registry(
                .registration(.init(id: "shop", name: "Shop", roles: [.marketplace], keys: [Self.shop.keyID])), basis: 2
            )
        ])
        #expect(try await ledger.append([try Self.signed(Self.sellShirt, by: Self.shop)]) == 3..<4)
        let keys = [
            IndexKey.registry, IndexKey.bizStep("https://ref.gs1.org/cbv/BizStep-commissioning"),
            IndexKey.object("urn:epc:id:sgtin:0614141.112345.1"),
        ]
        let before = try await ledger.store.lookup(keys, from: 0)
        try await ledger.store.resetIndex()
        // The next append catches the index up from the log before checking for duplicates.
        try await expectRefusal(
            ledger, [try Self.signed(Self.sellShirt, by: Self.shop)], code: RuleCode.recordDuplicate, existing: 3)
        #expect(try await ledger.store.lookup(keys, from: 0) == before)
        #expect(try await ledger.store.indexedSize() == 4)
    }

    @Test func aStatementOfAnyKindIsAppendedOnceAndItsReplaysAreRefused() async throws {
        let ledger = try await Self.ledger()
        let note = try Envelope(signing: Array("a note".utf8), type: "text/plain", with: Self.shop)
        let grant = try Self.registry(
            .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false), basis: 4,
            by: Self.brand)
        #expect(try await ledger.append([note, grant]) == 4..<6)
        // The same bytes again, or the same signed statement with its signatures in another order or another
        // added: each is the statement already recorded.
        try await expectRefusal(ledger, [note], code: RuleCode.recordDuplicate, existing: 4)
        try await expectRefusal(ledger, [grant], code: RuleCode.recordDuplicate, existing: 5)
        let cosigned = try Envelope(
            payloadType: note.payloadType, payload: note.payload,
            signatures: try Envelope(signing: note.payload, type: note.payloadType, with: [Self.brand, Self.shop])
                .signatures)
        try await expectRefusal(ledger, [cosigned], code: RuleCode.recordDuplicate, existing: 4)
        // Twice in one request: the second is refused, and with it (all or nothing) the request.
        let other = try Envelope(signing: Array("another note".utf8), type: "text/plain", with: Self.shop)
        try await expectRefusal(ledger, [other, other], code: RuleCode.recordDuplicate)
        // The brand withdraws; the earlier grant, replayed, neither appends nor authorises again.
        let withdrawal = try Self.registry(
            .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: true), basis: 6,
            by: Self.brand)
        #expect(try await ledger.append([withdrawal]) == 6..<7)
        try await expectRefusal(ledger, [grant], code: RuleCode.recordDuplicate, existing: 5)
        // A grant signed against an earlier log, never submitted, is stale once the withdrawal is recorded.
        let heldBack = try Self.registry(
            .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: ["0614141"], withdrawn: false),
            basis: 5, by: Self.brand)
        try await expectRefusal(ledger, [heldBack], code: RegistryCode.stale)
        let registry = try await ledger.currentRegistry()
        #expect(
            !registry.isAuthorized(channel: "shop", brand: "acme", companyPrefix: "0614141", at: registry.size, time: 0)
        )
        // A new registry statement must name its basis.
        let legacy = try Envelope(
            signing: RegistryStatement(
                .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false), basis: nil
            ).payload, type: RegistryStatement.payloadType, with: Self.brand)
        try await expectRefusal(ledger, [legacy], code: RegistryCode.basis)
        // After a restart (the index read back from the store), the replay is still refused.
        let reopened = try await Ledger(store: ledger.store)
        try await expectRefusal(reopened, [note], code: RuleCode.recordDuplicate, existing: 4)
        #expect(await Auditor(store: ledger.store).run().isSound)
    }

    /// The server asks for the registry on every capture request: many catch-ups at once, while appends run, after
    /// another writer registered participants, fold each registry record once.
    @Test func concurrentCatchUpsFoldTheRegistryOnce() async throws {
        let (ledger, path) = try await Sample.sqliteLedger()
        _ = try await ledger.append([try Self.registry(.registration(Self.acmeProfile), basis: 0)])
        let other = try await Ledger(store: try SQLiteLedgerStore.open(path: path))
        for i in 0..<20 {
            let key = try SigningKey(name: "p\(i)", seed: [UInt8](repeating: UInt8(100 + i), count: 32))
            _ = try await other.append([
                try Self.registry(
                    .registration(.init(id: "p\(i)", name: "P\(i)", roles: [.origin], keys: [key.keyID])),
                    basis: Int64(1 + i))
            ])
        }
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<40 {
                group.addTask {
                    if i % 4 == 0 {
                        let note = try Envelope(signing: Array("note \(i)".utf8), type: "text/plain", with: Self.brand)
                        _ = try await ledger.append([note])
                    }
                    return try await ledger.currentRegistry().participants.count
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(sizes.allSatisfy { $0 == 21 })
        #expect(try await ledger.store.indexedSize() == 31)
    }

    static let acmeProfile = Participant.Profile(
        id: "acme", name: "Acme", roles: [.brand], companyPrefixes: ["0614141"], keys: [brand.keyID])
}
