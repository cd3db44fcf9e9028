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
        let app = Server.buildApplication(ledger: ledger)
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
        let app = Server.buildApplication(ledger: ledger, port: 0)
        try await app.test(.live) { client in
            // Concurrent captures share transactions and each is answered with its own record.
            let seqs = try await withThrowingTaskGroup(of: Int.self) { group in
                for serial in 10..<30 {
                    group.addTask {
                        try await client.execute(uri: "/statements", method: .post, body: Self.event(serial)) {
                            response in
                            #expect(response.status == .created)
                            let object =
                                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Int]
                            return object?["seq"] ?? -1
                        }
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

extension ServerTests {
    @Test func captureJobsRunInTheBackgroundAllOrNothingOrProceeding() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger)
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

extension ServerTests {
    @Test func theResolverShowsTheJourneyPageOrJSONAndWarnsOfARecall() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append(
            try ((1...2).map { Self.event($0) }).map { try Envelope(json: Array(buffer: $0)) })
        let recall =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-02T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"holding","disposition":"recalled","epcList":["urn:epc:id:sgtin:0614141.112345.2"],"certificationInfo":["https://certifier.example/gots/TC-1"]}"#
        _ = try await ledger.append([
            try Envelope(signing: Array(recall.utf8), type: Statement.eventPayloadType, with: Self.brand)
        ])
        let app = Server.buildApplication(ledger: ledger)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/01/10614141123459/21/1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                return String(buffer: response.body)
            }
            #expect(page.contains("&#10003; Verified: all 1 steps are in the ledger example.com/server-test"))
            #expect(page.contains("<h2>brand</h2>"))
            #expect(page.contains("<strong>commissioning</strong> — Brand"))
            #expect(!page.contains("RECALLED"))
            #expect(!page.contains("<script"))
            let recalled = try await client.execute(uri: "/01/10614141123459/21/2", method: .get) {
                String(buffer: $0.body)
            }
            #expect(recalled.contains("role=\"alert\">&#9888; RECALLED: do not use this product."))
            #expect(recalled.contains("Certified: https://certifier.example/gots/TC-1"))
            // The same link with Accept: application/json, or a linkType, answers the journey as JSON.
            let json = try await client.execute(
                uri: "/01/10614141123459/21/2", method: .get, headers: [.accept: "application/json"]
            ) { response in try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] }
            #expect(json?["recalled"] as? Bool == true)
            #expect((json?["steps"] as? [Any])?.count == 2)
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:traceability", method: .get) {
                response in
                #expect(response.headers[.contentType] == "application/json")
            }
            // The resolver conventions: a linkset of every link, the EPCIS events, the default for unknown types.
            for (uri, headers) in [
                ("/01/10614141123459/21/2?linkType=linkset", HTTPFields()),
                ("/01/10614141123459/21/2", [.accept: "application/linkset+json"] as HTTPFields),
            ] {
                let linkset = try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.headers[.contentType] == "application/linkset+json")
                    return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                }
                let links = (linkset?["linkset"] as? [[String: Any]])?.first
                #expect((links?["anchor"] as? String)?.hasSuffix("/01/10614141123459/21/2") == true)
                let pip = (links?["https://ref.gs1.org/voc/pip"] as? [[String: Any]])?.first
                #expect(pip?["type"] as? String == "text/html")
                let trace = (links?["https://ref.gs1.org/voc/traceability"] as? [[String: Any]])?.first
                #expect((trace?["href"] as? String)?.contains("/trace?code=") == true)
                #expect(links?["https://ref.gs1.org/voc/epcis"] != nil)
            }
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:epcis", method: .get) { response in
                #expect(response.status == .temporaryRedirect)
                #expect(
                    response.headers[.location]?.hasPrefix(
                        "/events?MATCH_epc=https%3A%2F%2Fid.gs1.org%2F01%2F10614141123459%2F21%2F2") == true)
            }
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:recipeInfo", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            }
            let description = try await client.execute(uri: "/.well-known/gs1resolver", method: .get) { response in
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            #expect(description?["supportedPrimaryKeys"] as? [String] == ["01"])
            try await client.execute(uri: "/01/10614141123459/21/404", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/01/10614141123458/21/1", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}

extension ServerTests {
    @Test func theServerActsAsAWitness() async throws {
        let ledger = try await Self.ledger()
        let folder = try TemporaryFolder.make("witness")
        let cosigner = try Cosigner(name: "witness.example", privateKey: .init())
        let role = Server.WitnessRole(
            witness: Witness(cosigner: cosigner, logs: [Self.operatorKey.noteSigner.verifier]),
            statePath: folder.appendingPathComponent("state.json").path)
        let app = Server.buildApplication(ledger: ledger, witness: role)
        let request = try await ledger.witnessRequest(oldSize: 0)
        try await app.test(.router) { client in
            let line = try await client.execute(
                uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: request.encoded)
            ) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(line.hasPrefix("\u{2014} witness.example "))
            // The witness's state moved: the same request now conflicts, answering the size it holds.
            try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: request.encoded)) {
                response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "text/x.tlog.size")
                #expect(String(buffer: response.body) == "1\n")
            }
            try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: "old x\n")) {
                #expect($0.status == .badRequest)
            }
            // The ledger keeps the cosignature; checkpoints served afterwards carry it.
            #expect(try await ledger.addCosignatures(line, witnesses: [cosigner.verifier]) == ["witness.example"])
            try await client.execute(uri: "/checkpoint", method: .get) { response in
                #expect(String(buffer: response.body).contains("\u{2014} witness.example "))
            }
        }
    }
}

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
        let app = Server.buildApplication(ledger: ledger)
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
            let listing = try await ledger.checkListing(
                code: link, seller: "brand", claims: [("certification", "GOTS")])
            let checked = try await client.execute(
                uri: "/check-listing?code=\(link)&seller=brand&claim=certification=GOTS", method: .get
            ) { try Self.object($0) }
            #expect(checked as NSDictionary == (try Self.cliJSON(listing)))
            #expect(checked["verdict"] as? String == listing.verdict.rawValue)
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

