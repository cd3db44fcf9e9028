import Foundation
import LedgerStore
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline
import GS1Identifiers
import Statements

/// Bad input never crashes: thousands of random mutations of each format a user or an attacker can hand
/// Threadline are either refused with an error or accepted, and an accepted one means what it says.
struct MalformedInputTests {
    /// Deterministic mutations: flip, delete, insert or duplicate bytes.
    static func mutations(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<count).map { _ in
            var out = bytes
            for _ in 0..<(1 + next() % 3) {
                guard !out.isEmpty else { break }
                let i = next() % out.count
                switch next() % 4 {
                case 0: out[i] ^= UInt8(1 << (next() % 8))
                case 1: out.remove(at: i)
                case 2: out.insert(UInt8(next() % 256), at: i)
                default: out.insert(contentsOf: out[i..<min(out.count, i + 1 + next() % 8)], at: i)
                }
            }
            return out
        }
    }

    @Test func recordsAndEnvelopes() throws {
        let envelope = try Sample.envelope(1)
        let record = try LedgerRecord(seq: 7, timeMillis: 1_764_412_800_000, prev: Hash.sha256([1]), envelope: envelope)
            .encoded()
        for bytes in Self.mutations(of: record, count: 3000, seed: 1) {
            if let parsed = try? LedgerRecord(bytes: bytes) {
                // Anything accepted re-encodes to exactly the bytes given: one encoding per record.
                #expect(try parsed.encoded() == bytes)
            }
        }
        for bytes in Self.mutations(of: envelope.canonicalJSON, count: 2000, seed: 2) {
            if let parsed = try? Envelope(json: bytes), (try? parsed.verifySignatures().get()) != nil {
                #expect(parsed.payload == envelope.payload && parsed.payloadType == envelope.payloadType)
            }
        }
    }

    @Test func notesCheckpointsAndProofs() async throws {
        let ledger = try await Sample.memoryLedger()
        _ = try await ledger.append((0..<13).map { try Sample.envelope($0) })
        let proof = try await ledger.inclusionProof(5)
        let entry = try await ledger.entry(5)
        let text = Array(proof.encoded.utf8)
        var accepted = 0
        for bytes in Self.mutations(of: text, count: 3000, seed: 3) {
            guard let parsed = try? TlogProof(parsing: String(decoding: bytes, as: UTF8.self)) else { continue }
            if case .valid = parsed.verify(entry: entry, log: ledger.operatorVerifier) {
                // Only changes outside what is signed and proved can still verify.
                #expect(parsed.index == proof.index && parsed.path == proof.path)
                #expect(parsed.checkpoint.text == proof.checkpoint.text)
                accepted += 1
            }
        }
        #expect(accepted < 3000)
        for bytes in Self.mutations(of: Array(proof.checkpoint.text.utf8), count: 2000, seed: 4) {
            _ = try? Checkpoint(text: String(decoding: bytes, as: UTF8.self))
        }
        for bytes in Self.mutations(of: Array(Sample.farm.keyID.utf8), count: 2000, seed: 5) {
            if let verifier = try? Ed25519NoteVerifier(verifierKey: String(decoding: bytes, as: UTF8.self)) {
                #expect(try Ed25519NoteVerifier(verifierKey: verifier.verifierKey) == verifier)
            }
        }
    }

    @Test func codesAndTilePaths() throws {
        let link = Array("https://brand.example.com/01/09506000134352/10/L%2F1/21/S1?linkType=gs1:pip".utf8)
        for bytes in Self.mutations(of: link, count: 3000, seed: 6) {
            if let parsed = try? DigitalLink(String(decoding: bytes, as: UTF8.self)) {
                #expect(try DigitalLink(parsed.uri).identifier == parsed.identifier)
            }
        }
        for bytes in Self.mutations(of: Array("urn:epc:id:sgtin:0614141.812345.6789".utf8), count: 2000, seed: 7) {
            let text = String(decoding: bytes, as: UTF8.self)
            let body = text.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).last ?? ""
            if let parsed = try? GS1Identifier(epcURN: text), let length = body.split(separator: ".").first?.count {
                #expect(try GS1Identifier(epcURN: parsed.epcURN(companyPrefixLength: length)) == parsed)
            }
        }
        for bytes in Self.mutations(of: Array("tile/2/x001/234.p/17".utf8), count: 2000, seed: 8) {
            if let tile = try? Tile(path: String(decoding: bytes, as: UTF8.self)) {
                #expect(tile.path == String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}

extension MalformedInputTests {
    /// A time-stamp reply comes from an outside TSA, or from whoever hands `anchor store` a file.
    @Test(
        "short and empty DER replies and tokens are refused",
        arguments: [
            [0x30, 0x00], [0x30, 0x03, 0x30, 0x01, 0x02], [0x30, 0x02, 0x30, 0x00],
            [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00],
        ] as [[UInt8]])
    func timeStampReplies(_ der: [UInt8]) {
        #expect(throws: EngineError.self) { try TimeStamp.token(fromResponse: der) }
        #expect(throws: EngineError.self) { try TimeStamp.parse(token: der, imprint: [], nonce: nil) }
    }

    @Test func truncatedTokensAreRefused() {
        // A CMS SignedData whose sequences stop after each element in turn.
        let signedData: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
        for inner: [UInt8] in [
            [0x30, 0x00], [0x30, 0x03, 0x02, 0x01, 0x03], [0x30, 0x05, 0x02, 0x01, 0x03, 0x31, 0x00],
        ] {
            let explicit: [UInt8] = [0xA0, UInt8(inner.count)] + inner
            let content = signedData + explicit
            let der: [UInt8] = [0x30, UInt8(content.count)] + content
            #expect(throws: EngineError.self) { try TimeStamp.parse(token: der, imprint: [], nonce: nil) }
        }
    }

    @Test func aStateFileIsNeverWrittenThroughAPlantedLink() throws {
        let folder = try TemporaryFolder.make("state")
        let victim = folder.appendingPathComponent("victim")
        try Data("precious".utf8).write(to: victim)
        let path = folder.appendingPathComponent("witness.state").path
        // Links at the lock's name and at every temporary name an earlier version would have used.
        try FileManager.default.createSymbolicLink(atPath: path + ".lock", withDestinationPath: victim.path)
        try FileManager.default.createSymbolicLink(
            atPath: path + ".tmp-\(getpid())", withDestinationPath: victim.path)
        #expect(throws: EngineError.self) { try StateFile.locked(path) { state in ((), state) } }
        try FileManager.default.removeItem(atPath: path + ".lock")
        try StateFile.locked(path) { state in ((), state) }
        try StateFile.write(Data("{}".utf8), to: path)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious")
        #expect(try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8) == "{}")
    }
}
