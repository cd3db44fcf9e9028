import Foundation
import Testing
import ThreadlineTestSupport

/// Participants on the network, end to end with real processes (Specs/22-client.md): one `threadline serve` on
/// loopback, and each participant a separate `threadline` process with its own key, config and state files.
struct ClientTests {
    /// One participant's machine: its folder (key, documents) and its XDG config and state directories.
    struct Machine {
        let folder: URL
        let name: String

        var environment: [String: String] {
            [
                "XDG_CONFIG_HOME": folder.appendingPathComponent("config").path,
                "XDG_STATE_HOME": folder.appendingPathComponent("state").path,
            ]
        }

        @discardableResult
        func run(_ arguments: String...) throws -> CLI.Result {
            try CLI.run(arguments, in: folder, environment: environment)
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
    }

    static func document(_ events: [String]) -> String {
        #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-09-01T00:00:00Z","epcisBody":{"eventList":[\#(events.joined(separator: ","))]}}"#
    }

    static func event(hour: Int, _ body: String) -> String {
        #"{"type":"ObjectEvent","eventTime":"2026-09-01T\#(String(format: "%02d", hour)):00:00Z","eventTimeZoneOffset":"+00:00",\#(body)}"#
    }

    static let fabric = "urn:epc:class:lgtin:8801234.012345.LOT1"

    /// The factory's document: it weaves a lot of fabric and ships it to the brand.
    static let fabricBatch = document([
        event(
            hour: 1,
            #""action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"\#(fabric)","quantity":500,"uom":"MTR"}]"#
        ),
        event(
            hour: 2,
            #""action":"OBSERVE","bizStep":"shipping","quantityList":[{"epcClass":"\#(fabric)","quantity":500,"uom":"MTR"}],"destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:0614141.00000"}]"#
        ),
    ])
    static let shirt = "https://id.gs1.org/01/10614141123459/21/1"

    /// The operator's ledger with a brand, a factory, a rival factory, a marketplace and an auditor, each with a
    /// key on its own machine; the server running it; each machine with the server as remote `hub`.
    static func network(
        serving extra: [String] = []
    ) async throws -> (
        server: ServeTests.Running, vkey: String, machines: [String: Machine], operator: URL
    ) {
        let root = try CLI.folder()
        let operatorFolder = root.appendingPathComponent("operator")
        try FileManager.default.createDirectory(at: operatorFolder, withIntermediateDirectories: true)
        let vkey = try CLI.run(["init", "--ledger", "l.db", "--origin", "example.com/hub"], in: operatorFolder).output
            .trimmingCharacters(in: .newlines)
        var machines: [String: Machine] = [:]
        for (id, role, prefix) in [
            ("brand", "brand", "0614141"), ("factory", "manufacturer", "8801234"),
            ("rival", "manufacturer", "8809999"), ("market", "marketplace", "6912345"), ("auditor", "auditor", ""),
        ] {
            let machine = Machine(folder: root.appendingPathComponent(id), name: id)
            try FileManager.default.createDirectory(at: machine.folder, withIntermediateDirectories: true)
            #expect(try machine.run("key", "generate", "--out", "\(id).key").status == 0)
            try FileManager.default.copyItem(
                at: machine.folder.appendingPathComponent("\(id).key"),
                to: operatorFolder.appendingPathComponent("\(id).key"))
            let added = try CLI.run(
                ["participant", "add", "--ledger", "l.db", "--id", id, "--name", id.capitalized, "--role", role]
                    + (prefix.isEmpty ? [] : ["--prefix", prefix]) + ["--key", "\(id).key"], in: operatorFolder)
            #expect(added.status == 0, "\(added.stderr)")
            machines[id] = machine
        }
        let server = try await ServeTests.start(in: operatorFolder, extra)
        for machine in machines.values {
            let added = try machine.run(
                "remote", "add", "hub", server.base.absoluteString, "--vkey", vkey, "--as", "\(machine.name).key")
            #expect(added.status == 0, "\(added.stderr)")
        }
        return (server, vkey, machines, operatorFolder)
    }

