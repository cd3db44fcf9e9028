import Foundation
import GS1Identifiers
import LedgerRules
import Statements
import Testing
import ThreadlineLabel
import TransparencyLog

/// Witnesses, monitors and time anchors from a real TSA.
extension CommandTests {
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
        try CLI.copyLedger("l.db", to: "fork.db", in: folder)
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
    /// A TSA (root and signing certificate) made with `openssl`; `serial` sets the signing certificate's serial
    /// (hex), or OpenSSL picks a random one.
    func makeTSA(serial: String? = nil) throws -> URL {
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
            "openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key "
                + (serial.map { "-set_serial 0x\($0)" } ?? "-CAcreateserial")
                + " -days 30 -extfile tsa.cnf -extensions v3_tsa -out tsa.pem",
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

    /// Serials whose DER form starts with a zero byte (the next has its high bit set), as one in 256 of OpenSSL's
    /// random ones does, and one that does not.
    @Test(arguments: [nil, "FF01", "00C3A1", "7F"])
    func aRealTSAAnchorsACheckpointAndTheAuditChecksIt(serial: String?) throws {
        _ = try setUp()
        let tsa = try makeTSA(serial: serial)
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
}
