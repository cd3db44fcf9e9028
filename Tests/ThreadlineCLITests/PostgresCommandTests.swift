import Foundation
import LedgerBackends
import LedgerStore
import Statements
import Testing
import Threadline
import ThreadlineTestSupport
import TransparencyLog

/// Many processes, one PostgreSQL, one order — and the same log when moved to SQLite and back.
@Suite(.serialized, .enabled(if: TestPostgres.serverURL != nil, "needs THREADLINE_TEST_POSTGRES (always set in CI)"))
struct PostgresCommandTests {
    let folder: URL

    init() throws {
        folder = try CLI.folder()
    }

    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run(arguments, in: folder, environment: environment)
    }

    /// Writes `count` envelopes signed by `key`, one per line; returns their canonical bytes.
    func writeEnvelopes(_ count: Int, by key: SigningKey, tag: String, to file: String) throws -> [[UInt8]] {
        let envelopes = try (0..<count).map {
            try Envelope(signing: Array(#"{"writer":"\#(tag)","n":\#($0)}"#.utf8), type: "application/json", with: key)
                .canonicalJSON
        }
        try Data((envelopes.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n").utf8)
            .write(to: folder.appendingPathComponent(file))
        return envelopes
    }

    @Test func concurrentProcessesAppendInOneGapFreeOrder() async throws {
        let ledger = try await TestPostgres.freshDatabase()
        let env = [
            "THREADLINE_LEDGER": ledger, "THREADLINE_OPERATOR_KEY": folder.appendingPathComponent("op.key").path,
        ]
        #expect(try run("init", "--origin", "example.com/pg-concurrency", environment: env).status == 0)
        let writers = 4
        let perWriter = 300
        var expected: [[[UInt8]]] = []
        for w in 0..<writers {
            let key = try SigningKey(name: "writer-\(w)", seed: [UInt8](repeating: UInt8(10 + w), count: 32))
            expected.append(try writeEnvelopes(perWriter, by: key, tag: "w\(w)", to: "w\(w).jsonl"))
        }
        // N processes at once, each in batches of 20, plus one signing checkpoints while they run.
        var processes: [(Process, Pipe)] = []
        for w in 0..<writers {
            let process = CLI.process(
                ["submit", "--jsonl", "--batch", "20", "w\(w).jsonl"], in: folder, environment: env)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append((process, output))
        }
        for _ in 0..<5 { _ = try run("checkpoint", environment: env) }
        var acknowledged: [[Int64]] = []
        for (process, output) in processes {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            acknowledged.append(String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Int64($0) })
        }

        let all = acknowledged.flatMap { $0 }
        #expect(all.count == writers * perWriter)
        #expect(Set(all) == Set(0..<Int64(writers * perWriter)))
        let verified = try run("verify", environment: env)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.lines.first?.hasPrefix("ok: \(writers * perWriter) records") == true)
        // Each writer's records are its own envelopes, in its own order.
        let store = try await LedgerLocation(ledger).open()
        let records = try await store.records(0..<Int64(writers * perWriter))
        for w in 0..<writers {
            #expect(acknowledged[w] == acknowledged[w].sorted())
            for (i, seq) in acknowledged[w].enumerated() {
                #expect(try LedgerRecord(bytes: records[Int(seq)]).envelope.canonicalJSON == expected[w][i])
            }
        }

        // Proofs and tiles are exactly those of the same log on SQLite.
        let checkpoint = try SignedNote(parsing: try run("checkpoint", environment: env).output)
        #expect(try Checkpoint(text: checkpoint.text).size == Int64(writers * perWriter))
        try run("prove", "777", environment: env).stdout.write(to: folder.appendingPathComponent("p.tlog-proof"))
        try run("entry", "777", environment: env).stdout.write(to: folder.appendingPathComponent("p.entry"))
        let vkey = String(decoding: try Data(contentsOf: folder.appendingPathComponent("op.key")), as: UTF8.self)
        let operatorKey = try SigningKey(fileContents: vkey).keyID
        #expect(try run("verify-proof", "p.tlog-proof", "--vkey", operatorKey, "--entry", "p.entry").status == 0)
        let migrated = try run("migrate", "--from", ledger, "--to", "copy.db")
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(try run("export-tiles", "pg-tiles", environment: env).status == 0)
        #expect(try run("export-tiles", "--ledger", "copy.db", "--operator-key", "op.key", "sqlite-tiles").status == 0)
        let pgTiles = try Self.files(under: folder.appendingPathComponent("pg-tiles"))
        #expect(pgTiles.count > 10)
        #expect(pgTiles == (try Self.files(under: folder.appendingPathComponent("sqlite-tiles"))))
    }

    @Test func migrateCopiesTheSameLogBothWays() async throws {
        #expect(try run("init", "--ledger", "a.db", "--origin", "example.com/migrate").status == 0)
        #expect(try run("key", "generate", "--out", "k.key").status == 0)
        for i in 0..<40 {
            try Data("event \(i)".utf8).write(to: folder.appendingPathComponent("e.txt"))
            _ = try run("append", "--ledger", "a.db", "--as", "k.key", "--type", "text/plain", "e.txt")
            if i % 13 == 0 { _ = try run("checkpoint", "--ledger", "a.db") }
        }
        let before = try SignedNote(parsing: try run("checkpoint", "--ledger", "a.db").output)
        let database = try await TestPostgres.freshDatabase()
        let there = try run("migrate", "--from", "a.db", "--to", database)
        #expect(there.status == 0, "\(there.stderr)")
        #expect(
            there.lines == [
                "copied 40 records and 4 checkpoints; root \(try Checkpoint(text: before.text).root.base64); checkpoint 40 verifies against the copy"
            ])
        #expect(try run("verify", "--ledger", database).status == 0)
        let back = try run("migrate", "--from", database, "--to", "b.db", "--json")
        #expect(back.status == 0)
        let summary = try JSONSerialization.jsonObject(with: back.stdout) as? [String: Any]
        #expect(summary?["records"] as? Int == 40)
        #expect(summary?["checkpoints"] as? Int == 4)
        // Byte for byte the same records and checkpoints.
        for seq in [0, 17, 39] {
            #expect(
                try run("entry", "--ledger", "a.db", "\(seq)").stdout
                    == run("entry", "--ledger", "b.db", "\(seq)").stdout)
        }
        #expect(
            try run("checkpoint", "--ledger", "b.db", "--operator-key", "a.db.operator-key").output == before.encoded)
        // A destination that exists is refused and left alone.
        let again = try run("migrate", "--from", "a.db", "--to", database)
        #expect(again.status == 5)
        #expect(try run("verify", "--ledger", database).lines.first?.hasPrefix("ok: 40 records") == true)
    }

    static func files(under root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in walker
        where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            result[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
        }
        return result
    }
}
