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

    @Test func participantsAreRegisteredRotatedRevokedAndAuthorisedThroughTheLedger() throws {
        _ = try setUp()
        #expect(try run("key", "generate", "--out", "brand.key").status == 0)
        #expect(try run("key", "generate", "--out", "shop2.key").status == 0)
        let brand = try run(
            "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "Acme Apparel", "--role", "brand",
            "--role", "manufacturer", "--prefix", "0614141", "--gln", "0614141000005", "--key", "brand.key")
        #expect(brand.lines == ["0"], "\(brand.stderr)")
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "shop", "--name", "Shop", "--role", "marketplace",
                "--key", "farm.key"
            ).lines == ["1"])
        // Refusals say why, exit 2 and append nothing.
        let notBrandKey = try run(
            "authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "farm.key")
        #expect(notBrandKey.status == 2)
        #expect(notBrandKey.stderr.contains("must be signed by a current key of the brand 'acme'"))
        let duplicate = try run(
            "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "X", "--role", "brand", "--key",
            "shop2.key")
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.contains("already registered"))
        let badRole = try run(
            "participant", "add", "--ledger", "l.db", "--id", "x", "--name", "X", "--role", "pirate", "--key",
            "shop2.key")
        #expect(badRole.status == 64)
        #expect(
            try run("authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "brand.key").lines
                == ["2"])
        #expect(
            try run(
                "participant", "rotate", "--ledger", "l.db", "--id", "shop", "--add-key", "shop2.key", "--retire-key",
                "farm.key"
            ).lines == ["3"])
        #expect(try run("participant", "revoke", "--ledger", "l.db", "--id", "acme", "--reason", "left").lines == ["4"])
        let listing = try run("participant", "list", "--ledger", "l.db", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: listing.stdout) as? [String: Any])
        #expect(object["size"] as? Int == 5)
        let participants = try #require(object["participants"] as? [[String: Any]])
        #expect(participants.compactMap { $0["id"] as? String } == ["acme", "shop"])
        #expect(participants[0]["revokedAt"] as? Int == 4)
        let shopKeys = try #require(participants[1]["keys"] as? [[String: Any]])
        #expect(shopKeys.compactMap { $0["status"] as? String } == ["retired at 3", "current"])
        #expect((object["authorizations"] as? [[String: Any]])?.first?["grantedAt"] as? Int == 2)
        let earlier = try run("participant", "list", "--ledger", "l.db", "--at", "2")
        #expect(earlier.output.contains("shop  Shop  [marketplace]  registered at 1"))
        #expect(!earlier.output.contains("authorisation"))
        #expect(!earlier.output.contains("REVOKED"))
        // The revoked brand can no longer authorise.
        let revoked = try run(
            "authorize", "--ledger", "l.db", "--brand", "acme", "--channel", "shop", "--as", "brand.key", "--withdraw")
        #expect(revoked.status == 2)
        #expect(revoked.stderr.contains("revoked at record 4"))
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }

    @Test func recordAndImportApplyTheLedgerRulesAndAppendNothingOnRefusal() throws {
        _ = try setUp()
        #expect(try run("key", "generate", "--out", "brand.key").status == 0)
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "acme", "--name", "Acme", "--role", "brand",
                "--prefix", "0614141", "--key", "brand.key"
            ).status == 0)
        #expect(
            try run(
                "participant", "add", "--ledger", "l.db", "--id", "farm", "--name", "Farm", "--role", "origin",
                "--prefix", "8901234", "--key", "farm.key"
            ).status == 0)
        func document(_ events: [String]) -> Data {
            Data(
                (#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z","epcisBody":{"eventList":["#
                    + events.joined(separator: ",") + "]}}").utf8)
        }
        func event(_ serial: Int, step: String = "commissioning", action: String = "ADD") -> String {
            #"{"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"\#(action)","bizStep":"\#(step)","epcList":["urn:epc:id:sgtin:0614141.112345.\#(serial)"]}"#
        }
        try document([event(1)]).write(to: folder.appendingPathComponent("one.json"))
        let recorded = try run("record", "--ledger", "l.db", "--as", "brand.key", "one.json")
        #expect(recorded.lines == ["2"], "\(recorded.stderr)")
        let again = try run("record", "--ledger", "l.db", "--as", "brand.key", "one.json")
        #expect(again.status == 2)
        #expect(again.stderr.contains("is already record 2"))
        let farm = try run("record", "--ledger", "l.db", "--as", "farm.key", "-", stdin: document([event(9)]))
        #expect(farm.status == 2)
        #expect(farm.stderr.contains("may not commission GTIN 10614141123459"))
        // A document with one refused event: nothing is recorded.
        try document([event(2), event(3), event(1), event(4, step: "shipping", action: "OBSERVE")])
            .write(to: folder.appendingPathComponent("many.json"))
        let whole = try run("import", "--ledger", "l.db", "--as", "brand.key", "many.json")
        #expect(whole.status == 2)
        #expect(whole.stderr.contains("nothing recorded: event 2 (epcisBody.eventList[2]) refused"))
        #expect(try run("entry", "--ledger", "l.db", "3").status == 2)
        // With --continue-on-error the others are recorded, in order, and the refusal is reported.
        let partial = try run(
            "import", "--ledger", "l.db", "--as", "brand.key", "--continue-on-error", "--json", "many.json")
        #expect(partial.status == 2)
        let report = try #require(try JSONSerialization.jsonObject(with: partial.stdout) as? [String: Any])
        let done = try #require(report["recorded"] as? [[String: Any]])
        #expect(done.compactMap { $0["seq"] as? Int } == [3, 4, 5])
        #expect(done.compactMap { $0["index"] as? Int } == [0, 1, 3])
        let refused = try #require(report["refused"] as? [[String: Any]])
        #expect(refused.count == 1)
        #expect(refused.first?["existing"] as? Int == 2)
        #expect(refused.first?["code"] as? String == "record.duplicate")
        // An invalid document is refused with every problem, before anything is signed.
        let invalid = try run(
            "import", "--ledger", "l.db", "--as", "brand.key", "-", stdin: document([event(7, action: "CREATE")]))
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("epcisBody.eventList[0].action"))
        #expect(try run("verify", "--ledger", "l.db").status == 0)
    }

    @Test func aWitnessCosignsAndAMonitorCatchesRollbacksAndSplitViews() throws {
        let vkey = try setUp()
        func append(_ ledger: String, _ text: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent("p.txt"))
            #expect(
                try run("append", "--ledger", ledger, "--as", "farm.key", "--type", "text/plain", "p.txt").status == 0)
        }
        try append("l.db", "one")
        try append("l.db", "two")
        #expect(try run("checkpoint", "--ledger", "l.db").status == 0)
        // The witness: its key, a first request (old 0), the cosignature, then a conflict for a stale old size.
        #expect(try run("key", "generate", "--out", "w.key", "--name", "witness.example").status == 0)
        let witnessKey = try run("witness", "key", "--key", "w.key").lines.first ?? ""
        let request = try run("witness", "request", "--ledger", "l.db")
        #expect(request.output.hasPrefix("old 0\n\n"))
        let cosigned = try run(
            "witness", "add-checkpoint", "--key", "w.key", "--state", "w.state", "--log-vkey", vkey, "-",
            stdin: request.stdout)
        #expect(cosigned.status == 0, "\(cosigned.stderr)")
        #expect(cosigned.output.hasPrefix("\u{2014} witness.example "))
        let stale = try run(
            "witness", "add-checkpoint", "--key", "w.key", "--state", "w.state", "--log-vkey", vkey, "-",
            stdin: request.stdout)
        #expect(stale.status == 2)
        #expect(stale.lines == ["2"])
        let kept = try run(
            "witness", "keep", "--ledger", "l.db", "--witness-vkey", witnessKey, "-", stdin: cosigned.stdout)
        #expect(kept.lines == ["kept cosignatures by witness.example"])
        // Proofs now carry the cosignature; a verifier can demand one witness.
        let proof = try run("prove", "--ledger", "l.db", "1")
        try proof.stdout.write(to: folder.appendingPathComponent("1.proof"))
        try run("entry", "--ledger", "l.db", "1").stdout.write(to: folder.appendingPathComponent("1.entry"))
        #expect(
            try run(
                "verify-proof", "1.proof", "--vkey", vkey, "--witness", witnessKey, "--quorum", "1", "--entry",
                "1.entry"
            ).status == 0)
        // Grow the log: the witness cosigns again with a consistency proof from 2.
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("l.db"), to: folder.appendingPathComponent("old.db"))
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("l.db"), to: folder.appendingPathComponent("fork.db"))
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("l.db.operator-key"),
            to: folder.appendingPathComponent("fork.db.operator-key"))
        try append("l.db", "three")
        #expect(try run("checkpoint", "--ledger", "l.db").status == 0)
        let grown = try run("witness", "request", "--ledger", "l.db", "--old", "2")
        #expect(
            try run(
                "witness", "add-checkpoint", "--key", "w.key", "--state", "w.state", "--log-vkey", vkey, "-",
                stdin: grown.stdout
            ).status == 0)
        // A forked copy signed by the same key: the witness refuses it as a split view, so does the monitor.
        try append("fork.db", "three, but different")
        #expect(try run("checkpoint", "--ledger", "fork.db").status == 0)
        let forked = try run("witness", "request", "--ledger", "fork.db", "--old", "3")
        let refused = try run(
            "witness", "add-checkpoint", "--key", "w.key", "--state", "w.state", "--log-vkey", vkey, "-",
            stdin: forked.stdout)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("split view"))
        // The monitor.
        #expect(
            try run("monitor", "--vkey", vkey, "--state", "m.state", "old.db").lines == [
                "ok: example.com/cli-test trusted at size 2 (first checkpoint seen)"
            ])
        #expect(
            try run("monitor", "--vkey", vkey, "--state", "m.state", "l.db").lines == [
                "ok: example.com/cli-test grew from 2 to 3, consistently"
            ])
        let split = try run("monitor", "--vkey", vkey, "--state", "m.state", "fork.db")
        #expect(split.status == 1)
        #expect(split.stderr.contains("split view: size 3 has root"))
        let rollback = try run("monitor", "--vkey", vkey, "--state", "m.state", "old.db")
        #expect(rollback.status == 1)
        #expect(rollback.stderr.contains("rollback: the log shows size 2, but size 3 was seen before"))
        #expect(
            try run("monitor", "--vkey", vkey, "--state", "m.state", "l.db").lines == [
                "ok: example.com/cli-test unchanged at size 3"
            ])
        #expect(
            try run("monitor", "--vkey", vkey, "--state", "m.state", "--witness", witnessKey, "--quorum", "1", "l.db")
                .status == 1)
    }

    /// A real RFC 3161 TSA made with `openssl ts`: a root CA and a TSA certificate (EC P-256, critical
    /// extendedKeyUsage timeStamping) in `folder/tsa`.
    func makeTSA() throws -> URL {
        let tsa = folder.appendingPathComponent("tsa")
        try FileManager.default.createDirectory(at: tsa, withIntermediateDirectories: true)
        try Data(
            """
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            serial = ./serial
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.99999.1
            digests = sha256
            accuracy = secs:1
            ordering = no
            tsa_name = yes
            ess_cert_id_alg = sha256
            [ v3_tsa ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = critical,timeStamping
            [ v3_ca ]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign
            [ req ]
            distinguished_name = dn
            [ dn ]

            """.utf8
        ).write(to: tsa.appendingPathComponent("tsa.cnf"))
        try Data("01\n".utf8).write(to: tsa.appendingPathComponent("serial"))
        for command in [
            "openssl ecparam -name prime256v1 -genkey -noout -out ca.key",
            "openssl req -new -x509 -key ca.key -subj /CN=Test-Root -days 30 -config tsa.cnf -extensions v3_ca -out ca.pem",
            "openssl ecparam -name prime256v1 -genkey -noout -out tsa.key",
            "openssl req -new -key tsa.key -subj /CN=Test-TSA -config tsa.cnf -out tsa.csr",
            "openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile tsa.cnf -extensions v3_tsa -out tsa.pem",
        ] {
            #expect(try Self.shell(command, in: tsa) == 0, "\(command)")
        }
        return tsa
    }

    static func shell(_ command: String, in folder: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aRealTSAAnchorsACheckpointAndTheAuditChecksIt() throws {
        _ = try setUp()
        let tsa = try makeTSA()
        try Data("note".utf8).write(to: folder.appendingPathComponent("p.txt"))
        #expect(try run("append", "--ledger", "l.db", "--as", "farm.key", "--type", "text/plain", "p.txt").status == 0)
        let request = try run("anchor", "request", "--ledger", "l.db", "--out", "q.tsq")
        #expect(request.lines == ["wrote q.tsq: a time-stamp request for the checkpoint of size 1"])
        func reply(_ query: String, _ out: String) throws {
            #expect(
                try Self.shell(
                    "openssl ts -reply -queryfile ../\(query) -signer tsa.pem -inkey tsa.key -config tsa.cnf -out ../\(out)",
                    in: tsa) == 0)
        }
        try reply("q.tsq", "r.tsr")
        let stored = try run(
            "anchor", "store", "--ledger", "l.db", "--request", "q.tsq", "--reply", "r.tsr", "--tsa-root", "tsa/ca.pem")
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(stored.output.contains("anchored the checkpoint of size 1 at "))
        #expect(stored.output.hasSuffix("by CN=Test-TSA: record 1\n"))
        let listed = try run("anchors", "--ledger", "l.db", "--tsa-root", "tsa/ca.pem")
        #expect(listed.lines.count == 1)
        #expect(listed.lines.first?.hasSuffix("CN=Test-TSA  verified to the root") == true)
        let verified = try run("verify", "--ledger", "l.db")
        #expect(verified.status == 0, "\(verified.output)")
        // A reply to another request (another nonce), a root that is not the TSA's, a changed signature: refused.
        #expect(try run("anchor", "request", "--ledger", "l.db", "--out", "q2.tsq").status == 0)
        try reply("q2.tsq", "r2.tsr")
        let otherNonce = try run(
            "anchor", "store", "--ledger", "l.db", "--request", "q.tsq", "--reply", "r2.tsr", "--tsa-root", "tsa/ca.pem"
        )
        #expect(otherNonce.status == 2)
        #expect(otherNonce.stderr.contains("nonce") || otherNonce.stderr.contains("imprint"))
        let wrongRoot = try run(
            "anchor", "store", "--ledger", "l.db", "--request", "q2.tsq", "--reply", "r2.tsr", "--tsa-root",
            "tsa/tsa.pem")
        #expect(wrongRoot.status == 2)
        #expect(wrongRoot.stderr.contains("does not chain to the given root"))
        var bytes = try Data(contentsOf: folder.appendingPathComponent("r2.tsr"))
        bytes[bytes.count - 10] ^= 0x01
        try bytes.write(to: folder.appendingPathComponent("r3.tsr"))
        let changed = try run(
            "anchor", "store", "--ledger", "l.db", "--request", "q2.tsq", "--reply", "r3.tsr", "--tsa-root",
            "tsa/ca.pem")
        #expect(changed.status == 2)
        #expect(try run("entry", "--ledger", "l.db", "2").status == 2)
    }

    @Test func labelDrawsTheQRCodeOfTheProductsDigitalLink() throws {
        let link = "https://threadline.example/01/04012345000016/21/TS%2F42"
        let printed = try run(
            "label", "urn:epc:id:sgtin:4012345.000001.TS%2F42", "--domain", "https://threadline.example")
        guard QRSymbol.encoderAvailable else {
            #expect(printed.status == 5)
            #expect(printed.stderr.contains("apt-get install libqrencode-dev"))
            return
        }
        #expect(printed.status == 0)
        #expect(printed.output == (try QRSymbol(encoding: link).svg(title: link)))
        #expect(printed.output.contains("<title>\(link)</title>"))
        // --out writes the file; --json describes the symbol.
        let described = try run(
            "label", link, "--level", "h", "--module-size", "10", "--unit", "px", "--out", "l.svg", "--json")
        #expect(described.status == 0)
        let report = try JSONSerialization.jsonObject(with: described.stdout) as? [String: Any]
        let symbol = try QRSymbol(encoding: link, correction: .high)
        #expect(report?["link"] as? String == link)
        #expect(report?["errorCorrection"] as? String == "H")
        #expect(report?["version"] as? Int == symbol.version)
        #expect(report?["modules"] as? Int == symbol.width)
        #expect(report?["svg"] == nil)
        let file = try String(contentsOf: folder.appendingPathComponent("l.svg"), encoding: .utf8)
        #expect(file == symbol.svg(moduleSize: 10, unit: "px", title: link))
        #expect(file.contains("width=\"\((symbol.width + 8) * 10)px\""))
        // Bad input says why.
        #expect(try run("label", "4012345000017").stderr.contains("check digit"))
        #expect(try run("label", "4012345000017").status == 2)
        #expect(try run("label", link, "--level", "X").status == 64)
        let long = try run("label", link + "?x=" + String(repeating: "a", count: 3000))
        #expect(long.status == 2)
        #expect(long.stderr.contains("do not fit"))
    }

    @Test func codeParseShowsEveryFormAndRefusesBadCodes() throws {
        let link = try run(
            "code", "parse", "https://brand.example.com/01/9506000134352/10/L1/21/S%2F1", "--company-prefix-length", "7"
        )
        #expect(link.status == 0)
        #expect(
            link.lines == [
                "kind          item", "gtin          09506000134352", "lot           L1", "serial        S/1",
                "digital link  https://brand.example.com/01/09506000134352/10/L1/21/S%2F1",
                "epc           urn:epc:id:sgtin:9506000.013435.S%2F1",
            ])
        let urn = try run("code", "parse", "urn:epc:id:sgln:0614141.12345.400", "--json")
        let object = try JSONSerialization.jsonObject(with: urn.stdout) as? [String: String]
        #expect(
            object == [
                "kind": "location", "gln": "0614141123452", "glnExtension": "400",
                "digitalLink": "https://id.gs1.org/414/0614141123452/254/400",
                "epc": "urn:epc:id:sgln:0614141.12345.400",
            ])
        let bad = try run("code", "parse", "https://id.gs1.org/01/09506000134352/21/1/10/2")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("qualifier 10 comes after 21"))
    }

    @Test func traceEventsAndReindexAnswerFromTheSampleLedger() throws {
        let demo = try run("demo", "--dir", "demo")
        #expect(demo.status == 0)
        let vkey = try #require(demo.lines.first { $0.hasPrefix("operator  ") }?.dropFirst(10)).description
        let ledger = "demo/ledger.sqlite"
        func journey(_ code: String) throws -> [String: Any] {
            let result = try run("trace", "--ledger", ledger, "--json", code)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        }
        let shirt = try journey("urn:epc:id:sgtin:0614141.012345.TS-0001")
        #expect(shirt["identifier"] as? String == "https://id.gs1.org/01/00614141123452/21/TS-0001")
        #expect(shirt["recalled"] as? Bool == false)
        let steps = try #require(shirt["steps"] as? [[String: Any]])
        #expect(steps.count == 33)
        #expect(steps.first?["stage"] as? String == "origin")
        #expect(steps.first?["participant"] as? String == "sunrise-farm")
        #expect(steps.last?["stage"] as? String == "consumer")
        #expect(steps.last?["seq"] as? Int == 48)
        let seqs = steps.compactMap { $0["seq"] as? Int }
        // The red batch's dyeing (#32) and sewing (#36) are another product's history; the cartons' events
        // while the T-shirt was in one (#39–#43) are this one's.
        #expect(!seqs.contains(32) && !seqs.contains(36))
        #expect(Set([39, 40, 41, 42, 43]).isSubset(of: seqs))
        #expect(steps.contains { ($0["via"] as? String)?.contains("which carried") == true })
        #expect(
            steps.contains {
                ($0["certifications"] as? [String])?.contains("https://certifier.example/organic/IN-ORG-88123") == true
            })
        // Each step's hash is the event's CBV 2.0 hash as event-hash computes it from the sample document.
        let harvest = try run("event-hash", "demo/samples/tshirt/01-farm-harvest.json")
        #expect(steps.first?["hash"] as? String == harvest.lines.first)

        let recalled = try journey("https://id.gs1.org/01/00614141123452/21/TS-0101")
        #expect(recalled["recalled"] as? Bool == true)
        let recalledSeqs = (recalled["steps"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
        #expect(recalledSeqs.contains(32) && recalledSeqs.contains(49) && !recalledSeqs.contains(31))
        // A GTIN with --serial is the same product; a bare GTIN is not a product; an unknown one has no journey.
        #expect(
            try run("trace", "--ledger", ledger, "--brief", "00614141123452", "--serial", "TS-0001").output.contains(
                "33 recorded steps"))
        #expect(try run("trace", "--ledger", ledger, "00614141123452").status == 2)
        let unknown = try run("trace", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-9999")
        #expect(unknown.status == 4)

        let sales = try run("events", "--ledger", ledger, "EQ_bizStep=retail_selling")
        #expect(sales.lines.map { String($0.prefix(3)) } == ["48 ", "73 "])
        let page = try run(
            "events", "--ledger", ledger, "--json", "MATCH_epc=https://id.gs1.org/01/00614141123452/21/TS-0001",
            "GE_eventTime=2026-11-20T00:00:00Z", "perPage=2")
        let document = try #require(try JSONSerialization.jsonObject(with: page.stdout) as? [String: Any])
        let results = try #require((document["epcisBody"] as? [String: Any])?["queryResults"] as? [String: Any])
        #expect(((results["resultsBody"] as? [String: Any])?["eventList"] as? [Any])?.count == 2)
        let token = try #require(results["nextPageToken"] as? String)
        let next = try run(
            "events", "--ledger", ledger, "MATCH_epc=https://id.gs1.org/01/00614141123452/21/TS-0001",
            "GE_eventTime=2026-11-20T00:00:00Z", "nextPageToken=\(token)")
        #expect(token == "46")
        #expect(next.lines.map { String($0.prefix(3)) } == ["47 ", "48 "])
        // The query document is valid EPCIS, and its events keep their hashes.
        try page.stdout.write(to: folder.appendingPathComponent("page.json"))
        #expect(try run("event-hash", "page.json").lines.count == 2)
        #expect(try run("events", "--ledger", ledger, "EQ_nonsense=1").status == 64)

        // The integrity rules find the cloned sneaker and the recalled batch, and nothing wrong with TS-0001.
        let checked = try run("check", "--ledger", ledger, "--json")
        #expect(checked.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: checked.stdout) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.filter { $0["code"] as? String == "RECALLED" }.count == 6)
        #expect(
            findings.contains {
                $0["code"] as? String == "CLONE_SUSPECTED"
                    && ($0["identifier"] as? String)?.hasSuffix("SN-0003") == true
            })
        #expect(findings.count == 7)
        let one = try run("check", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0001")
        #expect(one.status == 0)
        #expect(one.lines == ["ok: 33 events meet every integrity rule"])

        // Listings: one by one, then a CSV of several.
        let genuine = try run(
            "check-listing", "--ledger", ledger, "--code", "https://id.gs1.org/01/00614141123452/21/TS-0002",
            "--seller",
            "shopstream", "--claim", "certification=GOTS", "--claim", "countryOfOrigin=IN")
        #expect(genuine.status == 0, "\(genuine.output)")
        #expect(genuine.lines == ["GENUINE  https://id.gs1.org/01/00614141123452/21/TS-0002  seller shopstream"])
        let clone = try run(
            "check-listing", "--ledger", ledger, "--code", "urn:epc:id:sgtin:7612345.054321.SN-0003", "--seller",
            "quickdeals", "--json")
        #expect(clone.status == 3)
        let cloneResult = try #require(try JSONSerialization.jsonObject(with: clone.stdout) as? [String: Any])
        #expect(cloneResult["verdict"] as? String == "SUSPECT")
        let cloneReasons = (cloneResult["findings"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        #expect(cloneReasons == ["SELLER_NOT_AUTHORISED", "CLONE_SUSPECTED"])
        #expect(
            try run(
                "check-listing", "--ledger", ledger, "--code", "https://id.gs1.org/01/00614141123452/21/TS-9999",
                "--seller", "shopstream"
            ).status == 4)
        try Data(
            """
            code,seller,claims
            https://id.gs1.org/01/00614141123452/21/TS-0002,shopstream,certification=GOTS;countryOfOrigin=IN
            https://id.gs1.org/01/00614141123452/21/TS-0001,shopstream,
            https://id.gs1.org/01/00614141123452/21/TS-0101,shopstream,
            https://id.gs1.org/01/07612345543215/21/SN-0003,quickdeals,
            "https://id.gs1.org/01/07612345543215/21/SN-0077",city-sneakers,"material=leather"

            """.utf8
        ).write(to: folder.appendingPathComponent("listings.csv"))
        let batch = try run("check-listings", "--ledger", ledger, "listings.csv")
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(
            batch.lines == [
                "code,seller,verdict,reasons,records",
                "https://id.gs1.org/01/00614141123452/21/TS-0002,shopstream,GENUINE,,",
                "https://id.gs1.org/01/00614141123452/21/TS-0001,shopstream,SUSPECT,ALREADY_SOLD,48",
                "https://id.gs1.org/01/00614141123452/21/TS-0101,shopstream,SUSPECT,RECALLED,49",
                "https://id.gs1.org/01/07612345543215/21/SN-0003,quickdeals,SUSPECT,SELLER_NOT_AUTHORISED;CLONE_SUSPECTED,71;75",
                "https://id.gs1.org/01/07612345543215/21/SN-0077,city-sneakers,UNKNOWN,UNKNOWN_PRODUCT,",
            ])
        #expect(batch.stderr.contains("checked 5 listings: 1 genuine, 3 suspect, 1 unknown"))
        #expect(
            try run("check-listings", "--ledger", ledger, "--json", "--out", "report.json", "listings.csv").status == 0)
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json")))
                as? [[String: Any]])
        #expect(
            written.compactMap { $0["verdict"] as? String } == ["GENUINE", "SUSPECT", "SUSPECT", "SUSPECT", "UNKNOWN"])
        try Data("seller\nshopstream\n".utf8).write(to: folder.appendingPathComponent("bad.csv"))
        #expect(try run("check-listings", "--ledger", ledger, "bad.csv").status == 2)

        // An offline bundle: verified with no ledger, its verdict re-derived; a changed byte fails.
        let bundled = try run(
            "bundle", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0002", "--out", "ts2.bundle")
        #expect(bundled.status == 0, "\(bundled.stderr)")
        #expect(
            try run(
                "bundle", "--ledger", ledger, "https://id.gs1.org/01/00614141123452/21/TS-0002", "--out", "ts2.bundle"
            ).status == 2)
        try FileManager.default.moveItem(
            at: folder.appendingPathComponent("demo/ledger.sqlite"),
            to: folder.appendingPathComponent("demo/away.sqlite"))
        let offline = try run(
            "verify-bundle", "ts2.bundle", "--vkey", vkey, "--seller", "shopstream", "--claim", "certification=GOTS")
        #expect(offline.status == 0, "\(offline.output)")
        #expect(
            offline.lines.first?.hasPrefix(
                "ok: the journey of https://id.gs1.org/01/00614141123452/21/TS-0002 (32 steps)") == true)
        #expect(offline.lines.last == "verdict: GENUINE for seller shopstream")
        var bytes = try Data(contentsOf: folder.appendingPathComponent("ts2.bundle"))
        bytes[bytes.count / 3] ^= 0x01
        try bytes.write(to: folder.appendingPathComponent("changed.bundle"))
        let changed = try run("verify-bundle", "changed.bundle", "--vkey", vkey)
        #expect(changed.status == 1)
        #expect(changed.lines.first?.hasPrefix("FAIL: bundle.") == true)
        try FileManager.default.moveItem(
            at: folder.appendingPathComponent("demo/away.sqlite"),
            to: folder.appendingPathComponent("demo/ledger.sqlite"))

        let reindexed = try run("reindex", "--ledger", ledger)
        #expect(reindexed.lines == ["indexed 76 records"])
        #expect(try run("events", "--ledger", ledger, "EQ_bizStep=retail_selling").lines.count == 2)
    }

    @Test func theDemoTellsBothStoriesFromTheSamplesAndPasses() throws {
        let result = try run("demo", "--dir", "demo")
        #expect(result.status == 0, "\(result.stderr)")
        // What the demo records is samples/, byte for byte: documents, manifest and test-only keys.
        let samples = CLI.packageRoot.appendingPathComponent("samples")
        let written = folder.appendingPathComponent("demo/samples")
        let files = try #require(FileManager.default.enumerator(atPath: written.path)?.allObjects as? [String])
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".key") }
        #expect(files.count == 18 + 16 + 1)
        for file in files {
            #expect(
                try Data(contentsOf: written.appendingPathComponent(file))
                    == Data(contentsOf: samples.appendingPathComponent(file)), "\(file)")
        }
        let output = result.output
        // The T-shirt's journey runs from the farm to the sale; the sneaker's from the tannery and sole maker.
        for expected in [
            "Journey of https://id.gs1.org/01/00614141123452/21/TS-0001: 33 recorded steps",
            "commissioning   Sunrise Organic Cotton Farm, Gujarat: 3000 KGM of lot HARVEST-2026-10  #19",
            "certified https://certifier.example/organic/IN-ORG-88123",
            "retail_selling  ShopStream (online store): serial TS-0001  #48",
            "Journey of https://id.gs1.org/01/07612345543215/21/SN-0001",
            "Ebro Tannery: from 120 H87 of lot HIDES-2026-31; made 450 FTK of lot LEATHER-WHT-0450",
            "Porto Rubber Soles: 400 PR of lot SOLE-42-7788",
            "retail_selling  City Sneakers, Zurich: serial SN-0001",
            "ok: record #48 is in demo.threadline.example/supply at tree size 76",
            "ok: 76 records, 87 signatures",
            "GENUINE  serial TS-0002 offered by shopstream claiming certification=GOTS, countryOfOrigin=IN",
            "SUSPECT  serial TS-0101 offered by shopstream\n    RECALLED (records 49): recalled by 'northwind-apparel'",
            "SUSPECT  serial SN-0003 offered by quickdeals\n    SELLER_NOT_AUTHORISED: 'stride-footwear' has not authorised"
                + " 'quickdeals' to sell its products\n    CLONE_SUSPECTED (records 71, 75)",
            "offline bundle (51 records, TS-0002.bundle) verifies with no database: 32 steps, verdict GENUINE",
        ] {
            #expect(output.contains(expected), "missing: \(expected)")
        }
        for stage in ["ORIGIN", "MANUFACTURER", "BRAND", "CHANNEL", "CONSUMER"] {
            #expect(output.contains("  \(stage)\n"))
        }
        #expect(!output.contains("!! RECALLED"))
        let recalled = try CLI.run(
            ["trace", "--ledger", "demo/ledger.sqlite", "--brief", "https://id.gs1.org/01/00614141123452/21/TS-0101"],
            in: folder)
        #expect(recalled.output.contains("!! RECALLED"))
        let again = try CLI.run(["verify", "--ledger", "demo/ledger.sqlite"], in: folder)
        #expect(again.status == 0)
    }

}
