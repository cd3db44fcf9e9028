import Foundation
import Testing

extension ClientTests {
    /// A participant records sealed events through the server (Specs/23) and reads them back as a client: each
    /// event listed by `GET /events` is opened with its opening against its proved record, and the journey is
    /// rebuilt from the bundle's disclosures — the same lines as the operator's local ones.
    @Test func sealedEventsGoThroughTheServerAndComeBackProved() async throws {
        let (server, vkey, machines, operatorFolder) = try await Self.network()
        defer { server.process.terminate() }
        let factory = machines["factory"]!
        try factory.write("batch.json", Self.fabricBatch)
        let imported = try factory.run("import", "--remote", "hub", "--as", "factory.key", "--seal", "batch.json")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.lines == ["recorded 2 of 2 events as records 5–6; refused 0"])
        // The log holds them sealed: anyone may fetch the record, which names no lot.
        let (status, record) = try await ServeTests.fetch(server.base.appending(path: "records/5"))
        #expect(status == 200 && record.contains("sealed-event") && !record.contains("LOT1"))
        // Read back through the server, each proved: the operator's lines.
        let events = try factory.run("events", "--remote", "hub")
        #expect(events.status == 0, "\(events.stderr)")
        let local = try CLI.run(["events", "--ledger", "l.db"], in: operatorFolder)
        #expect(events.lines == local.lines && events.lines.count == 2)
        let trace = try factory.run("trace", "--remote", "hub", Self.fabric)
        #expect(trace.status == 0, "\(trace.stderr)")
        #expect(trace.output == (try CLI.run(["trace", "--ledger", "l.db", Self.fabric], in: operatorFolder)).output)
        #expect(try factory.run("bundle", "--remote", "hub", Self.fabric, "--out", "b.json").status == 0)
        let verified = try factory.run("verify-bundle", "b.json", "--vkey", vkey)
        #expect(verified.status == 0 && verified.output.contains("2 sealed records"), "\(verified.output)")
    }
}