    @Test func participantsWorkThroughTheServerAndSeeOnlyTheirPart() async throws {
        let (server, vkey, machines, operatorFolder) = try await Self.network()
        defer { server.process.terminate() }
        let (factory, brand, rival, market, auditor) = (
            machines["factory"]!, machines["brand"]!, machines["rival"]!, machines["market"]!, machines["auditor"]!
        )
        // The factory weaves a lot of fabric and ships it to the brand: one document, imported through the server.
        try factory.write("batch.json", Self.fabricBatch)
        let imported = try factory.run("import", "--remote", "hub", "--as", "factory.key", "batch.json")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.lines == ["recorded 2 of 2 events as records 5–6; refused 0"])
        // The brand makes two shirts of it and ships one to the marketplace, which it authorises to sell.
        try brand.write(
            "shirts.json",
            Self.document([
                Self.event(
                    hour: 3,
                    #""action":"OBSERVE","bizStep":"receiving","quantityList":[{"epcClass":"\#(Self.fabric)","quantity":500,"uom":"MTR"}]"#
                ),
                #"{"type":"TransformationEvent","eventTime":"2026-09-01T04:00:00Z","eventTimeZoneOffset":"+00:00","bizStep":"commissioning","inputQuantityList":[{"epcClass":"\#(Self.fabric)","quantity":3,"uom":"MTR"}],"outputEPCList":["urn:epc:id:sgtin:0614141.112345.1","urn:epc:id:sgtin:0614141.112345.2"]}"#,
                Self.event(
                    hour: 5,
                    #""action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.112345.1"],"destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:6912345.00000"}]"#
                ),
            ]))
        #expect(try brand.run("import", "--remote", "hub", "--as", "brand.key", "shirts.json").status == 0)
        let authorised = try brand.run(
            "authorize", "--remote", "hub", "--brand", "brand", "--channel", "market", "--as", "brand.key")
        #expect(authorised.lines == ["10"], "\(authorised.stderr)")
        try market.write(
            "received.json",
            Self.event(
                hour: 6,
                #""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"action":"OBSERVE","bizStep":"receiving","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
            ))
        #expect(try market.run("record", "--remote", "hub", "--as", "market.key", "received.json").lines == ["11"])

