import Foundation
import Testing
import ThreadlineTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Subscriptions end to end with real processes (Specs/26-subscriptions.md): participants subscribing through the
/// server, `serve` delivering to a real webhook, a server killed mid-delivery, and `verify-delivery`.
struct SubscriptionCommandTests {
    static let recall = ClientTests.event(
        hour: 8,
        #""action":"OBSERVE","bizStep":"holding","disposition":"recalled","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
    )

    /// `machine.run`, off the cooperative pool (the webhook answering meanwhile is in this process).
    static func run(_ machine: ClientTests.Machine, _ arguments: String...) async throws -> CLI.Result {
        try await CLI.detached { try CLI.run(arguments, in: machine.folder, environment: machine.environment) }
    }

    /// The idempotency keys of what the webhook got at `path`.
    static func keys(_ got: [WebhookReceiver.Got], _ path: String) -> [String] {
        got.filter { $0.path == path }.compactMap { $0.headers["idempotency-key"] }
    }

    @Test func aMarketplaceAndABrandAreToldThroughTheServerAndCheckWhatTheyGotOffline() async throws {
        let (server, vkey, machines, _) = try await ClientTests.network(serving: ["--private-webhooks"])
        defer { server.process.terminate() }
        let (brand, market) = (machines["brand"]!, machines["market"]!)
        let receiver = WebhookReceiver()
        try await receiver.serving { base in
            // The marketplace watches the brand's GTIN; the brand, its own shipments.
            let watched = try await Self.run(
                market,
                "subscribe", "--remote", "hub", "--url", base + "/market", "--gtin", "10614141123459", "--json")
            #expect(watched.status == 0, "\(watched.stderr)")
            let id = try #require(
                (try JSONSerialization.jsonObject(with: watched.stdout) as? [String: Any])?["id"] as? String)
            let shipments = try await Self.run(
                brand,
                "subscribe", "--remote", "hub", "--url", base + "/brand", "--query", "EQ_bizStep=shipping")
            #expect(shipments.status == 0 && shipments.output.hasPrefix("subscribed "), "\(shipments.stderr)")
            // Bad subscriptions are refused before anything is sent.
            #expect(try await Self.run(market, "subscribe", "--remote", "hub", "--url", base + "/x").status == 64)
            #expect(
                try await Self.run(market, "subscribe", "--remote", "hub", "--url", "ftp://x/", "--gtin", "1").status
                    == 2)
            try brand.write(
                "made.json",
                ClientTests.document([
                    ClientTests.event(
                        hour: 3,
                        #""action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#),
                    ClientTests.event(
                        hour: 4,
                        #""action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#),
                    Self.recall,
                ]))
            #expect(
                try await Self.run(brand, "import", "--remote", "hub", "--as", "brand.key", "made.json").status == 0)
            // Deliveries are at least once (a retry after a slow answer delivers again): one message each, by its
            // idempotency key.
            let arrived = await receiver.wait { got in
                Set(Self.keys(got, "/market")).count == 1 && Set(Self.keys(got, "/brand")).count == 1
            }
            #expect(arrived)
            let got = await receiver.got
            #expect(Set(Self.keys(got, "/market")) == ["\(id).7.alert:recalled"])
            // The marketplace checks what it got, offline, with the operator's key alone.
            let delivery = try #require(got.first { $0.path == "/market" })
            try Data(delivery.message).write(to: market.folder.appendingPathComponent("delivery.http"))
            let checked = try await Self.run(market, "verify-delivery", "delivery.http", "--vkey", vkey)
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(
                checked.output.hasPrefix("valid: recalled for subscription \(id), records 7, in the log of checkpoint"))
            var altered = delivery.message
            altered[altered.count - 10] ^= 0x01
            try Data(altered).write(to: market.folder.appendingPathComponent("altered.http"))
            let refused = try await Self.run(market, "verify-delivery", "altered.http", "--vkey", vkey, "--json")
            #expect(refused.status == 1 && refused.output.contains("\"valid\" : false"), "\(refused.output)")
            // The brand's event delivery too, an EPCIS query document with the record and its proof.
            let event = try #require(got.first { $0.path == "/brand" })
            try Data(event.message).write(to: brand.folder.appendingPathComponent("event.http"))
            let eventChecked = try await Self.run(brand, "verify-delivery", "event.http", "--vkey", vkey)
            #expect(eventChecked.output.hasPrefix("valid: event for subscription"), "\(eventChecked.stderr)")
            // Each lists its own; the marketplace ends its subscription.
            let listed = try await Self.run(market, "subscriptions", "--remote", "hub", "--json")
            #expect(listed.output.contains(#""delivered":1"#) && listed.output.contains(id), "\(listed.output)")
            let others = try await Self.run(brand, "subscriptions", "--remote", "hub")
            #expect(!others.output.contains(id))
            #expect(try await Self.run(market, "unsubscribe", "--remote", "hub", id).status == 0)
            #expect(try await Self.run(market, "unsubscribe", "--remote", "hub", id).status == 4)
            #expect(
                try await Self.run(market, "subscriptions", "--remote", "hub", "--json").output
                    == #"{"subscriptions":[]}"# + "\n")
        }
    }

    @Test func aServerKilledMidDeliveryLeavesTheMessageToTheNextWhichDeliversIt() async throws {
        let folder = try CLI.folder()
        #expect(
            try await CLI.runDetached(["init", "--ledger", "l.db", "--origin", "example.com/kill"], in: folder).status
                == 0)
        #expect(try await CLI.runDetached(["key", "generate", "--out", "brand.key"], in: folder).status == 0)
        #expect(
            try await CLI.runDetached(
                [
                    "participant", "add", "--ledger", "l.db", "--id", "brand", "--name", "Brand", "--role", "brand",
                    "--prefix", "0614141", "--key", "brand.key",
                ], in: folder
            ).status == 0)
        // Until the server is killed, the webhook answers nothing: however slow the test, it cannot settle first.
        let receiver = WebhookReceiver(Array(repeating: .hold, count: 100))
        try await receiver.serving { base in
            let made = try await CLI.runDetached(
                ["subscribe", "--ledger", "l.db", "--url", base + "/hook", "--query", "EQ_bizStep=holding", "--json"],
                in: folder)
            let id = try #require(
                (try JSONSerialization.jsonObject(with: made.stdout) as? [String: Any])?["id"] as? String)
            var server = try await ServeTests.start(in: folder, ["--delivery-timeout", "3"])
            try Data(ClientTests.document([Self.recall]).utf8).write(to: folder.appendingPathComponent("recall.json"))
            #expect(
                try await CLI.runDetached(
                    ["import", "--ledger", "l.db", "--as", "brand.key", "recall.json"], in: folder
                ).status == 0)
            // The webhook has the request and holds it; the server dies before it hears back.
            #expect(await receiver.wait { $0.count >= 1 })
            kill(server.process.processIdentifier, SIGKILL)
            server.process.waitUntilExit()
            let before = await receiver.got.count
            await receiver.answer([])
            await receiver.release()
            let pending = try await CLI.runDetached(
                ["subscriptions", "deliveries", id, "--ledger", "l.db", "--json"], in: folder)
            #expect(pending.output.contains(#""state":"pending""#), "\(pending.output)")
            // Restarted, it finds the claim lapsed (3 × 3 s + 5 s) and delivers the same message again: at least
            // once, under its one idempotency key.
            server = try await ServeTests.start(in: folder, ["--delivery-timeout", "3"], log: "serve2.log")
            defer { server.process.terminate() }
            #expect(await receiver.wait(seconds: 60) { $0.count > before })
            var delivered = false
            for _ in 0..<100 where !delivered {
                let rows = try await CLI.runDetached(
                    ["subscriptions", "deliveries", id, "--ledger", "l.db", "--json"], in: folder)
                delivered = rows.output.contains(#""state":"delivered""#)
                if !delivered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(delivered)
            let keys = Self.keys(await receiver.got, "/hook")
            #expect(keys.count > before && Set(keys) == ["\(id).1.event"], "\(keys)")
        }
    }
}

