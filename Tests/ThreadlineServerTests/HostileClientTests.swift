import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import Statements
import Synchronization
import Testing
@testable import Threadline
@_spi(Fuzzing) @testable import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

/// What an attacker with `curl` and a fresh key tries against a public server (`Specs/17-server.md` §Limits), over a
/// real server on loopback: each request is answered with a problem, and the server goes on serving.
struct HostileClientTests {
    /// A key nobody registered.
    static let stranger = try! SigningKey(name: "stranger", seed: [UInt8](repeating: 9, count: 32))

    /// An event statement signed by `key` whose event time is `eventTime`.
    static func event(eventTime: String, serial: Int = 1, by key: SigningKey = ServerTests.brand) -> ByteBuffer {
        let payload =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"\#(eventTime)","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.\#(serial)"]}"#
        let envelope = try! Envelope(signing: Array(payload.utf8), type: Statement.eventPayloadType, with: key)
        return ByteBuffer(bytes: envelope.canonicalJSON)
    }

    /// The problem type's code of a problem details answer.
    static func code(_ response: TestResponse) throws -> String? {
        (try ServerTests.problem(response)["type"] as? String)?.replacingOccurrences(
            of: "https://threadline.example/problems/", with: "")
    }

    @Test func anEventTimeBeforeYearZeroInUTCIsRefusedOnEveryCaptureRoute() async throws {
        let ledger = try await ServerTests.ledger()
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            // One minute before 0000-01-01T00:00:00Z once the offset is applied.
            let early = Self.event(eventTime: "0000-01-01T00:00:00+00:01")
            for route in ["/events", "/statements"] {
                try await client.execute(uri: route, method: .post, body: early) { response in
                    #expect(response.status == .badRequest)
                    let code = try Self.code(response)
                    #expect(code == "event.invalid")
                }
            }
            let job = try await client.execute(uri: "/capture", method: .post, body: early) { response in
                #expect(response.status == .accepted)
                return response.headers[.location] ?? ""
            }
            var status: [String: Any] = [:]
            for _ in 0..<200 where status["status"] as? String ?? "pending" == "pending" {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.execute(uri: job, method: .get) { response in
                    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
                }
            }
            #expect(status["status"] as? String == "failure")
            // The last representable time is still accepted, and the server is still serving.
            try await client.execute(
                uri: "/events", method: .post, body: Self.event(eventTime: "0000-01-01T00:00:00-00:01", serial: 2)
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/checkpoint", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func anUnregisteredSignerIsRefusedBeforeItsEventIsReadOrHashed() async throws {
        let ledger = try await ServerTests.ledger()
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            // The event is invalid too; the answer is about the signer, so the event was never looked at.
            let body = Self.event(eventTime: "not a time", by: Self.stranger)
            for route in ["/events", "/statements"] {
                try await client.execute(uri: route, method: .post, body: body) { response in
                    #expect(response.status == .unprocessableContent)
                    let code = try Self.code(response)
                    #expect(code == "record.signer")
                }
            }
        }
        #expect(try await ledger.store.size() == 1)
    }

    @Test(
        "numbers in paths and queries are range-checked",
        arguments: [
            "/tile/0/x009/x223/x372/x036/x854/x775/807", "/tile/0/x009/x223/x372/x036/x854/x775/999",
            "/tile/7/x000/x000/x000/x000/x000/001", "/tile/64/000", "/tile/0/x999999999999999999999/000",
            "/tile/entries/x036/x028/x797/x018/x963/967", "/events?nextPageToken=9223372036854775807",
            "/events?nextPageToken=-1", "/events?perPage=9223372036854775807", "/events?perPage=0",
            "/records/-1", "/records/9223372036854775807", "/records/99999999999999999999",
            "/proofs/inclusion/9223372036854775807", "/proofs/consistency?old=9223372036854775807&new=1",
            "/proofs/consistency?old=-5&new=9223372036854775807",
        ])
    func numbersOutOfRange(_ uri: String) async throws {
        let ledger = try await ServerTests.ledger()
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect([.badRequest, .notFound].contains(response.status), "\(uri): \(response.status)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/checkpoint", method: .get) { #expect($0.status == .ok) }
        }
    }
}

