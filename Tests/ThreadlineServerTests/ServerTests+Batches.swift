import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import Threadline
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

extension ServerTests {
    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    /// What the CLI's `--json` prints for `value`, as an object to compare with a route's answer.
    static func cliJSON(_ value: some Encodable) throws -> NSDictionary {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test func batchesAnswerWithTheirRecordsAndProofsAndReadsMirrorTheCLI() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        let link = "https://id.gs1.org/01/10614141123459/21/2"
        try await app.test(.router) { client in
            // A JSON array of envelopes, with the tlog-proof of each record once a checkpoint covers it.
            let array = "[" + [1, 2, 3].map { String(buffer: Self.event($0)) }.joined(separator: ",") + "]"
            let answer = try await client.execute(
                uri: "/statements?proof=true", method: .post, body: ByteBuffer(string: array)
            ) { response in
                #expect(response.status == .created)
                return try Self.object(response)
            }
            #expect(answer["seq"] as? Int == 1)
            #expect(answer["count"] as? Int == 3)
            let proofs = try #require(answer["proofs"] as? [String])
            #expect(proofs.count == 3)
            for (offset, text) in proofs.enumerated() {
                let record = try await ledger.entry(Int64(1 + offset))
                let verdict = try TlogProof(parsing: text).verify(
                    entry: record, log: Self.operatorKey.noteSigner.verifier)
                guard case .valid(let checkpoint) = verdict else {
                    Issue.record("proof \(offset) does not verify")
                    continue
                }
                #expect(checkpoint.size == 4)
            }
            // One envelope per line, and one pretty-printed envelope spread over lines.
            let lines = [4, 5].map { String(buffer: Self.event($0)) }.joined(separator: "\n") + "\n"
            let batch = try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: lines)) {
                try Self.object($0) as NSDictionary
            }
            #expect(batch == ["seq": 4, "count": 2])
            let pretty = try JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: Data(buffer: Self.event(6))),
                options: .prettyPrinted)
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(bytes: pretty)) {
                #expect(String(buffer: $0.body) == #"{"seq":6}"#)
            }
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: "[]")) {
                #expect($0.status == .badRequest)
            }
            // Bytes outside any envelope, or a body that stops inside one, are refused before anything is checked.
            for body in [String(buffer: Self.event(7)) + " x", "{\"payload\": \"}", "}"] {
                let type = try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.status == .badRequest)
                    return try Self.problem(response)["type"] as? String
                }
                #expect(type?.hasSuffix("/capture.body") == true || type?.hasSuffix("/envelope.json") == true)
            }
            // Trace and listing checks answer what `trace --json` and `check-listing --json` print.
            let trace = try await client.execute(uri: "/trace?code=\(link)", method: .get) {
                try Self.object($0) as NSDictionary
            }
            #expect(trace == (try Self.cliJSON(JourneyJSON(try await ledger.trace(link)))))
            // At a time given (the default is now), as `check-listing --at` asks.
            let at = "2026-12-12T20:00:00+08:00"
            let listing = try await ledger.checkListing(
                code: link, seller: "brand", claims: [("certification", "GOTS")],
                at: try #require(Timestamp.parseDateTime(at)).micros)
            let checked = try await client.execute(
                uri: "/check-listing?code=\(link)&seller=brand&claim=certification=GOTS&at=2026-12-12T20:00:00%2B08:00",
                method: .get
            ) { try Self.object($0) }
            #expect(checked as NSDictionary == (try Self.cliJSON(listing)))
            #expect(checked["verdict"] as? String == listing.verdict.rawValue)
            #expect(checked["at"] as? String == "2026-12-12T12:00:00.000Z")
            for bad in ["tomorrow", "2026-12-12T20:00:00", "10000-01-01T00:00:00Z"] {
                let detail = try await client.execute(
                    uri: "/check-listing?code=\(link)&seller=brand&at=\(bad)", method: .get
                ) { response in
                    #expect(response.status == .badRequest)
                    return try Self.problem(response)["detail"] as? String
                }
                #expect(detail?.contains("at must be a date and time with a zone") == true, "\(bad)")
            }
            let missing = try await client.execute(uri: "/check-listing?code=\(link)", method: .get) { response in
                #expect(response.status == .badRequest)
                return try Self.problem(response)["detail"] as? String
            }
            #expect(missing?.contains("seller") == true)
            try await client.execute(uri: "/trace?code=https://id.gs1.org/01/10614141123459/21/999", method: .get) {
                #expect($0.status == .notFound)
            }
            // The offline bundle verifies with no database.
            let bytes = try await client.execute(uri: "/bundle?code=\(link)", method: .get) { response in
                #expect(response.status == .ok)
                return Array(buffer: response.body)
            }
            let verified = try await ProductBundle(parsing: bytes).verify(log: Self.operatorKey.noteSigner.verifier)
            #expect(verified.journey.steps.map(\.seq) == [2])
        }
    }
}
