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

extension ServerTests {
    @Test func metricsCountAppendsBatchesAndRequests() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
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
        let app = Server.buildApplication(
            ledger: ledger, limits: .init(requestsPerSecond: 0.01, burst: 2), reads: .open)
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
        let app = Server.buildApplication(ledger: ledger, reads: .open)
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