extension HostileClientTests {
    @Test func refusalsAreCountedWithTheStatusTheyWereAnsweredWith() async throws {
        let ledger = try await ServerTests.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            try await client.execute(uri: "/statements", method: .post, body: ByteBuffer(string: "{")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/statements", method: .post, body: ServerTests.event(1)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/statements", method: .post, body: ServerTests.event(1)) {
                #expect($0.status == .unprocessableContent)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            for status in [400, 422] {
                #expect(
                    metrics.contains(
                        #"hb_requests{http_route="/statements",http_request_method="POST",http_response_status_code="\#(status)"}"#
                    ))
            }
        }
    }

    @Test func linksNameTheConfiguredAddressNotTheHostHeader() async throws {
        let ledger = try await ServerTests.ledger()
        _ = try await ledger.append([
            try Envelope(json: Array(buffer: ServerTests.event(1)))
        ])
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open, publicURL: "https://ledger.example")
        try await app.test(.live) { client in
            let host = HTTPField.Name("Host")!
            let headers: HTTPFields = [host: "evil.example", .accept: "application/linkset+json"]
            let linkset = try await client.execute(
                uri: "/01/10614141123459/21/1", method: .get, headers: headers
            ) { String(buffer: $0.body) }
            #expect(linkset.contains("https://ledger.example/"))
            #expect(!linkset.contains("evil.example"))
            let description = try await client.execute(
                uri: "/.well-known/gs1resolver", method: .get, headers: [host: "evil.example"]
            ) { String(buffer: $0.body) }
            #expect(description.contains("https://ledger.example"))
            #expect(!description.contains("evil.example"))
        }
    }
}

/// Capture jobs: unguessable, bounded, forgotten after their lifetime (`Specs/17-server.md` §Capture jobs).
struct CaptureJobsTests {
    final class Clock: Sendable {
        let instant = Mutex(ContinuousClock.now)
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    @Test func idsAreRandomAndJobsExpire() async throws {
        let clock = Clock()
        let jobs = CaptureJobs(lifetime: .seconds(60), maxJobs: 3, maxRunning: 2) { clock.instant.withLock { $0 } }
        let first = try #require(await jobs.start(count: 1) { _ in })
        let second = try #require(await jobs.start(count: 1) { _ in })
        #expect(first.count == 32 && first.allSatisfy(\.isHexDigit))
        #expect(first != second)
        // Two are running: a third must wait.
        #expect(await jobs.start(count: 1) { _ in } == nil)
        await jobs.finish(first, records: [4, 5, 6, 9], errors: [])
        let status = try #require(await jobs.status(first))
        #expect(status["records"] == .array([4, 5, 6, 9].map { .number(String($0)) }))
        clock.advance(.seconds(59))
        #expect(await jobs.status(first) != nil)
        clock.advance(.seconds(2))
        #expect(await jobs.status(first) == nil)
        // A running job is never forgotten.
        #expect(await jobs.status(second) != nil)
    }

    @Test func aJobKeepsABoundedNumberOfErrors() async throws {
        let jobs = CaptureJobs()
        let id = try #require(await jobs.start(count: 5000) { _ in })
        let failures = (0..<5000).map {
            CaptureJobs.Failure(index: $0, code: "record.duplicate", detail: String(repeating: "x", count: 10_000))
        }
        await jobs.finish(id, records: [], errors: failures)
        let status = try #require(await jobs.status(id))
        #expect(status["errorCount"] == .number("5000"))
        #expect(status["errors"]?.elements?.count == CaptureJobs.maxErrors)
        #expect(status.serialized.utf8.count < 100 * (CaptureJobs.maxDetail + 200))
    }

