import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
@testable import Threadline
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

extension ServerTests {
    @Test func captureJobsRunInTheBackgroundAllOrNothingOrProceeding() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        @Sendable func body(_ serials: [Int]) -> ByteBuffer {
            var buffer = ByteBuffer(string: "[")
            for (i, serial) in serials.enumerated() {
                if i > 0 { buffer.writeString(",") }
                var event = Self.event(serial)
                buffer.writeBuffer(&event)
            }
            buffer.writeString("]")
            return buffer
        }
        @Sendable func job(_ client: any TestClientProtocol, _ location: String) async throws -> [String: Any] {
            for _ in 0..<200 {
                let status = try await client.execute(uri: location, method: .get) { response in
                    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
                }
                if status["status"] as? String != "pending" { return status }
                try await Task.sleep(for: .milliseconds(10))
            }
            return [:]
        }
        try await app.test(.router) { client in
            let location = try await client.execute(uri: "/capture", method: .post, body: body([1, 2, 3])) { response in
                #expect(response.status == .accepted)
                return response.headers[.location] ?? ""
            }
            let done = try await job(client, location)
            #expect(done["status"] as? String == "success")
            #expect(done["records"] as? [Int] == [1, 2, 3])
            // A duplicate inside: nothing is recorded (rollback, the default) …
            let rolledBack = try await client.execute(uri: "/capture", method: .post, body: body([4, 1])) {
                $0.headers[.location] ?? ""
            }
            let failed = try await job(client, rolledBack)
            #expect(failed["status"] as? String == "failure")
            #expect((failed["errors"] as? [[String: Any]])?.first?["index"] as? Int == 1)
            // … unless the client asks to proceed.
            let proceeding = try await client.execute(
                uri: "/capture", method: .post, headers: [HTTPField.Name("GS1-Capture-Error-Behaviour")!: "proceed"],
                body: body([4, 1])
            ) { $0.headers[.location] ?? "" }
            let partial = try await job(client, proceeding)
            #expect(partial["status"] as? String == "partial")
            #expect(partial["records"] as? [Int] == [4])
            try await client.execute(uri: "/capture/99", method: .get) { response in
                #expect(response.status == .notFound)
                // Said as what it is: no such job (not a product that nothing concerns).
                let detail = String(buffer: response.body)
                #expect(detail.contains("there is no capture job 99"), "\(detail)")
            }
            // One event on /events, answered when durable.
            try await client.execute(uri: "/events", method: .post, body: Self.event(5)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body) == #"{"seq":5}"#)
            }
        }
        #expect(try await ledger.store.size() == 6)
    }
}
