import Foundation
import LedgerStore
import LedgerStoreSQLite
import Statements
import Synchronization
import Testing
import TransparencyLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// `threadline serve` as a user runs it: a real process on loopback, real HTTP clients, a real SQLite file.
struct ServeTests {
    /// A running server and where it listens.
    struct Running {
        let process: Process
        let base: URL
    }

    /// Starts `threadline serve` on a free port and waits for the line naming it.
    static func start(
        in folder: URL, _ extra: [String] = [], ledger: String = "l.db", log name: String = "serve.log",
        environment: [String: String] = [:]
    ) async throws -> Running {
        let log = folder.appendingPathComponent(name)
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        let process = CLI.process(
            ["serve", "--ledger", ledger, "--port", "0"] + extra, in: folder, environment: environment)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<600 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "on http://127.0.0.1:"),
                let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            {
                return Running(process: process, base: URL(string: "http://127.0.0.1:\(port)")!)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw CLIError("the server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    struct CLIError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 300
        return URLSession(configuration: configuration)
    }()

    static func post(_ body: [UInt8], to url: URL) async throws -> (Int, Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    static func get(_ url: URL) async throws -> String {
        String(decoding: try await session.data(from: url).0, as: UTF8.self)
    }

    /// The sum of a metric's samples in a Prometheus text page.
    static func metric(_ page: String, _ name: String) -> Double {
        page.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Hands out the statements to submit, and keeps what was acknowledged.
    actor Load {
        let envelopes: [[UInt8]]
        private var next = 0
        private(set) var acknowledged: [(seq: Int64, index: Int)] = []
        private var onCount: (count: Int, action: @Sendable () async -> Void)?

        init(_ envelopes: [[UInt8]]) { self.envelopes = envelopes }

        func take() -> Int? {
            guard next < envelopes.count else { return nil }
            next += 1
            return next - 1
        }

        func when(_ count: Int, _ action: @escaping @Sendable () async -> Void) { onCount = (count, action) }

        func acknowledge(seq: Int64, index: Int) async {
            acknowledged.append((seq, index))
            if let on = onCount, acknowledged.count == on.count {
                onCount = nil
                await on.action()
            }
        }
    }

    /// `clients` concurrent clients POST statements one at a time until there are none left or the server goes.
    static func run(_ load: Load, clients: Int, against base: URL) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while let index = await load.take() {
                        guard
                            let (status, data) = try? await post(
                                load.envelopes[index], to: base.appending(path: "statements")),
                            status == 201,
                            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int],
                            let seq = object["seq"]
                        else { return }
                        await load.acknowledge(seq: Int64(seq), index: index)
                    }
                }
            }
        }
    }

    @Test func concurrentClientsShareCommitsAndSIGTERMLosesNothingAcknowledged() async throws {
        let folder = try CLI.folder()
        #expect(try CLI.run(["init", "--ledger", "l.db", "--origin", "example.com/serve"], in: folder).status == 0)
        let key = try SigningKey(name: "load", seed: [UInt8](repeating: 5, count: 32))
        // The server takes statements from registered participants only.
        let registered = try CLI.run(
            [
                "participant", "add", "--ledger", "l.db", "--id", "load", "--name", "Load tester", "--role",
                "manufacturer", "--prefix", "0614141", "--key", key.keyID,
            ], in: folder)
        #expect(registered.status == 0, "\(registered.stderr)")
        let envelopes = try (0..<3000).map {
            try Envelope(signing: Array(#"{"n":\#($0)}"#.utf8), type: "application/json", with: key).canonicalJSON
        }
        let server = try await Self.start(in: folder, ["--rate-limit", "0"])
        let load = Load(envelopes)
        // A bounded load: 64 clients; after 800 acknowledgements, look at the metrics, then SIGTERM mid-load.
        let pid = server.process.processIdentifier
        let metrics = Mutex<String>("")
        await load.when(800) {
            let page = (try? await Self.get(server.base.appending(path: "metrics"))) ?? ""
            metrics.withLock { $0 = page }
            kill(pid, SIGTERM)
        }
        await Self.run(load, clients: 64, against: server.base)
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)

        // Group commit at work: fewer durable transactions than records, and some batches served many requests.
        let page = metrics.withLock { $0 }
        let records = Self.metric(page, "threadline_appended_records_total")
        let commits = Self.metric(page, "threadline_commits_total")
        #expect(records >= 800)
        #expect(Self.metric(page, "threadline_refused_statements_total") == 0)
        #expect(commits > 0 && commits < records, "commits \(commits) for \(records) records")
        #expect(
            Self.metric(page, "threadline_batch_requests_sum") > Self.metric(page, "threadline_batch_requests_count"))

        // Every acknowledged record is there, with exactly the envelope sent.
        let acknowledged = await load.acknowledged
        #expect(acknowledged.count >= 800)
        #expect(acknowledged.count < envelopes.count, "SIGTERM came after the load had ended")
        #expect(try CLI.run(["verify", "--ledger", "l.db"], in: folder).status == 0)
        let store = try SQLiteLedgerStore.open(path: folder.appendingPathComponent("l.db").path)
        let size = try await store.size()
        let stored = try await store.records(0..<size)
        #expect(Set(acknowledged.map(\.seq)).count == acknowledged.count)
        for (seq, index) in acknowledged {
            #expect(seq < size, "acknowledged record \(seq) is missing")
            guard seq < size else { continue }
            #expect(try LedgerRecord(bytes: stored[Int(seq)]).envelope.canonicalJSON == envelopes[index])
        }
    }
}