    @Test func theOldestEndedJobsMakeRoom() async throws {
        let jobs = CaptureJobs(maxJobs: 2)
        let a = try #require(await jobs.start(count: 1) { _ in })
        await jobs.finish(a, records: [1], errors: [])
        let b = try #require(await jobs.start(count: 1) { _ in })
        await jobs.finish(b, records: [2], errors: [])
        let c = try #require(await jobs.start(count: 1) { _ in })
        #expect(await jobs.status(a) == nil)
        #expect(await jobs.status(b) != nil)
        #expect(await jobs.status(c) != nil)
        #expect(await jobs.count == 2)
    }
}

extension HostileClientTests {
    /// The issue's reproduction: a brand withdraws a channel's authorisation; anyone reads the earlier
    /// authorisation record and posts it again.
    @Test func aWithdrawnAuthorisationCannotBeReplayedNorAnyStatementPostedTwice() async throws {
        let ledger = try await ServerTests.ledger()
        let shop = try SigningKey(name: "shop", seed: [UInt8](repeating: 3, count: 32))
        let registration = RegistryStatement.registration(
            .init(id: "shop", name: "Shop", roles: [.marketplace], keys: [shop.keyID]), basis: 1)
        _ = try await ledger.append([
            try Envelope(
                signing: registration.payload, type: RegistryStatement.payloadType, with: ServerTests.operatorKey)
        ])
        @Sendable func authorisation(withdrawn: Bool, basis: Int64) throws -> ByteBuffer {
            let statement = RegistryStatement.channelAuthorization(
                brand: "brand", channel: "shop", companyPrefixes: [], withdrawn: withdrawn, basis: basis)
            let envelope = try Envelope(
                signing: statement.payload, type: RegistryStatement.payloadType, with: ServerTests.brand)
            return ByteBuffer(bytes: envelope.canonicalJSON)
        }
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            try await client.execute(
                uri: "/statements", method: .post, body: try authorisation(withdrawn: false, basis: 2)
            ) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/statements", method: .post, body: ServerTests.event(1)) {
                #expect($0.status == .created)
            }
            try await client.execute(
                uri: "/statements", method: .post, body: try authorisation(withdrawn: true, basis: 4)
            ) {
                #expect($0.status == .created)
            }
            // The attacker reads the grant (record 2) and posts its envelope again.
            let record = try await client.execute(uri: "/records/2", method: .get) { Array(buffer: $0.body) }
            let replay = ByteBuffer(bytes: try LedgerRecord(bytes: record).envelope.canonicalJSON)
            for route in ["/statements", "/statements?proof=true"] {
                try await client.execute(uri: route, method: .post, body: replay) { response in
                    #expect(response.status == .unprocessableContent)
                    let code = try Self.code(response)
                    #expect(code == "record.duplicate")
                }
            }
            let listing = try await client.execute(
                uri: "/check-listing?code=urn:epc:id:sgtin:0614141.112345.1&seller=shop", method: .get
            ) { String(buffer: $0.body) }
            #expect(listing.contains("SELLER_NOT_AUTHORISED"))
            // Any participant's statement, posted again: refused, and the log does not grow.
            let note = ByteBuffer(
                bytes: try Envelope(signing: Array("hello".utf8), type: "text/plain", with: shop).canonicalJSON)
            try await client.execute(uri: "/statements", method: .post, body: note) { #expect($0.status == .created) }
            for _ in 0..<3 {
                try await client.execute(uri: "/statements", method: .post, body: note) {
                    #expect($0.status == .unprocessableContent)
                }
            }
            // The replayed event through the EPCIS capture interface is refused too.
            try await client.execute(uri: "/events", method: .post, body: ServerTests.event(1)) {
                #expect($0.status == .unprocessableContent)
            }
        }
        #expect(try await ledger.store.size() == 6)
    }
}

