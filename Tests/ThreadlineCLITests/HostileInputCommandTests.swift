import Foundation
import Testing

/// Hostile files and flags given to the CLI: each is refused with one clear line and an exit code, never a crash
/// (`Specs/05-cli.md`).
@Suite(.serialized) struct HostileInputCommandTests {
    let folder: URL

    init() throws {
        folder = try CLI.folder()
    }

    func run(_arguments: [String], stdin: Data? = nil) throws -> CLI.Result {
        try CLI.run(_arguments, in: folder, stdin: stdin)
    }

    func run(_ arguments: String..., stdin: Data? = nil) throws -> CLI.Result {
        try CLI.run(arguments, in: folder, stdin: stdin)
    }

    @Test func anEventBeforeYearZeroIsRefusedByEventHash() throws {
        let event =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"0000-01-01T00:00:00+00:01","eventTimeZoneOffset":"+00:01","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.112345.1"]}"#
        let result = try run("event-hash", "-", stdin: Data(event.utf8))
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("threadline: error: "))
        #expect(result.stderr.contains("eventTime"))
    }

    @Test(
        "out-of-range numbers in flags are usage errors",
        arguments: [
            ["--idle-timeout", "1e10"], ["--request-timeout", "1e300"], ["--request-timeout", "nan"],
            ["--rate-limit", "inf"], ["--burst", "-1"], ["--port", "70000"], ["--public-url", "javascript:alert(1)"],
            ["--capture-memory", "63"], ["--capture-memory", "99999999999999999999"],
        ])
    func serveFlags(_ flags: [String]) throws {
        #expect(try run("init", "--ledger", "l.db", "--origin", "example.com/hostile").status == 0)
        let result = try run(_arguments: ["serve", "--ledger", "l.db"] + flags)
        #expect(result.status == 64, "\(flags): \(result.status) \(result.stderr)")
    }

    @Test func eventsRefusesAPageTokenItCouldNotHaveGiven() throws {
        #expect(try run("init", "--ledger", "l.db", "--origin", "example.com/hostile").status == 0)
        for token in ["9223372036854775807", "-1", "99999999999999999999"] {
            let result = try run("events", "--ledger", "l.db", "nextPageToken=\(token)")
            // Query parameters are arguments: a bad one is a usage error (05 §Exit codes), named.
            #expect(result.status == 64, "\(token): \(result.stderr)")
            #expect(result.stderr.contains("nextPageToken"))
        }
    }

    @Test func errorMessagesNeverCarryControlBytesToTheTerminal() throws {
        let result = try run("code", "parse", "https://id.gs1.org/01/\u{1B}[2J\u{1B}]0;pwned\u{07}\nforged line")
        #expect(result.status != 0)
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(#"\u{1b}"#))
    }

    @Test func aReportCellNeverStartsAFormula() throws {
        #expect(try run("init", "--ledger", "l.db", "--origin", "example.com/hostile").status == 0)
        try Data(
            """
            code,seller
            "=HYPERLINK(""http://evil.example"",""x"")",shop
            +cmd,@sum
            -2+3,shop

            """.utf8
        ).write(to: folder.appendingPathComponent("listings.csv"))
        let report = try run("check-listings", "--ledger", "l.db", "listings.csv")
        #expect(
            report.lines == [
                "code,seller,verdict,reasons,records",
                #""'=HYPERLINK(""http://evil.example"",""x"")",shop,UNKNOWN,UNKNOWN_PRODUCT,"#,
                #""'+cmd","'@sum",UNKNOWN,UNKNOWN_PRODUCT,"#,
                #""'-2+3",shop,UNKNOWN,UNKNOWN_PRODUCT,"#,
            ], "\(report.stderr)")
    }

    @Test func aParticipantNameThatWouldForgeLinesIsRefused() throws {
        #expect(try run("init", "--ledger", "l.db", "--origin", "example.com/hostile").status == 0)
        #expect(try run("key", "generate", "--out", "farm.key").status == 0)
        let result = try run(
            "participant", "add", "--ledger", "l.db", "--id", "farm", "--name", "Farm\nauthorisation  evil → shop",
            "--role", "origin", "--key", "farm.key")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("registry.name") || result.stderr.contains("control character"))
        let list = try run("participant", "list", "--ledger", "l.db")
        #expect(!list.output.contains("evil"))
    }
}

extension HostileInputCommandTests {
    /// One identifier, one spelling (07 §2.1): the issue's reproduction on the demo's ledger. A serial written
    /// with an escape is the same serial to trace and to a listing check; a malformed escape is refused.
    @Test func aSerialSpelledWithAnEscapeIsTheSameSerial() throws {
        #expect(try run("demo", "--dir", "d").status == 0)
        let ledger = ["--ledger", "d/ledger.sqlite"]
        let plain = "https://id.gs1.org/01/00614141123452/21/TS-0001"
        let escaped = "https://id.gs1.org/01/00614141123452/21/TS%2D0001"
        let traced = try run(_arguments: ["trace", plain, "--json"] + ledger)
        #expect(traced.status == 0, "\(traced.stderr)")
        let tracedEscaped = try run(_arguments: ["trace", escaped, "--json"] + ledger)
        #expect(tracedEscaped.status == 0, "\(tracedEscaped.stderr)")
        #expect(tracedEscaped.output.count > 100)
        // The same journey: only the code as asked differs.
        #expect(
            tracedEscaped.output.replacingOccurrences(of: "TS%2D0001", with: "TS-0001") == traced.output)
        for seller in ["shop", "unknown-seller"] {
            let checked = try run(_arguments: ["check-listing", "--code", plain, "--seller", seller] + ledger)
            let checkedEscaped = try run(_arguments: ["check-listing", "--code", escaped, "--seller", seller] + ledger)
            #expect(checked.status == checkedEscaped.status, "\(seller): \(checked.output) / \(checkedEscaped.output)")
            #expect(checked.status != 4, "\(seller): \(checked.output)")
        }
        let malformed = try run(_arguments: ["trace", "https://id.gs1.org/01/00614141123452/21/TS%zz"] + ledger)
        #expect(malformed.status == 2, "\(malformed.status) \(malformed.stderr)")
        #expect(malformed.stderr.contains("malformed"))
    }
}
