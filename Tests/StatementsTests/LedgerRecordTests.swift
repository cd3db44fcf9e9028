@testable import EPCIS
import Foundation
@testable import Statements
import Testing
import TransparencyLog

struct LedgerRecordTests {
    static let key = try! SigningKey(name: "sample-farm", seed: [UInt8](repeating: 7, count: 32))

    static func envelope(_ text: String = #"{"type":"ObjectEvent"}"#) throws -> Envelope {
        try Envelope(signing: Array(text.utf8), type: "application/ld+json", with: key)
    }

    @Test func bytesRoundTripExactly() throws {
        let record = LedgerRecord(
            seq: 12, timeMillis: 1_764_412_800_123, prev: Hash.sha256([1]), envelope: try Self.envelope())
        let bytes = try record.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("threadline/record/v1\nseq 12\ntime 2025-11-29T10:40:00.123Z\nprev "))
        #expect(text.hasSuffix("}]}\n"))
        let parsed = try LedgerRecord(bytes: bytes)
        #expect(parsed == record)
        #expect(try parsed.encoded() == bytes)
    }

    @Test("the header lines are the decimal seq, the time and the standard padded base64 of prev, whatever they are")
    func headerLines() throws {
        let json = try Self.envelope().canonicalJSON
        var generator = SystemRandomNumberGenerator()
        let seqs: [Int64] = [0, 1, 9, 10, 99, 100, 1_000_000, 999_999_999, Int64.max]
        for seq in seqs + (0..<50).map { _ in Int64.random(in: 0...Int64.max, using: &generator) } {
            let prev = Hash.sha256(withUnsafeBytes(of: seq) { Array($0) })
            let time = Int64.random(in: 0...Timestamp.maxMillis, using: &generator)
            let bytes = try LedgerRecord.encode(seq: seq, timeMillis: time, prev: prev, envelopeJSON: json)
            let expected =
                "threadline/record/v1\nseq \(seq)\ntime \(Timestamp.format(millis: time))\nprev "
                + Data(prev.bytes).base64EncodedString() + "\n" + String(decoding: json, as: UTF8.self) + "\n"
            #expect(bytes == Array(expected.utf8), "\(seq)")
            #expect(try LedgerRecord(bytes: bytes).seq == seq)
        }
    }

    @Test func anyDeviationFromTheFormatIsRefused() throws {
        let bytes = try LedgerRecord(seq: 3, timeMillis: 0, prev: .zero, envelope: try Self.envelope()).encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        let variants = [
            text.replacingOccurrences(of: "seq 3", with: "seq 03"),
            text.replacingOccurrences(of: "seq 3", with: "seq  3"),
            text.replacingOccurrences(of: "v1\n", with: "v2\n"),
            text.replacingOccurrences(of: ".000Z", with: "Z"),
            text.replacingOccurrences(of: "\"payloadType\":", with: "\"payloadType\" :"),
            text.replacingOccurrences(of: "{\"payloadType", with: " {\"payloadType"),
            String(text.dropLast()),
            text + "\n",
            text.replacingOccurrences(of: "AAA=\n{", with: "AAB=\n{"),  // non-canonical base64 (padding bits)
            text.replacingOccurrences(of: "AAA=\n{", with: "AA=\n{"),
        ]
        for variant in variants where variant != text {
            #expect(throws: StatementError.self, "\(variant)") { try LedgerRecord(bytes: Array(variant.utf8)) }
        }
    }

    @Test func canonicalBase64IsReadAsFoundationWritesIt() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<64 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            #expect(Base64.decodeCanonical(Array(text.utf8)[...]) == bytes, "\(text)")
        }
        // Foundation reads some of these, but none is how it writes any bytes.
        for text in [
            "AB==", "AAB=", "A===", "====", "AA", "AAA", "AA=A", "AAAA=AAA", "AA==AAAA", "AAA-", "AA_A", "AAA ",
        ] {
            #expect(Base64.decodeCanonical(Array(text.utf8)[...]) == nil, "\(text)")
        }
    }

    @Test func canonicalBase64IsWrittenAsFoundationWritesIt() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Appended after what is there already, which stays as it was.
            var out = Array("x".utf8)
            Base64.append(bytes, to: &out)
            #expect(out == Array("x".utf8) + Array(Data(bytes).base64EncodedData()), "\(bytes)")
        }
    }

    @Test func recordsOverTheLimitAreRefused() throws {
        let fits = LedgerRecord.maxEnvelopeBytes
        // A payload whose canonical envelope is exactly at the limit is accepted even with the largest seq.
        let base = try Self.envelope("").canonicalJSON.count
        let payload = [UInt8](repeating: 0x41, count: (fits - base) / 4 * 3)
        let envelope = try Envelope(signing: payload, type: "application/ld+json", with: Self.key)
        #expect(envelope.canonicalJSON.count <= fits)
        let big = LedgerRecord(seq: Int64.max, timeMillis: 253_402_300_799_999, prev: .zero, envelope: envelope)
        #expect(try big.encoded().count <= LedgerRecord.maxBytes)
        let tooBig = try Envelope(
            signing: payload + [UInt8](repeating: 0x41, count: 300), type: "application/ld+json", with: Self.key)
        let error = #expect(throws: StatementError.self) {
            try LedgerRecord(seq: 0, timeMillis: 0, prev: .zero, envelope: tooBig).encoded()
        }
        #expect(error?.code == StatementCode.recordSize)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_764_412_800_123, "2025-11-29T10:40:00.123Z"), (-1, "1969-12-31T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ])
    func timestampsFormatAndParse(millis: Int64, text: String) {
        #expect(Timestamp.format(millis: millis) == text)
        #expect(Timestamp.parse(millis: text) == millis)
    }

    @Test(arguments: [Int64(-1), Timestamp.maxMillis + 1])
    func recordsRefuseTimesTheFormatCannotHold(millis: Int64) throws {
        let error = #expect(throws: StatementError.self) {
            try LedgerRecord(seq: 0, timeMillis: millis, prev: .zero, envelope: try Self.envelope()).encoded()
        }
        #expect(error?.code == StatementCode.recordTime)
    }

    @Test(arguments: [
        "2025-02-29T00:00:00.000Z", "2025-13-01T00:00:00.000Z", "2025-01-01T24:00:00.000Z", "2025-01-01 00:00:00.000Z",
    ])
    func impossibleTimestampsAreRefused(_ text: String) {
        #expect(Timestamp.parse(millis: text) == nil)
    }
}