/// Bodies that cost more than their size (17 §Limits).
extension HostileClientTests {
    /// Each piece is a slice of the body itself: the scanner copies nothing, and neither drops nor invents a byte.
    @Test func aBodyIsSplitIntoSlicesOfItself() throws {
        for text in [#"{"a":"}"} {"b":[1,{}]}"#, #" [ {"a":1} , {"b":"]"} ] "#, "[]", "\n{}\n"] {
            let body = Array(text.utf8)
            let pieces = try Server.envelopes(body)
            #expect(pieces.allSatisfy { $0.first == UInt8(ascii: "{") && $0.last == UInt8(ascii: "}") })
            for piece in pieces { #expect(Array(body[piece.indices]) == Array(piece)) }
            #expect(pieces.count == text.filter { $0 == "{" }.count - (text.contains("{}]}") ? 1 : 0))
        }
    }

    @Test(
        "a body with anything but envelopes between its envelopes is refused",
        arguments: [#""""#, #"["a"]"#, "[{},]", "[{} {}]", "[{}", "{}]", "{]", "]", "[[]]", "1", "{} x", "[{}],[{}]"])
    func bodiesOfOtherThings(_ text: String) throws {
        let error = #expect(throws: (any Error).self, "\(text)") { try Server.envelopes(Array(text.utf8)) }
        #expect(error is ServerError || error is StatementError, "\(String(describing: error))")
    }

    @Test func aBodyOfTooManyStatementsIsRefusedAtTheOneTooMany() throws {
        let body = Array(String(repeating: "{}", count: 11).utf8)
        #expect(try Server.envelopes(body, limit: 11).count == 11)
        let error = #expect(throws: ServerError.self) { try Server.envelopes(body, limit: 10) }
        #expect(error?.code == .captureSize)
    }

    /// Bodies of `{}` repeated (16 MiB of them took the server from 42 MB to 2.6 GB) are refused at the statement
    /// limit, before any piece is decoded, with `413`. (`HostileLoadTests` sends the 16 MiB to a server process
    /// and measures its memory.)
    @Test func moreObjectsThanARequestMayCarryAreRefusedAsTooLarge() async throws {
        let ledger = try await ServerTests.ledger()
        let body = ByteBuffer(string: String(repeating: "{}", count: Server.maxStatements + 1))
        let app = Server.buildApplication(ledger: ledger, port: 0, reads: .open)
        try await app.test(.live) { client in
            for route in ["/statements", "/capture"] {
                try await client.execute(uri: route, method: .post, body: body) { response in
                    #expect(response.status == .contentTooLarge)
                    let code = try Self.code(response)
                    #expect(code == "capture.size")
                }
            }
            try await client.execute(uri: "/checkpoint", method: .get) { #expect($0.status == .ok) }
        }
    }

    /// Capture bodies held at once are bounded: a request whose body does not fit what is left is `503`, and the
    /// budget is given back when a request ends.
    @Test func captureBodiesBeyondTheMemoryBudgetWaitTheirTurn() async throws {
        let ledger = try await ServerTests.ledger()
        let app = Server.buildApplication(ledger: ledger, port: 0, limits: .init(captureMemory: 4096), reads: .open)
        try await app.test(.live) { client in
            let large = ByteBuffer(bytes: Array(repeating: UInt8(ascii: " "), count: 5000))
            try await client.execute(uri: "/statements", method: .post, body: large) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let code = try Self.code(response)
                #expect(code == "capture.busy")
            }
            // Smaller bodies fit, one after another: each gives its share back.
            for serial in 1...3 {
                try await client.execute(uri: "/statements", method: .post, body: ServerTests.event(serial)) {
                    #expect($0.status == .created)
                }
            }
        }
        let budget = BodyBudget(100)
        var first = budget.reserve(60)
        #expect(first != nil)
        #expect(budget.reserve(60) == nil)
        first = nil
        #expect(budget.reserve(60) != nil)
    }
}
