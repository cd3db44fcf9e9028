import Foundation
import GRDB
import LedgerStore
import LedgerStoreSQLite
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Alters stored bytes behind the ledger's back (dropping the append-only triggers first, as an attacker with
/// file access could) and checks that the audit names what was changed.
struct AuditorTests {
    static func ledgerFile(records: Int = 20) async throws -> String {
        let (ledger, path) = try await Sample.sqliteLedger()
        _ = try await ledger.append((0..<records).map { try Sample.envelope($0) })
        _ = try await ledger.checkpoint()
        return path
    }

    static func tamper(_ path: String, _ sql: String, _ arguments: StatementArguments = []) async throws {
        let db = try DatabaseQueue(path: path)
        try await db.write { db in
            for table in ["records", "hashes", "checkpoints"] {
                try db.execute(sql: "DROP TRIGGER \(table)_no_update")
            }
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    static func audit(_ path: String) async throws -> AuditReport {
        await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
    }

    @Test func aSoundLedgerPasses() async throws {
        let report = try await Self.audit(try await Self.ledgerFile())
        #expect(report.isSound)
        #expect(report.records == 20)
        #expect(report.signatures == 20)
        #expect(report.storedHashes == StoredHashes.count(size: 20))
        #expect(report.checkpoints == 1)
    }

    @Test func aChangedRecordIsNamed() async throws {
        let path = try await Self.ledgerFile()
        try await Self.tamper(
            path, "UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), 'eyJ', 'eyK') AS BLOB) WHERE seq = 7")
        let report = try await Self.audit(path)
        #expect(report.findings.first?.seq == 7)
        #expect(report.findings.first?.code == .signatureInvalid)
        #expect(report.findings.contains { $0.seq == 7 && $0.code == .storedHashMismatch })
        #expect(report.findings.contains { $0.seq == 8 && $0.code == .chainBroken })
    }

    @Test func aChangedTimeBreaksTheChainAndStoredHashButNotTheSignature() async throws {
        let path = try await Self.ledgerFile()
        try await Self.tamper(
            path,
            "UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), '10:40:00.000Z', '10:41:00.000Z') AS BLOB) WHERE seq = 3"
        )
        let report = try await Self.audit(path)
        #expect(
            report.findings.first
                == AuditFinding(
                    code: .storedHashMismatch, seq: 3,
                    message:
                        "stored hash \(StoredHashes.index(level: 0, offset: 3)) (this record's leaf hash) is not SHA-256(0x00 ‖ record bytes)"
                ))
        #expect(report.findings.contains { $0.seq == 4 && $0.code == .chainBroken })
    }

    @Test func aRecordWithAWrongSeqIsNamedAndItsSignatureStillChecked() async throws {
        let path = try await Self.ledgerFile()
        try await Self.tamper(
            path,
            "UPDATE records SET bytes = CAST(replace(replace(CAST(bytes AS TEXT), 'seq 9', 'seq 99'), 'eyJ', 'eyK') AS BLOB) WHERE seq = 9"
        )
        let report = try await Self.audit(path)
        let forNine = report.findings.filter { $0.seq == 9 }.map(\.code)
        #expect(forNine.prefix(2) == [.recordSequence, .signatureInvalid])
    }

    @Test func garbageInARecordIsNamed() async throws {
        let path = try await Self.ledgerFile()
        try await Self.tamper(path, "UPDATE records SET bytes = x'00ff' WHERE seq = 11")
        let report = try await Self.audit(path)
        #expect(report.findings.first?.seq == 11)
        #expect(report.findings.first?.code == .recordMalformed)
    }

    @Test func aChangedStoredHashIsNamed() async throws {
        let path = try await Self.ledgerFile()
        // Index of the level-2 subtree closed by record 7 (leaves 4…7).
        let index = StoredHashes.index(level: 2, offset: 1)
        try await Self.tamper(path, "UPDATE hashes SET hash = zeroblob(32) WHERE idx = ?", [index])
        let report = try await Self.audit(path)
        #expect(
            report.findings == [
                AuditFinding(
                    code: .storedHashMismatch, seq: 7,
                    message: "stored hash \(index) (a subtree closed by this record) is not the hash of its children")
            ])
    }