/// Two servers on one PostgreSQL ledger share its outbox (Specs/26-subscriptions.md §5): every message reaches the
/// webhook, and none twice.
@Suite(.enabled(if: TestPostgres.serverURL != nil, "needs THREADLINE_TEST_POSTGRES (always set in CI)"))
struct SharedOutboxTests {
    @Test func twoServersOnOnePostgresLedgerDeliverEveryMessageOnceBetweenThem() async throws {
        let folder = try CLI.folder()
        let environment = [
            "THREADLINE_LEDGER": try await TestPostgres.freshDatabase(),
            "THREADLINE_OPERATOR_KEY": folder.appendingPathComponent("op.key").path,
        ]
        @Sendable func run(_ arguments: [String]) async throws -> CLI.Result {
            try await CLI.detached { try CLI.run(arguments, in: folder, environment: environment) }
        }
        #expect(try await run(["init", "--origin", "example.com/shared"]).status == 0)
        #expect(try await run(["key", "generate", "--out", "brand.key"]).status == 0)
        #expect(
            try await run([
                "participant", "add", "--id", "brand", "--name", "Brand", "--role", "brand", "--prefix", "0614141",
                "--key", "brand.key",
            ]).status == 0)
        let count = 120
        let events = (1...count).map {
            ClientTests.event(
                hour: 1,
                #""action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.\#($0)"]"#)
        }
        try Data(ClientTests.document(events).utf8).write(to: folder.appendingPathComponent("made.json"))
        let receiver = WebhookReceiver()
        try await receiver.serving { base in
            let made = try await run([
                "subscribe", "--url", base + "/hook", "--query", "EQ_bizStep=commissioning", "--json",
            ])
            #expect(made.status == 0, "\(made.stderr)")
            let ledger = environment["THREADLINE_LEDGER"]!
            // A receiver slowed by a loaded machine is not a failed delivery (which is posted again, by design).
            let servers = [
                try await ServeTests.start(
                    in: folder, ["--delivery-timeout", "60"], ledger: ledger, log: "a.log", environment: environment),
                try await ServeTests.start(
                    in: folder, ["--delivery-timeout", "60"], ledger: ledger, log: "b.log", environment: environment),
            ]
            defer { servers.forEach { $0.process.terminate() } }
            #expect(try await run(["import", "--as", "brand.key", "made.json"]).status == 0)
            #expect(await receiver.wait(seconds: 60) { Set(SubscriptionCommandTests.keys($0, "/hook")).count == count })
            // Both keep looking for a while: nothing comes twice.
            try await Task.sleep(for: .milliseconds(2500))
            let keys = SubscriptionCommandTests.keys(await receiver.got, "/hook")
            let logs = try ["a.log", "b.log"].map {
                try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8).suffix(3000)
            }
            #expect(keys.count == count && Set(keys).count == count, "\(keys.count) posts; the servers' logs: \(logs)")
        }
    }
}
