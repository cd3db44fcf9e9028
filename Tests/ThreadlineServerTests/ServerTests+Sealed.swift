import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Statements
import Testing
import Threadline
import ThreadlineTestSupport
import ThreadlineServer

extension ServerTests {
    /// The capture route takes a sealed submission — the envelope with its disclosures and decoy seeds — and
    /// records it as the event it opens to; without its opening the same envelope is refused.
    @Test func aSealedSubmissionIsCapturedWithItsOpening() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        let payload = Array(String(buffer: Self.event(7)).utf8)
        let plain = try Envelope(json: payload)
        let submission = try Recording.seal(plain.payload, with: [Self.brand])
        try await app.test(.router) { client in
            let bare = String(decoding: submission.envelope.canonicalJSON, as: UTF8.self)
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: "[\(bare)]")) {
                response in
                #expect(response.status == .badRequest)
                let type = try Self.problem(response)["type"] as? String
                #expect(type?.hasSuffix("/sealed.disclosure") == true)
            }
            let whole = String(decoding: submission.json, as: UTF8.self)
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: "[\(whole)]")) {
                response in
                #expect(response.status == .created)
            }
        }
        let steps = try await ledger.trace("urn:epc:id:sgtin:0614141.112345.7").steps
        #expect(steps.count == 1)
        let record = try LedgerRecord(bytes: try await ledger.entry(try #require(steps.first).seq))
        #expect(record.envelope.payloadType == SealedEvent.payloadType)
        #expect(!String(decoding: record.envelope.payload, as: UTF8.self).contains("0614141.112345.7"))
    }
}

extension ServerTests {
    /// Two serials made in one sealed event, at a place.
    static func sealedPair(_ first: Int) throws -> Submission {
        let payload =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.\#(first)","urn:epc:id:sgtin:0614141.112345.\#(first + 1)"],"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"}}"#
        return try Recording.seal(Array(payload.utf8), with: [brand])
    }

    /// Need-to-know at field level through the server (Specs/21 §2, 23 §4): a sealed record is anyone's, with the
    /// consumer's fields only; a plain one still needs a signature; `--require-sealed` refuses plain events.
    @Test func sealedRecordsAreAnyonesWithOnlyTheConsumersFields() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, requireSealed: true)
        let sealed = String(decoding: try Self.sealedPair(7).json, as: UTF8.self)
        try await app.test(.router) { client in
            try await client.execute(uri: "/statements", method: .post, body: Self.event(1)) { response in
                #expect(response.status == .badRequest)
                let type = try Self.problem(response)["type"] as? String
                #expect(type?.hasSuffix("/capture.sealed") == true)
            }
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: sealed)) { response in
                #expect(response.status == .created)
            }
            // Record 0 is the registry's (plain): unsigned, it is refused; record 1 is sealed: anyone's.
            try await client.execute(uri: "/records/0", method: .get) { #expect($0.status == .unauthorized) }
            let record = try await ledger.entry(1)
            try await client.execute(uri: "/records/1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(buffer: response.body) == record)
            }
            try await client.execute(uri: "/proofs/inclusion/1", method: .get) { #expect($0.status == .ok) }
            // The entry tile holds the registry's record too: not anyone's.
            try await client.execute(uri: "/tile/entries/000.p/2", method: .get) {
                #expect($0.status == .unauthorized)
            }
            // The bundle of serial 7, unsigned: the sealed step with the consumer's fields, and nothing of 8.
            let code = "https://id.gs1.org/01/10614141123459/21/7"
            try await client.execute(uri: "/bundle?code=\(code)", method: .get) { response in
                #expect(response.status == .ok)
                let bytes = Array(buffer: response.body)
                let verified = try await ProductBundle(parsing: bytes).verify(log: ledger.operatorVerifier)
                #expect(verified.journey.steps.map(\.seq) == [1])
                #expect(verified.journey.steps.first?.event.epcList == ["urn:epc:id:sgtin:0614141.112345.7"])
                #expect(verified.journey.steps.first?.event.bizLocation == nil)
                for secret in ["0614141.112345.8", "/21/8", "0614141.00001"] {
                    #expect(!Encodings.contain(secret, in: bytes), "\(secret) is in the consumer's bundle")
                }
            }
            // The consumer page: the step, no place, and where to get the bundle.
            try await client.execute(uri: "/01/10614141123459/21/7", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("<strong>made</strong>"))
                #expect(!page.contains("0614141000012") && !page.contains("/414/") && !page.contains("112345.8"))
                #expect(page.contains("/bundle?code="))
            }
        }
    }

    /// An entry tile whose records are all sealed is anyone's: a mirror copies the log without a key.
    @Test func anEntryTileOfSealedRecordsIsAnyones() async throws {
        let ledger = try await Self.ledger()
        // Records 1…257 are sealed: the second tile (256, 257) holds only those.
        _ = try await ledger.append(try (0..<257).map { try Self.sealedPair(1000 + 2 * $0) })
        _ = try await ledger.checkpoint()
        let app = Server.buildApplication(ledger: ledger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/tile/entries/001.p/2", method: .get) { response in
                #expect(response.status == .ok)
                #expect(!Encodings.contain("0614141.112345.", in: Array(buffer: response.body)))
            }
            try await client.execute(uri: "/tile/entries/000", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