extension ServerTests {
    @Test func metricsCountAppendsBatchesAndRequests() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger)
        @Sendable func value(_ text: String, _ name: String) -> Double {
            text.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        }
        try await app.test(.router) { client in
            let before = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            let array = "[" + [1, 2, 3].map { String(buffer: Self.event($0)) }.joined(separator: ",") + "]"
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: array)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/statements", method: .post, body: Self.event(1)) {
                #expect($0.status == .unprocessableContent)
            }
            let after = try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                return String(buffer: response.body)
            }
            // Metrics are process-wide (other tests append too), so compare growth, at least what this test did.
            #expect(
                value(after, "threadline_appended_records_total") - value(before, "threadline_appended_records_total")
                    >= 3)
            #expect(value(after, "threadline_commits_total") - value(before, "threadline_commits_total") >= 1)
            #expect(
                value(after, "threadline_refused_statements_total")
                    - value(before, "threadline_refused_statements_total") >= 1)
            #expect(
                value(after, "threadline_batch_records_count") - value(before, "threadline_batch_records_count") >= 1)
            #expect(after.contains("threadline_commit_duration_seconds_bucket"))
            #expect(
                after.contains(
                    #"hb_requests{http_route="/statements",http_request_method="POST",http_response_status_code="201"}"#
                ))
        }
    }

    @Test func aClientOverItsRateIsToldToWait() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, limits: .init(requestsPerSecond: 0.01, burst: 2))
        try await app.test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(uri: "/checkpoint", method: .get) { #expect($0.status == .ok) }
            }
            let refused = try await client.execute(uri: "/checkpoint", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                // One token comes back every 100 s.
                #expect(response.headers[.retryAfter].flatMap { Int($0) }.map { (1...100).contains($0) } == true)
                return try Self.problem(response)["type"] as? String
            }
            #expect(refused == "https://threadline.example/problems/rate-limit")
        }
        // The bucket refills at the rate (times given, so a busy machine cannot refill it between two calls).
        let limiter = RateLimitMiddleware(rate: 1000, burst: 1)
        let start = ContinuousClock.now
        #expect(limiter.take("a", at: start) == nil)
        #expect(limiter.take("a", at: start + .microseconds(100)).map { abs($0 - 0.0009) < 1e-6 } == true)
        #expect(limiter.take("b", at: start + .microseconds(100)) == nil)
        #expect(limiter.take("a", at: start + .milliseconds(2)) == nil)
    }

    @Test func aSlowRequestTimesOutButWorkThatFinishesIsKept() async throws {
        let router = Router(context: ServerContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: TimeoutMiddleware(timeout: .milliseconds(100)))
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(600))
            return "late"
        }
        // Work that ignores cancellation (as an append handed to the ledger does) is answered when it finishes.
        router.get("/durable") { _, _ -> String in
            // A continuation ignores cancellation, as the ledger's group commit does.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { continuation.resume() }
            }
            return "kept"
        }
        let started = ContinuousClock.now
        try await Application(router: router).test(.router) { client in
            let slow = try await client.execute(uri: "/slow", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                return try Self.problem(response)["type"] as? String
            }
            #expect(slow == "https://threadline.example/problems/timeout")
            try await client.execute(uri: "/durable", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "kept")
            }
        }
        // Neither request waited for the ten-minute handler.
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger)
        try await app.test(.router) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: Server.maxBody + 1)
            try await client.execute(uri: "/events", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
        #expect(try await ledger.store.size() == 1)
    }
}