        // A rival's import with one event the rules refuse (commissioning under the brand's prefix): all or
        // nothing, it records nothing and names the event; with --continue-on-error the other one is recorded.
        try rival.write(
            "mixed.json",
            Self.document([
                Self.event(
                    hour: 7,
                    #""action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:0614141.112345.99"]"#),
                Self.event(
                    hour: 7,
                    #""action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:8809999.012345.1"]"#),
            ]))
        let atomic = try rival.run("import", "--remote", "hub", "--as", "rival.key", "mixed.json")
        #expect(atomic.status == 2 && atomic.stderr.contains("nothing recorded: event 0 ("), "\(atomic.stderr)")
        #expect(atomic.stderr.contains("record.companyPrefix"))
        let proceeding = try rival.run(
            "import", "--remote", "hub", "--as", "rival.key", "--continue-on-error", "mixed.json")
        #expect(proceeding.status == 2 && proceeding.lines == ["recorded 1 of 2 events as records 12–12; refused 1"])
        #expect(proceeding.stderr.contains("refused event 0"), "\(proceeding.stderr)")
        // Each reader's trace, through the server: the same output as the operator's local one for the brand.
        func steps(_ machine: Machine) throws -> (Int32, [Int]) {
            let result = try machine.run("trace", "--remote", "hub", Self.shirt, "--json")
            let json = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
            return (result.status, (json?["steps"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int })
        }
        #expect(try steps(brand) == (0, [5, 6, 7, 8, 9, 11]))
        #expect(try steps(auditor) == (0, [5, 6, 7, 8, 9, 11]))
        #expect(try steps(factory) == (0, [5, 6]))
        let rivalTrace = try rival.run("trace", "--remote", "hub", Self.shirt)
        #expect(rivalTrace.status == 4, "\(rivalTrace.output)\(rivalTrace.stderr)")
        let operatorView = try CLI.run(["trace", "--ledger", "l.db", Self.shirt], in: operatorFolder)
        #expect(try brand.run("trace", "--remote", "hub", Self.shirt).output == operatorView.output)
        // The registry, proved statement by statement: the operator's listing, seen from the factory's machine.
        let registry = try factory.run("participant", "list", "--remote", "hub")
        #expect(registry.status == 0 && registry.output.contains("market  Market  [marketplace]"), "\(registry.stderr)")
        #expect(
            registry.output == (try CLI.run(["participant", "list", "--ledger", "l.db"], in: operatorFolder)).output)
        // Event queries: each reader's events, each proved in the log; the same lines as the operator's for them
        // (a rival sees only its own).
        let factoryEvents = try factory.run("events", "--remote", "hub")
        #expect(factoryEvents.status == 0 && factoryEvents.lines.map { $0.prefix(3) } == ["5  ", "6  "])
        let operatorEvents = try CLI.run(["events", "--ledger", "l.db"], in: operatorFolder)
        #expect(factoryEvents.lines == Array(operatorEvents.lines.prefix(2)))
        let rivalEvents = try rival.run("events", "--remote", "hub", "--json")
        #expect(rivalEvents.status == 0 && rivalEvents.output.contains(#""threadline:records":[12]"#))
        #expect(!rivalEvents.output.contains("LOT1") && !rivalEvents.output.contains("0614141"))
        // A competitor sees none of the factory's work: not its events, records, trace or bundle.
        #expect(try rival.run("entry", "--remote", "hub", "5").status == 4)
        #expect(try rival.run("bundle", "--remote", "hub", Self.shirt, "--out", "b.json").status == 4)
        #expect(try factory.run("entry", "--remote", "hub", "5").status == 0)
        // The factory's bundle is its view, verified before it is written, and verifies offline as one.
        #expect(try factory.run("bundle", "--remote", "hub", Self.shirt, "--out", "b.json").status == 0)
        #expect(try factory.run("verify-bundle", "b.json", "--vkey", vkey, "--partial").status == 0)
        #expect(try factory.run("verify-bundle", "b.json", "--vkey", vkey).status == 1)
        // The marketplace checks a listing; the factory may not; an unsigned reader is refused.
        let listing = try market.run("check-listing", "--remote", "hub", "--code", Self.shirt, "--seller", "market")
        #expect(listing.status == 0 && listing.output.hasPrefix("GENUINE"), "\(listing.output)\(listing.stderr)")
        try market.write("listings.csv", "code,seller\n\(Self.shirt),market\n\(Self.shirt),rival\n")
        let report = try market.run("check-listings", "--remote", "hub", "listings.csv")
        #expect(
            report.status == 0 && report.lines.count == 3 && report.lines[1].contains("GENUINE"), "\(report.output)")
        #expect(report.lines[2].contains("SUSPECT"))
        let notAllowed = try factory.run("check-listing", "--remote", "hub", "--code", Self.shirt, "--seller", "market")
        #expect(notAllowed.status == 2 && notAllowed.stderr.contains("403 read.forbidden"))
        let unsigned = try rival.run(
            "trace", "--server", server.base.absoluteString, "--vkey", vkey, "--state", "s.json", Self.shirt)
        #expect(unsigned.status == 2 && unsigned.stderr.contains("401 read.unsigned"), "\(unsigned.stderr)")
    }

