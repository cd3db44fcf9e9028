import AsyncHTTPClient
import Crypto
import Dispatch
import EPCIS
import Foundation
import HTTPTypes
import Hummingbird
import LedgerStore
import LedgerStoreSQLite
import Logging
import ServiceLifecycle
import Statements
import Synchronization
import Threadline
import ThreadlineDeliveries

/// Subscriptions (`Specs/26-subscriptions.md`): the durable append rate with many subscriptions against none, in one
/// run; the latency from an alert's commit to the webhook's `200` at two numbers of subscriptions; deliveries a second.
extension LedgerBench {
    /// The webhook: answers `200` at once, noting when it got each message (by its record) and how many it got.
    final class Webhook: Sendable {
        let received = Mutex<(count: Int, at: [Int64: UInt64])>((0, [:]))

        func note(_ key: String?) {
            let now = DispatchTime.now().uptimeNanoseconds
            // `<subscription>.<seq>.<topic>`: the record is the second part.
            let seq = key.flatMap { $0.split(separator: ".").dropFirst().first }.flatMap { Int64($0) }
            received.withLock { state in
                state.count += 1
                if let seq, state.at[seq] == nil { state.at[seq] = now }
            }
        }

        /// Serves on a free loopback port while `body` runs.
        func serving<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                _ = try await request.body.collect(upTo: 1 << 24)
                self.note(request.headers[HTTPField.Name("Idempotency-Key")!])
                return Response(status: .ok)
            }
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            let services = ServiceGroup(
                configuration: .init(services: [app], logger: Logger(label: "ledger-bench.webhook")))
            let server = Task { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { Task { await services.triggerGracefulShutdown() } }
            let result = try await body("http://127.0.0.1:\(port)/hook")
            await services.triggerGracefulShutdown()
            try await server.value
            return result
        }
    }

    func runSubscriptions(count: Int, bound: Double) async throws {
        let operatorKey = try SigningKey(name: "bench.example/subs", seed: Array(SHA256.hash(data: Array("op".utf8))))
        let brand = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("brand".utf8))))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("subs-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var made = 0
        func ledger() async throws -> Ledger {
            made += 1
            let store = try SQLiteLedgerStore.create(
                path: folder.appendingPathComponent("l\(made).db").path,
                metadata: Ledger.metadata(operatorKey: operatorKey))
            let ledger = try await Ledger(store: store, operatorKey: operatorKey)
            let registration = RegistryStatement.registration(
                .init(id: "brand", name: "Brand", roles: [.brand], companyPrefixes: ["0614141"], keys: [brand.keyID]),
                basis: 0)
            _ = try await ledger.append([
                try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
            ])
            return ledger
        }
        func event(_ serial: String, disposition: String = "active", hour: Int = 1) -> Envelope {
            let time = Timestamp.format(millis: Int64(1_790_000_000 + hour) * 1000)
            let json =
                #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"holding","disposition":"\#(disposition)","epcList":["urn:epc:id:sgtin:0614141.112345.\#(serial)"]}"#
            // The benchmark's own events: they sign.
            return try! Envelope(signing: Array(json.utf8), type: Statement.eventPayloadType, with: brand)
        }
        /// `n` subscriptions, half to alerts and half to events, each on its own code `W-<i>`: what many platforms
        /// watching their listings' codes look like; the first `matching` watch the codes the events name.
        func subscribe(_ ledger: Ledger, _ n: Int, url: String, matching: Int = 0) async throws {
            for i in 0..<n {
                let code = "urn:epc:id:sgtin:0614141.112345." + (i < matching ? "P-\(i)" : "W-\(i)")
                let topic: Subscription.Topic =
                    i % 2 == 0 || i < matching
                    ? .alerts(
                        kinds: [.recalled], subjects: try .init(checking: [code], gtins: [], sellers: [], brands: []))
                    : .events(query: [.init("MATCH_epc", code)])
                _ = try await ledger.subscribe(
                    try Subscription(url: url, topic: topic), subscriber: Ledger.operatorSubscriber)
            }
        }

        // 1. Durable appends of pre-signed events, with `count` subscriptions and with none, in batches as `import`:
        // three rounds, alternating (so neither gains from going second), each kind's median taken.
        let total = max(10_000, events ?? 20_000)
        let envelopes = (0..<total).map { event("E-\($0)") }
        var rates: [[Double]] = [[], []]
        for _ in 0..<3 {
            for (i, subscriptions) in [0, count].enumerated() {
                let ledger = try await ledger()
                try await subscribe(ledger, subscriptions, url: "http://127.0.0.1:9/hook")
                let seconds = try await timed {
                    for start in stride(from: 0, to: total, by: batch) {
                        _ = try await ledger.append(Array(envelopes[start..<min(total, start + batch)]))
                    }
                }
                report("subs    append, \(subscriptions) subscriptions", Double(total) / seconds, bound: bound)
                rates[i].append(Double(total) / seconds)
            }
        }
        let medians = rates.map { $0.sorted()[1] }
        print(
            String(
                format: "subs    append with %d subscriptions / with none, medians of 3: %.2f", count,
                medians[1] / medians[0]))

        // 2. Latency from commit to the webhook's 200, one alert at a time, at 1,000 and `count` subscriptions.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        for subscriptions in Set([1000, count]).sorted() {
            let ledger = try await ledger()
            let webhook = Webhook()
            try await webhook.serving { url in
                try await subscribe(ledger, subscriptions, url: url, matching: 200)
                let deliverer = Deliverer(
                    ledger: ledger, key: operatorKey, client: client, logger: Logger(label: "ledger-bench.deliverer"))
                let running = Task { await deliverer.run() }
                var committed: [Int64: UInt64] = [:]
                for i in 0..<200 {
                    let seq = try await ledger.append([event("P-\(i)", disposition: "recalled", hour: i)]).lowerBound
                    committed[seq] = DispatchTime.now().uptimeNanoseconds
                    try await Task.sleep(for: .milliseconds(15))
                }
                while webhook.received.withLock({ $0.at.count }) < 200 { try await Task.sleep(for: .milliseconds(10)) }
                running.cancel()
                _ = await running.value
                let at = webhook.received.withLock { $0.at }
                latencies(
                    "subs    commit to 200, \(subscriptions) subscriptions",
                    committed.compactMap { seq, start in at[seq].map { Double($0 - start) / 1e6 } })
            }
        }

        // 3. Deliveries a second: 5,000 alerts written while no deliverer runs, then delivered by one.
        let ledger = try await ledger()
        let webhook = Webhook()
        try await webhook.serving { url in
            let messages = 5000
            try await subscribe(ledger, messages, url: url, matching: messages)
            for start in stride(from: 0, to: messages, by: batch) {
                _ = try await ledger.append(
                    (start..<min(messages, start + batch)).map { event("P-\($0)", disposition: "recalled", hour: $0) })
            }
            let deliverer = Deliverer(
                ledger: ledger, key: operatorKey, client: client, logger: Logger(label: "ledger-bench.deliverer"))
            let seconds = try await timed {
                while webhook.received.withLock({ $0.count }) < messages { try await deliverer.deliverDue() }
            }
            report("subs    deliveries (signed, proved, one deliverer)", Double(messages) / seconds, bound: bound)
        }
        try await client.shutdown()
    }
}