extension ServerTests {
    @Test func onlyRegisteredParticipantsMaySubmitAndTheEPCISRoutesTakeEventsOnly() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger)
        let stranger = try SigningKey(name: "stranger", seed: [UInt8](repeating: 9, count: 32))
        @Sendable func opaque(_ key: SigningKey) throws -> ByteBuffer {
            ByteBuffer(
                bytes: try Envelope(signing: Array(#"{"note":1}"#.utf8), type: "application/json", with: key)
                    .canonicalJSON)
        }
        try await app.test(.router) { client in
            // A key no participant holds: refused under the ledger's rules, nothing appended.
            let refused = try await client.execute(uri: "/statements", method: .post, body: try opaque(stranger)) {
                response in
                #expect(response.status == .unprocessableContent)
                return try Self.problem(response)
            }
            #expect(refused["type"] as? String == "https://threadline.example/problems/record.signer")
            #expect((refused["detail"] as? String)?.contains(stranger.keyID) == true)
            // The brand's current key may submit any statement on /statements …
            try await client.execute(uri: "/statements", method: .post, body: try opaque(Self.brand)) {
                #expect($0.status == .created)
            }
            // … but the EPCIS capture interface takes events only.
            let wrongType = try await client.execute(uri: "/events", method: .post, body: try opaque(Self.brand)) {
                response in
                #expect(response.status == .badRequest)
                return try Self.problem(response)["type"] as? String
            }
            #expect(wrongType == "https://threadline.example/problems/capture.type")
        }
        #expect(try await ledger.store.size() == 2)
        // Once the brand's key is revoked, its statements are refused too.
        let revoke = RegistryStatement.revocation(
            participant: "brand", key: nil, reason: "left the network", basis: try await ledger.store.size())
        _ = try await ledger.append([
            try Envelope(signing: revoke.payload, type: RegistryStatement.payloadType, with: Self.operatorKey)
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/statements", method: .post, body: try opaque(Self.brand)) {
                #expect($0.status == .unprocessableContent)
            }
        }
    }
}
