import Foundation
import GS1Identifiers
import LedgerRules
import Statements
import Testing
import ThreadlineLabel
import TransparencyLog

/// The CLI contract, through the real binary: outputs scripts depend on, exit codes, nothing changed on failure.
@Suite(.serialized) struct CommandTests {
    let folder: URL

    init() throws {
        folder = try CLI.folder()
    }

    func run(_ arguments: String..., stdin: Data? = nil) throws -> CLI.Result {
        try CLI.run(arguments, in: folder, stdin: stdin)
    }

    /// A ledger with an operator key and one participant key; returns the operator's vkey.
    func setUp() throws -> String {
        let initialised = try run("init", "--ledger", "l.db", "--origin", "example.com/cli-test")
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(try run("key", "generate", "--out", "farm.key").status == 0)
        return initialised.output.trimmingCharacters(in: .newlines)
    }

    @Test func theWholeWorkflow() throws {
        let vkey = try setUp()
        let verifier = try Ed25519NoteVerifier(verifierKey: vkey)
        #expect(verifier.name == "example.com/cli-test")
        let keyMode =
            try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("l.db.operator-key").path)[
                .posixPermissions] as? Int
        #expect(keyMode == 0o600)

        try Data(#"{"type":"ObjectEvent"}"#.utf8).write(to: folder.appendingPathComponent("event.json"))
        #expect(
            try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "application/ld+json", "event.json")
                .lines == ["0"])
        #expect(
            try run(
                "append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "-",
                stdin: Data("from stdin".utf8)
            ).lines == ["1"])

        let key = try SigningKey(
            fileContents: String(contentsOf: folder.appendingPathComponent("farm.key"), encoding: .utf8))
        let envelopes = try (0..<5).map {
            try Envelope(signing: Array("pre-signed \($0)".utf8), type: "text/plain", with: key)
        }
        for (i, envelope) in envelopes.enumerated() {
            try Data(envelope.canonicalJSON).write(to: folder.appendingPathComponent("env\(i).json"))
        }
        #expect(try run("submit", "--ledger", "l.db", "env0.json", "env1.json").lines == ["2", "3"])
        // Not env0 and env1 again: a statement is recorded once (Specs/10 §2).
        let jsonl = Data(
            (envelopes[2...].map { String(decoding: $0.canonicalJSON, as: UTF8.self) }.joined(separator: "\n") + "\n")
                .utf8)
        #expect(
            try run("submit", "--ledger", "l.db", "--jsonl", "--batch", "2", "-", stdin: jsonl).lines == [
                "4", "5", "6",
            ])

        let entry = try run("entry", "--ledger", "l.db", "1")
        let record = try LedgerRecord(bytes: entry.stdout)
        #expect(record.seq == 1)
        #expect(record.envelope.payload == Array("from stdin".utf8))

        let checkpoint = try run("checkpoint", "--ledger", "l.db")
        let note = try SignedNote(parsing: checkpoint.output)
        #expect(note.verify([verifier]).isValid)
        #expect(try Checkpoint(text: note.text).size == 7)

        let proof = try run("prove", "--ledger", "l.db", "1")
        try proof.stdout.write(to: folder.appendingPathComponent("one.tlog-proof"))
        try entry.stdout.write(to: folder.appendingPathComponent("one.entry"))
        try Data((vkey + "\n").utf8).write(to: folder.appendingPathComponent("log.vkey"))
        let checked = try run("verify-proof", "one.tlog-proof", "--vkey", "log.vkey", "--entry", "one.entry")
        #expect(checked.status == 0)
        #expect(checked.lines == ["ok: entry 1 is in example.com/cli-test at tree size 7"])
        try run("entry", "--ledger", "l.db", "2").stdout.write(to: folder.appendingPathComponent("two.entry"))
        let wrong = try run("verify-proof", "one.tlog-proof", "--vkey", vkey, "--entry", "two.entry")
        #expect(wrong.status == 1)
        #expect(wrong.lines.first?.hasPrefix("FAIL: inclusion:") == true)

        _ = try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "event.json")
        let consistency = try run("prove", "--ledger", "l.db", "--consistency", "7")
        let newNote = try SignedNote(parsing: try run("checkpoint", "--ledger", "l.db").output)
        let new = try Checkpoint(text: newNote.text)
        #expect(new.size == 8)
        let hashes = consistency.lines.compactMap { Hash(base64: $0) }
        #expect(hashes.count == consistency.lines.count && !hashes.isEmpty)
        #expect(
            Proofs.verifyConsistency(
                oldSize: 7, newSize: 8, oldRoot: try Checkpoint(text: note.text).root, newRoot: new.root, proof: hashes)
        )

        let verified = try run("verify", "--ledger", "l.db")
        #expect(verified.status == 0)
        #expect(verified.lines == ["ok: 8 records, 8 signatures, 15 stored hashes, 2 checkpoints (latest size 8)"])
        let report =
            try JSONSerialization.jsonObject(with: try run("verify", "--ledger", "l.db", "--json").stdout)
            as? [String: Any]
        #expect(report?["records"] as? Int == 8)
        #expect((report?["findings"] as? [Any])?.isEmpty == true)

        let exported = try run("export-tiles", "--ledger", "l.db", "tiles")
        #expect(exported.lines == ["exported tree size 8: 1 hash tiles, 1 entry bundles, checkpoint"])
        let tile = try Data(contentsOf: folder.appendingPathComponent("tiles/tile/0/000.p/8"))
        #expect(tile.count == 8 * 32)
        #expect(Hash(bytes: tile.prefix(32)) == Merkle.leafHash(try run("entry", "--ledger", "l.db", "0").stdout))
    }

    @Test func theLedgerCanComeFromTheEnvironment() throws {
        _ = try setUp()
        let result = try CLI.run(["verify"], in: folder, environment: ["THREADLINE_LEDGER": "l.db"])
        #expect(result.status == 0)
        #expect(result.lines.first?.hasPrefix("ok: 0 records") == true)
    }

    @Test func failuresSayWhyExitWithTheirCodeAndChangeNothing() throws {
        _ = try setUp()
        try Data("payload".utf8).write(to: folder.appendingPathComponent("p.txt"))
        _ = try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "p.txt")
        let before = try dump()

        func expectFailure(_ result: CLI.Result, _ code: Int32, _ fragment: String) {
            #expect(result.status == code, "\(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(
                lines.count == 1 && lines[0].hasPrefix("threadline: error: ") && lines[0].contains(fragment),
                "\(result.stderr)")
        }
        expectFailure(try run("verify", "--ledger", "missing.db"), 5, "no ledger at missing.db")
        expectFailure(try run("init", "--ledger", "l.db", "--origin", "x"), 5, "already exists")
        expectFailure(try run("entry", "--ledger", "l.db", "5"), 2, "there is no record 5")
        expectFailure(try run("key", "generate", "--out", "farm.key"), 2, "already exists")
        try Data(#"{"payloadType":"text/plain","payload":"aGk=","signatures":[{"keyid":"x","sig":"AAAA"}]}"#.utf8)
            .write(to: folder.appendingPathComponent("bad.json"))
        expectFailure(
            try run("submit", "--ledger", "l.db", "bad.json"), 2, "bad.json: signature 0: keyid is not a verifier key")
        try Data("not json".utf8).write(to: folder.appendingPathComponent("junk.json"))
        expectFailure(try run("submit", "--ledger", "l.db", "junk.json"), 2, "junk.json: not a DSSE envelope")
        expectFailure(
            try run("append", "--ledger", "l.db", "--as", "nokey", "--type", "t", "p.txt"), 2,
            "key file 'nokey' does not exist")
        expectFailure(
            try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "bad\"type", "p.txt"), 2, "payloadType")
        try Data(repeating: 0x61, count: 60_000).write(to: folder.appendingPathComponent("big.txt"))
        expectFailure(
            try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "big.txt"), 2, "64 KiB")
        try Data("garbage".utf8).write(to: folder.appendingPathComponent("other.key"))
        expectFailure(try run("checkpoint", "--ledger", "l.db", "--operator-key", "other.key"), 2, "not a private key")
        #expect(try run("prove", "--ledger", "l.db").status == 64)
        #expect(try run("verify").status == 64)

        #expect(try dump() == before)
        #expect(try run("verify", "--ledger", "l.db").lines.first?.hasPrefix("ok: 1 records") == true)
    }

    /// The ledger's whole content, as SQL.
    func dump() throws -> String {
        try sqlite(".dump")
    }

    @discardableResult
    func sqlite(_ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [folder.appendingPathComponent("l.db").path, sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 \(sql)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aDamagedStoredCheckpointIsReportedAsDamage() throws {
        _ = try setUp()
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("farm.key").path)[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("e".utf8).write(to: folder.appendingPathComponent("e.txt"))
        _ = try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "e.txt")
        _ = try run("checkpoint", "--ledger", "l.db")
        try sqlite("DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = 'garbage';")
        let result = try run("checkpoint", "--ledger", "l.db")
        #expect(result.status == 6, "\(result.stderr)")
        #expect(
            result.stderr.hasPrefix("threadline: error: refusing to sign: the stored checkpoint of size 1 is malformed")
        )
        let audit = try run("verify", "--ledger", "l.db")
        #expect(audit.status == 1)
        #expect(audit.lines.first?.hasPrefix("FAIL: checkpoint-invalid: checkpoint of size 1:") == true)
    }

    @Test func verifyNamesTheFirstBadRecord() throws {
        _ = try setUp()
        for i in 0..<6 {
            try Data("event \(i)".utf8).write(to: folder.appendingPathComponent("e.txt"))
            _ = try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "e.txt")
        }
        _ = try run("checkpoint", "--ledger", "l.db")
        // Behind the ledger's back: drop the guard and change one byte of record 4's payload.
        let sql = """
            DROP TRIGGER records_no_update;
            UPDATE records SET bytes = CAST(replace(CAST(bytes AS TEXT), '"payload":"ZX', '"payload":"ZZ') AS BLOB) WHERE seq = 4;
            """
        try sqlite(sql)
        let result = try run("verify", "--ledger", "l.db")
        #expect(result.status == 1)
        #expect(result.lines.first?.hasPrefix("FAIL: record 4: signature-invalid:") == true, "\(result.output)")
        #expect(result.lines.contains { $0.hasPrefix("  also: record 5: chain-broken:") })
    }

    @Test func aRefusedLineStopsABulkSubmissionAfterTheBatchesBeforeIt() throws {
        _ = try setUp()
        let key = try SigningKey(
            fileContents: String(contentsOf: folder.appendingPathComponent("farm.key"), encoding: .utf8))
        var lines = try (0..<5).map {
            String(
                decoding: try Envelope(signing: Array("n\($0)".utf8), type: "text/plain", with: key).canonicalJSON,
                as: UTF8.self)
        }
        lines.insert("", at: 2)  // blank lines are skipped but counted
        lines.insert(#"{"payloadType":"text/plain"}"#, at: 5)
        let result = try run(
            "submit", "--ledger", "l.db", "--jsonl", "--batch", "2", "-",
            stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status == 2)
        #expect(result.lines == ["0", "1", "2", "3"])
        #expect(
            result.stderr
                == "threadline: error: - line 6: not a DSSE envelope (payloadType, payload, signatures): missing field 'payload'\n"
        )
        #expect(try run("verify", "--ledger", "l.db").lines.first?.hasPrefix("ok: 4 records") == true)
    }

    @Test func eventHashPrintsOneHashPerEventAndRefusesInvalidDocuments() throws {
        let vectors = CLI.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")
        let example = vectors.appendingPathComponent("epcis-event-hash/tests/examples/epcisDocWithVariousEventTypes")
        let expected = try String(contentsOf: example.appendingPathExtension("hashes"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let hashes = try run("event-hash", example.appendingPathExtension("jsonld").path)
        #expect(hashes.status == 0, "\(hashes.stderr)")
        #expect(hashes.lines == expected)
        let json = try run(
            "event-hash", "--json", "-", stdin: try Data(contentsOf: example.appendingPathExtension("jsonld")))
        let lines = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        #expect(lines.compactMap { $0["hash"] as? String } == expected)
        #expect((lines.first?["preHash"] as? String)?.hasPrefix("eventType=ObjectEventeventTime=") == true)
        let invalid = vectors.appendingPathComponent(
            "epcis-openepcis/Capture/Invalid/Combination_of_multiple_invalid_fields.json")
        let refused = try run("event-hash", invalid.path)
        #expect(refused.status == 2)
        #expect(refused.output.isEmpty)
        #expect(refused.stderr.contains("6 problems"))
        #expect(refused.stderr.contains("epcisBody.eventList[4].action: action is 'CREATE'"))
        let missing = try run("event-hash", "no-such.json")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"))
    }
}