    @Test func aChangedCheckpointIsNamed() async throws {
        let path = try await Self.ledgerFile()
        try await Self.tamper(path, "UPDATE checkpoints SET note = replace(note, '\n20\n', '\n19\n')")
        let report = try await Self.audit(path)
        #expect(report.findings.count == 1)
        #expect(report.findings.first?.code == .checkpointInvalid)
        #expect(report.findings.first?.message.contains("size 20") == true)
    }

    @Test func aReSignedCheckpointWithAnotherRootIsCaught() async throws {
        let path = try await Self.ledgerFile()
        let body = try Checkpoint(origin: Sample.operatorKey.name, size: 20, root: Hash.sha256([1]))
        let note = try SignedNote(text: body.text, signatures: [Sample.operatorKey.noteSigner.sign(body.text)])
        try await Self.tamper(path, "UPDATE checkpoints SET note = ? WHERE size = 20", [note.encoded])
        let report = try await Self.audit(path)
        #expect(report.findings.map(\.code) == [.checkpointRootMismatch])
    }

    @Test func tileExportRefusesARecordTooLargeToFrame() async throws {
        let path = try await Self.ledgerFile(records: 3)
        try await Self.tamper(path, "UPDATE records SET bytes = zeroblob(70000) WHERE seq = 1")
        let store = try SQLiteLedgerStore.open(path: path)
        let ledger = try await Ledger(store: store)
        let note = try #require(try await ledger.latestCheckpoint())
        await #expect(throws: LedgerStoreError.self) {
            try await TileExporter(store: store).export(checkpoint: note, to: try TemporaryFolder.make())
        }
    }

    @Test func aMissingRecordIsReported() async throws {
        let path = try await Self.ledgerFile()
        let db = try DatabaseQueue(path: path)
        try await db.write { db in
            try db.execute(sql: "DROP TRIGGER records_no_delete")
            try db.execute(sql: "DELETE FROM records WHERE seq = 5")
        }
        let report = try await Self.audit(path)
        #expect(!report.isSound)
        #expect(report.findings.first?.code == .storeUnreadable)
        #expect(report.findings.first?.message.contains("record 5") == true)
    }
}

struct TileExporterTests {
    @Test func tilesHoldTheStoredHashesAndEntries() async throws {
        let ledger = try await Sample.memoryLedger()
        _ = try await ledger.append((0..<300).map { try Sample.envelope($0) })
        let note = try await ledger.checkpoint()
        let folder = try TemporaryFolder.make()
        let summary = try await TileExporter(store: ledger.store).export(checkpoint: note, to: folder)
        #expect(summary == TileExporter.Summary(treeSize: 300, hashTiles: 3, entryBundles: 2))
        let checkpoint = try String(contentsOf: folder.appendingPathComponent("checkpoint"), encoding: .utf8)
        #expect(checkpoint == note.encoded)
        // Level 1 holds one hash, the root of leaves 0…255; level 0's partial tile holds leaves 256…299.
        let level1 = try Data(contentsOf: folder.appendingPathComponent("tile/1/000.p/1"))
        let leaves = try await (0..<300).asyncMap { Merkle.leafHash(try await ledger.entry(Int64($0))) }
        #expect(Hash(bytes: level1) == Merkle.rootHash(leafHashes: leaves[0..<256]))
        let partial = try Data(contentsOf: folder.appendingPathComponent("tile/0/001.p/44"))
        #expect(partial.count == 44 * 32)
        #expect(Hash(bytes: partial.prefix(32)) == leaves[256])
        // Entry bundles: 2-byte big-endian length, then the exact record bytes.
        let bundle = try Data(contentsOf: folder.appendingPathComponent("tile/entries/001.p/44"))
        let first = try await ledger.entry(256)
        #expect(Int(bundle[0]) << 8 | Int(bundle[1]) == first.count)
        #expect(Array(bundle[2..<2 + first.count]) == first)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
