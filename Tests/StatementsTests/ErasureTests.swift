import Testing

@testable import Statements

/// The erasure statement's payload (Specs/23-sealed-events.md §7): its one form, its vector, its refusals.
struct ErasureTests {
    static let digests = [
        "pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk", "ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M",
    ]

    @Test func theVectorsPayloadAndDigest() throws {
        // Computed with Python's json (compact) and hashlib over DSSE's PAE, as the Spec's vector.
        let erasure = try Erasure(
            record: 7, digests: Self.digests + [Self.digests[0]], reason: "a data subject's request")
        let payload =
            #"{"record":7,"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M","pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk"],"reason":"a data subject's request"}"#
        #expect(String(decoding: erasure.payload, as: UTF8.self) == payload)
        #expect(
            Statement.digest(payloadType: Erasure.payloadType, payload: erasure.payload).hex
                == "8f7b1a16c2055333865a327b70f0dc1271bb6e4f91c1a2baf6655220f3386b1c")
        #expect(try Erasure(payload: Array(payload.utf8)) == erasure)
        guard case .erasure(let read, _) = try Statement(payloadType: Erasure.payloadType, payload: erasure.payload)
        else {
            Issue.record("an erasure payload is not read as an erasure")
            return
        }
        #expect(read == erasure)
    }

    @Test func anyOtherFormIsRefused() {
        let refused = [
            #"{"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"],"record":7,"reason":"x"}"#,  // order
            #"{"record":7,"digests":[],"reason":"x"}"#, #"{"record":-1,"digests":["a"],"reason":"x"}"#,
            #"{"record":7,"digests":["not a digest"],"reason":"x"}"#,
            #"{"record":7,"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"],"reason":""}"#,
            #"{"record":7,"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"],"reason":"a\u0007b"}"#,
            #"{"record":7.5,"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"],"reason":"x"}"#, "[]",
        ]
        for text in refused {
            let error = #expect(throws: StatementError.self, "\(text)") { try Erasure(payload: Array(text.utf8)) }
            #expect(error?.code == .erasureJSON)
        }
        #expect(throws: StatementError.self) {
            try Erasure(record: 1, digests: Self.digests, reason: String(repeating: "x", count: 1025))
        }
    }
}
