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
@testable import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

/// The HTTP server's first routes, in process (router) and over loopback (live), on a real SQLite ledger.
struct ServerTests {
    static let operatorKey = try! SigningKey(name: "example.com/server-test", seed: [UInt8](repeating: 1, count: 32))
    static let brand = try! SigningKey(name: "brand", seed: [UInt8](repeating: 2, count: 32))

    static func ledger() async throws -> Ledger {
        let folder = try TemporaryFolder.make("server")
        let store = try SQLiteLedgerStore.create(
            path: folder.appendingPathComponent("l.db").path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)
        let registration = RegistryStatement.registration(
            .init(id: "brand", name: "Brand", roles: [.brand], companyPrefixes: ["0614141"], keys: [brand.keyID]),
            basis: 0)
        _ = try await ledger.append([
            try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
        ])
        return ledger
    }

    static func event(_ serial: Int, action: String = "ADD") -> ByteBuffer {
        let payload =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"\#(action)","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.\#(serial)"]}"#
        let envelope = try! Envelope(signing: Array(payload.utf8), type: Statement.eventPayloadType, with: brand)
        return ByteBuffer(bytes: envelope.canonicalJSON)
    }

    static func problem(_ response: TestResponse) throws -> [String: Any] {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func captureAnswersOnceDurableAndRefusesWithProblemDetails() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            try await client.execute(uri: "/statements", method: .post, body: Self.event(1)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body) == #"{"seq":1}"#)
            }
            // The same event again: 422, naming the record that holds it.
            try await client.execute(uri: "/statements", method: .post, body: Self.event(1)) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try Self.problem(response)
                #expect(problem["type"] as? String == "https://threadline.example/problems/record.duplicate")
                #expect((problem["detail"] as? String)?.contains("is already record 1") == true)
                #expect(problem["status"] as? Int == 422)
            }
            // Not an envelope, an invalid event: 400.
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: "{")) { response in
                #expect(response.status == .badRequest)
                let problem = try Self.problem(response)
                #expect(problem["type"] as? String == "https://threadline.example/problems/envelope.json")
            }
            try await client.execute(uri: "/statements", method: .post, body: Self.event(2, action: "CREATE")) {
                response in
                #expect(response.status == .badRequest)
                let problem = try Self.problem(response)
                #expect((problem["detail"] as? String)?.contains("action") == true)
            }
            try await client.execute(uri: "/records/9", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(try await ledger.store.size() == 2)
    }

    @Test func verifiableReadsOverLoopbackCheckOffline() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            // Concurrent captures, a connection each, share transactions and each is answered with its own record.
            // (One connection would send them one after another; a durable append waits for its fsync, which a
            // loaded disk can hold for seconds: hence the long timeout.)
            let port = try #require(client.port)
            let seqs = try await withThrowingTaskGroup(of: Int.self) { group in
                for serial in 10..<30 {
                    group.addTask {
                        let connection = TestClient(
                            host: "localhost", port: port, configuration: .init(timeout: .seconds(120)))
                        connection.connect()
                        let response = try await connection.execute(
                            .init("/statements", method: .post, authority: "localhost", body: Self.event(serial)))
                        try await connection.shutdown()
                        #expect(response.status == .created)
                        let object =
                            try JSONSerialization.jsonObject(with: Data(buffer: response.body ?? ByteBuffer()))
                            as? [String: Int]
                        return object?["seq"] ?? -1
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(seqs) == Set(1...20))
            let record = try await client.execute(uri: "/records/5", method: .get) { response in
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                return Array(buffer: response.body)
            }
            let proofText = try await client.execute(uri: "/proofs/inclusion/5", method: .get) {
                String(buffer: $0.body)
            }
            let proof = try TlogProof(parsing: proofText)
            guard case .valid(let checkpoint) = proof.verify(entry: record, log: Self.operatorKey.noteSigner.verifier)
            else {
                Issue.record("the served proof does not verify")
                return
            }
            #expect(checkpoint.size == 21)
            let note = try await client.execute(uri: "/checkpoint", method: .get) { String(buffer: $0.body) }
            #expect(note.hasPrefix("example.com/server-test\n21\n"))
            let consistency = try await client.execute(uri: "/proofs/consistency?old=3&new=21", method: .get) {
                response in
                String(buffer: response.body).split(separator: "\n").compactMap { Hash(base64: String($0)) }
            }
            #expect(
                Proofs.verifyConsistency(
                    oldSize: 3, newSize: 21, oldRoot: try await ledger.root(size: 3), newRoot: checkpoint.root,
                    proof: consistency))
            let journey = try await client.execute(
                uri: "/trace?code=https://id.gs1.org/01/10614141123459/21/10", method: .get
            ) { response in
                #expect(response.status == .ok)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            #expect((journey?["steps"] as? [[String: Any]])?.first?["participant"] as? String == "brand")
            // Tiles of the checkpoint's tree: the level-0 tile holds the leaf hashes of the records.
            let tile = try await client.execute(uri: "/tile/0/000.p/21", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                return Array(buffer: response.body)
            }
            #expect(tile.count == 21 * 32)
            #expect(Array(tile[5 * 32..<6 * 32]) == Merkle.leafHash(record).withBytes { Array($0) })
            let bundle = try await client.execute(uri: "/tile/entries/000.p/21", method: .get) {
                Array(buffer: $0.body)
            }
            #expect(bundle.count == (try await ledger.store.records(0..<21)).reduce(0) { $0 + 2 + $1.count })
            try await client.execute(uri: "/tile/0/000", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/tile/0/0", method: .get) { #expect($0.status == .badRequest) }
            // EPCIS queries, paged.
            let page = try await client.execute(uri: "/events?EQ_bizStep=commissioning&perPage=5", method: .get) {
                response in
                #expect(response.status == .ok)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            let results = (page?["epcisBody"] as? [String: Any])?["queryResults"] as? [String: Any]
            #expect(((results?["resultsBody"] as? [String: Any])?["eventList"] as? [Any])?.count == 5)
            #expect(results?["nextPageToken"] as? String == "5")
            try await client.execute(uri: "/events?EQ_nonsense=1", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}
