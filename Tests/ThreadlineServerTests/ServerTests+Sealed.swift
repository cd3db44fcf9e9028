import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Statements
import Testing
import Threadline
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
