@testable import EPCIS
import Foundation
@testable import Statements
import Testing
import TransparencyLog

/// `Specs/vectors/records.json`, computed independently in Python: keys, envelopes, records, the tree over
/// them, a checkpoint, a tlog-proof and the tiles, byte for byte.
struct RecordVectorTests {
    struct Vectors: Decodable {
        struct Key: Decodable { let name: String; let keyid: String; let privateKey: String }
        struct Limits: Decodable { let maxRecordBytes: Int; let maxFramingBytes: Int; let maxEnvelopeBytes: Int }
        struct Record: Decodable {
            let seq: Int64; let timeMillis: Int64; let time: String; let prev: String; let payload: String
            let pae: String; let envelopeJSON: String; let bytes: String; let leafHash: String
        }
        struct Proof: Decodable { let index: Int64; let path: [String]; let text: String }
        let participantKey: Key
        let payloadType: String
        let limits: Limits
        let records: [Record]
        let submittedJSON: String
        let submittedCanonical: String
        let storedHashes: [String]
        let root: String
        let logVkey: String
        let checkpoint: String
        let tlogProof: Proof
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func recordsAreByteForByteTheSpec() throws {
        let v = try JSONDecoder().decode(
            Vectors.self, from: Data(contentsOf: Self.root.appendingPathComponent("Specs/vectors/records.json")))
        #expect(v.limits.maxRecordBytes == LedgerRecord.maxBytes)
        #expect(v.limits.maxFramingBytes == LedgerRecord.maxFramingBytes)
        #expect(v.limits.maxEnvelopeBytes == LedgerRecord.maxEnvelopeBytes)
        let key = try SigningKey(fileContents: v.participantKey.privateKey)
        #expect(key.keyID == v.participantKey.keyid)
        var range = CompactRange()
        var stored: [Hash] = []
        var prev = Hash.zero
        for r in v.records {
            let payload = Array(r.payload.utf8)
            #expect(Envelope.pae(type: v.payloadType, payload: payload) == Array(Data(base64Encoded: r.pae)!))
            let envelope = try Envelope(signing: payload, type: v.payloadType, with: key)
            #expect(String(decoding: envelope.canonicalJSON, as: UTF8.self) == r.envelopeJSON)
            #expect(Timestamp.format(millis: r.timeMillis) == r.time)
            #expect(prev.base64 == r.prev)
            let bytes = try LedgerRecord(seq: r.seq, timeMillis: r.timeMillis, prev: prev, envelope: envelope).encoded()
            #expect(String(decoding: bytes, as: UTF8.self) == r.bytes)
            prev = Merkle.leafHash(bytes)
            #expect(prev.base64 == r.leafHash)
            range.append(prev, into: &stored)
        }
        #expect(stored.map(\.base64) == v.storedHashes)
        #expect(range.root.base64 == v.root)
        #expect(
            String(decoding: try Envelope(json: Array(v.submittedJSON.utf8)).canonicalJSON, as: UTF8.self)
                == v.submittedCanonical)

        let proof = try TlogProof(parsing: v.tlogProof.text)
        #expect(proof.index == v.tlogProof.index)
        #expect(proof.path.map(\.base64) == v.tlogProof.path)
        #expect(proof.encoded == v.tlogProof.text)
        let log = try Ed25519NoteVerifier(verifierKey: v.logVkey)
        let entry = Array(v.records[Int(proof.index)].bytes.utf8)
        guard case .valid(let checkpoint) = proof.verify(entry: entry, log: log) else {
            Issue.record("the spec's tlog-proof does not verify")
            return
        }
        #expect(checkpoint.root.base64 == v.root)
    }
}