extension ServeTests {
    /// Under CI the browser must be there (`.ci/run` installs Debian's chromium).
    static var browserRequired: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// Where the phone screenshots are kept (README §Tests): CI keeps them as artefacts.
    static let screenshots = CLI.packageRoot.appendingPathComponent(".build/screenshots")

    @Test(.enabled(if: Browser.executable != nil || ServeTests.browserRequired))
    func aPhoneShowsEachSamplesPassportInBothLanguagesWithoutJavaScript() async throws {
        let folder = try CLI.folder()
        let demo = try CLI.run(["demo", "--dir", "d"], in: folder)
        #expect(demo.status == 0)
        // The demo ends with the command that serves its ledger and the pages to open: both work as printed (on a
        // free port rather than 8080).
        let serve = try #require(demo.lines.first { $0.hasPrefix("  threadline serve ") })
        let arguments = serve.split(separator: " ").dropFirst(2).map(String.init)
        #expect(arguments == ["--ledger", folder.appendingPathComponent("d/ledger.sqlite").path])
        let pages = demo.lines.filter { $0.hasPrefix("  http://127.0.0.1:8080/") }.map {
            String($0.dropFirst("  http://127.0.0.1:8080".count).prefix { $0 != " " })
        }
        try #require(
            pages == [
                "/01/00614141123452/21/TS-0001", "/01/00614141123452/21/TS-0101", "/01/07612345543215/21/SN-0003",
                "/01/00614141123452/21/TS-0002",
            ])
        let server = try await Self.start(in: folder, arguments)
        defer { server.process.terminate() }
        let browser = try Browser()
        let base = server.base.absoluteString
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)

        // Each page: its status (one, its kind), and what it must say, in English and in Chinese.
        let cases: [(name: String, path: String, kind: String, english: [String], chinese: [String])] = [
            (
                "tshirt-sold", pages[0], "genuine",
                [
                    "Organic cotton T-shirt", "by Northwind Apparel", "✓ Genuine — sold on November 24, 2026",
                    "sold by ShopStream (online store)", "Made by Dhaka Garment Works in Dhaka, Bangladesh.",
                    "Organic seed cotton (lot HARVEST-2026-10): Sunrise Organic Cotton Farm, Gujarat, Gujarat, India",
                    "certified by Global Certification Services, who recorded it in the ledger",
                    "Proved in the ledger: all 33 steps are in demo.threadline.example/supply",
                    "cotton 100 %", "Machine wash at 30 °C, inside out.", "Origin · 3 steps",
                ],
                [
                    "有机棉T恤", "品牌：北风服饰", "✓ 正品 — 已于2026年11月24日售出", "由Dhaka Garment Works在孟加拉国达卡制造。",
                    "有机籽棉（批次 HARVEST-2026-10）：Sunrise Organic Cotton Farm, Gujarat，印度古吉拉特邦", "棉 100%", "原产地 · 3个步骤",
                ]
            ),
            (
                "tshirt-recalled", pages[1], "recalled",
                [
                    "⚠ Recalled — do not use", "Northwind Apparel recalled this product on November 26, 2026.",
                    "Why, in the brand's words: dye lot DYE-B-0918 failed the colour-fastness test", "Stop using it",
                ],
                ["⚠ 已召回 — 请勿使用", "Northwind Apparel已于2026年11月26日召回此产品。", "原因（品牌原话）：dye lot DYE-B-0918"]
            ),
            (
                "sneaker-copy", pages[2], "suspect",
                [
                    "⚠ Suspect — this may not be genuine", "This code was seen in two places at once",
                    "QuickDeals Marketplace held it, but Stride Footwear has not authorised them to sell its products.",
                    "White leather sneaker", "leather 70 %, rubber 25 %, polyester 5 %",
                ],
                ["⚠ 可疑 — 这可能不是正品", "此编码同时出现在两个地点", "白色真皮运动鞋", "皮革 70%、橡胶 25%、涤纶 5%"]
            ),
            (
                "sneaker-unknown", "/01/07612345543215/21/SN-0099", "unknown", ["? Unknown — not in the ledger"],
                ["? 未知 — 账本中没有此产品"]
            ),
        ]
        for page in cases {
            for (language, expected) in [("en", page.english), ("zh-CN", page.chinese)] {
                let url = base + page.path + "?lang=" + language
                let shown = try browser.open(url)
                let what = "\(page.name) in \(language)"
                #expect(shown.language == language, "\(what)")
                #expect(shown.statusKind == "status \(page.kind)", "\(what): \(shown.statusKind)")
                for text in expected { #expect(shown.text.contains(text), "\(what): missing \(text)") }
                // Phone first: no sideways scroll, the status whole in the first screen, legible type.
                #expect(shown.viewportWidth == 360)
                #expect(shown.scrollWidth <= shown.viewportWidth, "\(what) scrolls sideways")
                #expect(shown.statusBottom.map { $0 <= Double(shown.viewportHeight) } == true, "\(what): status below")
                #expect(shown.fontSize >= 16)
                // One status, never contradicted: a genuine page has no warning mark, a warning no tick.
                if page.kind == "genuine" {
                    #expect(!shown.text.contains("⚠") && shown.alertText == nil, "\(what)")
                } else {
                    #expect(!shown.text.contains("✓"), "\(what) shows a tick beside its warning")
                }
                if page.kind == "recalled" || page.kind == "suspect" {
                    #expect(shown.alertTop.map { $0 < Double(shown.viewportHeight) / 2 } == true, "\(what)")
                }
                try shown.screenshot.write(to: Self.screenshots.appendingPathComponent("\(page.name)-\(language).png"))
            }
        }

        // The journey is folded by stage, the proofs behind "Check it yourself": there, not in the first view.
        let shirt = try browser.open(base + pages[0])
        #expect(shirt.language == "en")
        #expect(!shirt.text.contains("record 19") && shirt.allText.contains("record 19"))
        #expect(shirt.allText.contains("made — Sunrise Organic Cotton Farm, Gujarat · Gujarat, India"))
        #expect(
            shirt.allText.contains(
                "Organic seed cotton (lot HARVEST-2026-10) made into Organic cotton lint (lot BALE-4471)"))
        #expect(shirt.text.contains("Check it yourself") && !shirt.text.contains("inclusion proof (RFC 9162)"))
        #expect(shirt.allText.contains("inclusion proof (RFC 9162)") && shirt.allText.contains("this product's bundle"))
        // A sealed step's place is not among a consumer's disclosures: an inspection shows no certifier's office.
        #expect(!shirt.allText.contains("Frankfurt"))
        // The screenshot is the phone's screen at twice the pixels.
        let png = [UInt8](shirt.screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        if png.count > 24 { #expect(png[16..<20].reduce(0) { $0 << 8 | Int($1) } == 720) }

        // The first-scan check, through the browser's own form (no JavaScript on the page): the unsold T-shirt's
        // hidden code, as the demo prints it, entered by a first buyer and then by a second.
        let unsold = base + pages[3]
        let code = try #require(
            demo.lines.first { $0.contains(pages[3]) }?.components(separatedBy: "hidden code, ").last?.prefix(11))
        let before = try browser.open(unsold)
        #expect(before.text.contains("Check the hidden code") && before.statusKind == "status genuine")
        let wrong = try browser.submit(unsold, field: "code", value: "AAAAA-AAAAA")
        #expect(wrong.text.contains("This code does not match this product."))
        #expect(wrong.statusKind == "status genuine")
        let first = try browser.submit(unsold, field: "code", value: String(code).lowercased())
        #expect(first.text.contains("Verified: you are the first to enter this code."), "\(first.text)")
        #expect(first.statusKind == "status genuine" && first.text.contains("Its hidden code was first entered on"))
        try first.screenshot.write(to: Self.screenshots.appendingPathComponent("tshirt-first-scan-en.png"))
        let second = try browser.submit(unsold + "?lang=zh-CN", field: "code", value: String(code))
        #expect(second.statusKind == "status suspect", "\(second.text)")
        #expect(second.text.contains("至今共被输入2次"))
        #expect(second.alertTop.map { $0 < Double(second.viewportHeight) / 2 } == true)
        try second.screenshot.write(to: Self.screenshots.appendingPathComponent("tshirt-second-scan-zh-CN.png"))
        // A marketplace's listing check now reports the serial as suspect.
        let listing = try CLI.run(
            [
                "check-listing", "--ledger", "d/ledger.sqlite", "--code", "https://id.gs1.org" + pages[3], "--seller",
                "shopstream",
            ], in: folder)
        #expect(listing.status == 3 && listing.output.contains("VERIFIED_MORE_THAN_ONCE"), "\(listing.output)")
    }

    @Test func thePageSpeaksTheBrowsersLanguageAndListsItsLanguages() async throws {
        let folder = try CLI.folder()
        #expect(try CLI.run(["demo", "--dir", "d"], in: folder).status == 0)
        let server = try await Self.start(in: folder, ["--ledger", "d/ledger.sqlite"])
        defer { server.process.terminate() }
        let page = server.base.appendingPathComponent("01/00614141123452/21/TS-0002")
        for (header, language) in [
            ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh-TW", "zh-CN"), ("en-GB,en;q=0.9", "en"), ("fr, de;q=0.5", "en"),
            ("en;q=0.2, zh;q=0.8", "zh-CN"), ("zh;q=0, en", "en"), ("", "en"),
        ] {
            let (status, body) = try await Self.fetch(page, headers: ["Accept-Language": header])
            #expect(status == 200)
            #expect(body.contains("<html lang=\"\(language)\">"), "\(header)")
        }
        // ?lang= wins over the header; an unknown one is ignored.
        #expect(
            try await Self.fetch(URL(string: page.absoluteString + "?lang=en")!, headers: ["Accept-Language": "zh-CN"])
                .1
                .contains("<html lang=\"en\">"))
        #expect(
            try await Self.fetch(URL(string: page.absoluteString + "?lang=xx")!, headers: ["Accept-Language": "zh-CN"])
                .1
                .contains("<html lang=\"zh-CN\">"))
        // The page links each language; the linkset lists them.
        let (_, html) = try await Self.fetch(page)
        #expect(html.contains(#"hreflang="zh-CN""#) && html.contains("?lang=zh-CN"))
        let (_, linkset) = try await Self.fetch(URL(string: page.absoluteString + "?linkType=linkset")!)
        #expect(linkset.contains(#""hreflang":["en","zh-CN"]"#))
    }

    /// A monitor on another machine watches the server over HTTP; the operator then serves a fork of its log under
    /// the same key: the monitor catches it, keeps both checkpoints, and does not move its state.
    @Test func aMonitorWatchesAServerAndCatchesItServingAFork() async throws {
        let folder = try CLI.folder()
        func run(_ arguments: String...) throws -> CLI.Result { try CLI.run(arguments, in: folder) }
        let vkey = try run("init", "--ledger", "l.db", "--origin", "example.com/watched").output
            .trimmingCharacters(in: .newlines)
        #expect(try run("key", "generate", "--out", "k.key").status == 0)
        func append(_ ledger: String, _ text: String) throws {
            try Data(text.utf8).write(to: folder.appendingPathComponent("p.txt"))
            #expect(try run("append", "--ledger", ledger, "--as", "k.key", "--type", "text/plain", "p.txt").status == 0)
        }
        try append("l.db", "one")
        try CLI.copyLedger("l.db", to: "fork.db", in: folder)
        try append("l.db", "two")
        try append("fork.db", "two, but different")

        var server = try await Self.start(in: folder)
        let url = server.base.absoluteString
        let first = try run("monitor", "--vkey", vkey, "--state", "m.state", url)
        #expect(first.lines == ["ok: example.com/watched trusted at size 2 (first checkpoint seen)"], "\(first.stderr)")
        try append("l.db", "three")
        #expect(
            try run("monitor", "--vkey", vkey, "--state", "m.state", url).lines == [
                "ok: example.com/watched grew from 2 to 3, consistently"
            ])
        server.process.terminate()
        server.process.waitUntilExit()

        let trusted = try Data(contentsOf: folder.appendingPathComponent("m.state"))
        server = try await Self.start(in: folder, ledger: "fork.db")
        defer { server.process.terminate() }
        let forked = try run("monitor", "--vkey", vkey, "--state", "m.state", server.base.absoluteString)
        #expect(forked.status == 1)
        #expect(
            forked.stderr.contains("rollback: the log shows size 2, but size 3 was seen before"), "\(forked.stderr)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("m.state")) == trusted)
        // The evidence: both signed checkpoints, each verifiable on its own.
        let evidence =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("m.state.evidence"))) as? [String: Any]
        let seen = try SignedNote(parsing: try #require(evidence?["seen"] as? String))
        let kept = try SignedNote(parsing: try #require((evidence?["trusted"] as? [String: Any])?["note"] as? String))
        let log = try Ed25519NoteVerifier(verifierKey: vkey)
        #expect(seen.verify([log]) == .verified([log.name]) && kept.verify([log]) == .verified([log.name]))
        #expect(try Checkpoint(text: seen.text).size == 2 && Checkpoint(text: kept.text).size == 3)

        // A server that cannot be reached: exit 5, one line.
        let gone = try run("monitor", "--vkey", vkey, "--state", "m.state", "http://127.0.0.1:9")
        #expect(gone.status == 5)
        #expect(gone.stderr.contains("cannot be reached"))
    }
}