    @Test func aServerServingAForkIsCaughtAndTheEvidenceKept() async throws {
        let (server, vkey, machines, operatorFolder) = try await Self.network()
        defer { server.process.terminate() }
        let brand = machines["brand"]!
        // The client can demand a witness's cosignature: refused while the checkpoint has none, taken once the
        // operator has asked the witness and kept its cosignature.
        #expect(try brand.run("key", "generate", "--out", "w.key", "--name", "witness.example").status == 0)
        let witness = try brand.run("witness", "key", "--key", "w.key").lines.first ?? ""
        let uncosigned = try brand.run("checkpoint", "--remote", "hub", "--witness", witness, "--quorum", "1")
        #expect(uncosigned.status == 1 && uncosigned.stderr.contains("0 of the required 1 witnesses"))
        let request = try CLI.run(["witness", "request", "--ledger", "l.db"], in: operatorFolder)
        let cosigned = try CLI.run(
            ["witness", "add-checkpoint", "--key", "w.key", "--state", "w.state", "--log-vkey", vkey, "-"],
            in: brand.folder, stdin: request.stdout)
        #expect(cosigned.status == 0, "\(cosigned.stderr)")
        let kept = try CLI.run(
            ["witness", "keep", "--ledger", "l.db", "--witness-vkey", witness, "-"], in: operatorFolder,
            stdin: cosigned.stdout)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(try brand.run("checkpoint", "--remote", "hub", "--witness", witness, "--quorum", "1").status == 0)
        // The brand's client trusts the server's checkpoint.
        #expect(try brand.run("checkpoint", "--remote", "hub").status == 0)
        let state = brand.folder.appendingPathComponent("state/threadline/servers/hub.json")
        let trusted = try Data(contentsOf: state)
        // The operator copies its ledger, and the two grow apart under the same key.
        let forkFolder = operatorFolder.appendingPathComponent("fork")
        try FileManager.default.createDirectory(at: forkFolder, withIntermediateDirectories: true)
        try CLI.copyLedger("l.db", to: "fork/l.db", in: operatorFolder)
        try brand.write(
            "one.json",
            Self.event(
                hour: 1,
                #""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"action":"OBSERVE","bizStep":"inspecting","epcList":["urn:epc:id:sgtin:0614141.112345.7"]"#
            ))
        #expect(try brand.run("record", "--remote", "hub", "--as", "brand.key", "one.json").status == 0)
        let forked = try await ServeTests.start(in: forkFolder)
        defer { forked.process.terminate() }
        try brand.write(
            "two.json",
            Self.event(
                hour: 2,
                #""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"action":"OBSERVE","bizStep":"inspecting","epcList":["urn:epc:id:sgtin:0614141.112345.8"]"#
            ))
        let onFork = try brand.run(
            "record", "--server", forked.base.absoluteString, "--vkey", vkey, "--state", "fork-state.json",
            "--as", "brand.key", "two.json")
        #expect(onFork.status == 0, "\(onFork.stderr)")
        // The same client, told the fork is the hub, catches it: exit 1, its state unmoved, both checkpoints kept.
        let moved = try Data(contentsOf: state)
        let caught = try brand.run(
            "checkpoint", "--server", forked.base.absoluteString, "--vkey", vkey, "--state", state.path)
        #expect(caught.status == 1, "\(caught.stderr)")
        #expect(caught.stderr.contains("split view"))
        #expect(try Data(contentsOf: state) == moved && moved != trusted)
        let evidence = try String(contentsOf: URL(fileURLWithPath: state.path + ".evidence"), encoding: .utf8)
        #expect(evidence.contains("\"problem\"") && evidence.contains("\"seen\"") && evidence.contains("\"trusted\""))
        // An unreachable server is exit 5, with one line.
        forked.process.terminate()
        forked.process.waitUntilExit()
        let gone = try brand.run(
            "checkpoint", "--server", forked.base.absoluteString, "--vkey", vkey, "--state", "x.json")
        #expect(gone.status == 5 && gone.stderr.split(separator: "\n").count == 1, "\(gone.stderr)")
    }
}