struct EnvelopeTests {
    let key = LedgerRecordTests.key

    @Test func signaturesVerifyOverThePAE() throws {
        let envelope = try LedgerRecordTests.envelope()
        #expect(Envelope.pae(type: "t", payload: Array("hi".utf8)) == Array("DSSEv1 1 t 2 hi".utf8))
        let signers = try envelope.verifySignatures().get()
        #expect(signers.map(\.name) == ["sample-farm"])
        #expect(envelope.signatures[0].keyid == key.keyID)
        let tampered = try Envelope(
            payloadType: envelope.payloadType, payload: envelope.payload + [0x20], signatures: envelope.signatures)
        #expect(throws: StatementError.self) { try tampered.verifySignatures().get() }
        let retyped = try Envelope(
            payloadType: "text/plain", payload: envelope.payload, signatures: envelope.signatures)
        #expect(throws: StatementError.self) { try retyped.verifySignatures().get() }
    }

    @Test func submittedJSONInAnyFormBecomesCanonical() throws {
        let envelope = try LedgerRecordTests.envelope()
        let sig = Data(envelope.signatures[0].sig).base64EncodedString()
        let payload = Data(envelope.payload).base64EncodedString()
        let loose = """
            {
              "signatures": [ { "sig": "\(sig)", "keyid": "\(key.keyID)" } ],
              "payload": "\(payload)",
              "payloadType": "application/ld+json"
            }
            """
        let decoded = try Envelope(json: Array(loose.utf8))
        #expect(decoded == envelope)
        #expect(
            String(decoding: decoded.canonicalJSON, as: UTF8.self)
                == #"{"payloadType":"application/ld+json","payload":"\#(payload)","signatures":[{"keyid":"\#(key.keyID)","sig":"\#(sig)"}]}"#
        )
    }

    @Test func urlSafeAndUnpaddedBase64AreAcceptedAsDSSEAsks() throws {
        let envelope = try LedgerRecordTests.envelope()
        func urlSafe(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let json =
            #"{"payloadType":"application/ld+json","payload":"\#(urlSafe(envelope.payload))","#
            + #""signatures":[{"keyid":"\#(key.keyID)","sig":"\#(urlSafe(envelope.signatures[0].sig))"}]}"#
        #expect(try Envelope(json: Array(json.utf8)) == envelope)
    }

    @Test func aKeyidMustBeTheCanonicalSpellingOfItsKey() throws {
        let envelope = try LedgerRecordTests.envelope()
        let parts = key.keyID.split(separator: "+", maxSplits: 2)
        let upper = "\(parts[0])+\(parts[1].uppercased())+\(parts[2])"
        #expect(upper != key.keyID)
        #expect(try Ed25519NoteVerifier(verifierKey: upper) == key.verifier)  // the same key, spelled otherwise
        let respelled = try Envelope(
            payloadType: envelope.payloadType, payload: envelope.payload,
            signatures: [Envelope.Signature(keyid: upper, sig: envelope.signatures[0].sig)])
        let error = #expect(throws: StatementError.self) { try respelled.verifySignatures().get() }
        #expect(error?.reason.contains("canonical") == true)
    }

    @Test func aKeyidWithSurroundingSpacesIsNotAVerifierKey() throws {
        let envelope = try LedgerRecordTests.envelope()
        let padded = try Envelope(
            payloadType: envelope.payloadType, payload: envelope.payload,
            signatures: [Envelope.Signature(keyid: " " + key.keyID, sig: envelope.signatures[0].sig)])
        #expect(throws: StatementError.self) { try padded.verifySignatures().get() }
    }

    @Test(arguments: [
        #"{"payload":"aGk=","signatures":[]}"#, #"{"payloadType":"t","payload":"aGk=","signatures":[]}"#,
        #"{"payloadType":"t","payload":"!!","signatures":[{"keyid":"k","sig":"AAAA"}]}"#,
        #"{"payloadType":"t","payload":"aGk=","signatures":[{"keyid":"k","sig":"%%"}]}"#, "not json",
        #"{"payloadType":"a\"b","payload":"aGk=","signatures":[{"keyid":"k","sig":"AAAA"}]}"#,
    ])
    func malformedSubmissionsAreRefused(_ json: String) {
        #expect(throws: StatementError.self) { try Envelope(json: Array(json.utf8)) }
    }

    @Test func aKeyidThatIsNotAVerifierKeyFailsVerification() throws {
        let envelope = try LedgerRecordTests.envelope()
        let anonymous = try Envelope(
            payloadType: envelope.payloadType, payload: envelope.payload,
            signatures: [Envelope.Signature(keyid: "someone", sig: envelope.signatures[0].sig)])
        let error = #expect(throws: StatementError.self) { try anonymous.verifySignatures().get() }
        #expect(error?.code == StatementCode.envelopeKeyid)
    }

    @Test func keyFilesRoundTrip() throws {
        let generated = try SigningKey(generatingWithName: "acme-brand")
        let restored = try SigningKey(fileContents: generated.fileContents)
        #expect(restored.keyID == generated.keyID)
        #expect(generated.fileContents.hasPrefix("PRIVATE+KEY+acme-brand+"))
        #expect(throws: LogError.self) { try SigningKey(generatingWithName: "two words") }
        #expect(throws: LogError.self) { try SigningKey(fileContents: "garbage") }
    }
}
