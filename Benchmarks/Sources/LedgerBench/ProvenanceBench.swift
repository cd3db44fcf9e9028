import ArgumentParser
import Crypto
import Dispatch
import EPCIS
import Foundation
import LedgerStore
import LedgerStoreSQLite
import Statements
import Threadline
import TransparencyLog

/// The events' figures: importing pre-signed EPCIS events under the ledger's rules (validation, event hash,
/// signer and role checks, duplicate lookup, index), and tracing a product with a 50-event history.
extension LedgerBench {
    func runProvenance(events count: Int, bound: Double) async throws {
        let brand = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("bench brand".utf8))))
        let folder =
            dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("threadline-bench-events-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        let path = folder.appendingPathComponent("events.db").path
        let ledger = try await Self.eventLedger(path: path, brand: brand)

        // Set-up, not measured: N events, one of which (serial TRACE-1) has 50 events spread over the log.
        let traced = eventShape.item("TRACE-1")
        let every = max(1, count / 50)
        let started = Date()
        let payloads = (0..<count).map { i -> [UInt8] in
            let traceStep = i % every == 0 && i / every < 50 ? i / every : nil
            let epc = traceStep != nil ? traced : eventShape.item("\(i)")
            let step =
                traceStep == 0 || traceStep == nil
                ? "commissioning" : ["shipping", "receiving", "inspecting", "storing"][traceStep! % 4]
            let action = step == "commissioning" ? "ADD" : "OBSERVE"
            let seconds = 1_790_000_000 + i
            let time = Timestamp.format(millis: Int64(seconds) * 1000)
            switch eventShape {
            case .simple:
                return Array(
                    #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+00:00","epcList":["\#(epc)"],"action":"\#(action)","bizStep":"\#(step)","disposition":"active","readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"},"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-\#(i % 997)"]}"#
                        .utf8)
            case .samples:
                return Array(
                    #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"cbvmda":"urn:epcglobal:cbv:mda:","tl":"https://threadline.example/ns/"}],"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+01:00","action":"\#(action)","sourceList":[{"type":"owning_party","source":"https://id.gs1.org/417/0614141000005"}],"destinationList":[{"type":"owning_party","destination":"https://id.gs1.org/417/4012345000009"}],"epcList":["\#(epc)"],"bizStep":"\#(step)","disposition":"in_progress","readPoint":{"id":"https://id.gs1.org/414/0614141000005"},"bizLocation":{"id":"https://id.gs1.org/414/0614141000005"}}"#
                        .utf8)
            }
        }
        if sealed {
            // The same events plain, imported into a ledger of their own first: the sealed import's reference.
            let plainPath = folder.appendingPathComponent("plain.db").path
            let plainRate = try await importEvents(
                try Recording.submissions(payloads, with: [brand], sealed: false),
                into: try await Self.eventLedger(path: plainPath, brand: brand), what: "plain", bound: bound)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: plainPath + suffix) }
            let sealing = Date()
            let submissions = try Recording.submissions(payloads, with: [brand], sealed: true)
            print(
                String(
                    format: "setup   sealed and signed %d EPCIS events in %.1f s (not measured)", count,
                    Date().timeIntervalSince(sealing)))
            let sealedRate = try await importEvents(submissions, into: ledger, what: "sealed", bound: bound)
            print(String(format: "import  sealed rate / plain rate: %.2f", sealedRate / plainRate))
        } else {
            _ = try await importEvents(
                try Recording.submissions(payloads, with: [brand], sealed: false), into: ledger, what: "pre-signed",
                bound: bound)
        }
        print(
            String(
                format: "setup   made and imported in %.1f s in all", Date().timeIntervalSince(started)))

        // (e) Trace of the product with a 50-event history.
        var journey = try await ledger.trace(traced)
        precondition(journey.steps.count == 50, "the traced product has \(journey.steps.count) steps")
        var times: [Double] = []
        for _ in 0..<200 {
            let seconds = try await timed { journey = try await ledger.trace(traced) }
            times.append(seconds * 1000)
        }
        times.sort()
        print(
            String(
                format: "trace   50-event history in a %d-event ledger: mean %.2f ms, p50 %.2f ms, p99 %.2f ms",
                count, times.reduce(0, +) / Double(times.count), times[times.count / 2],
                times[times.count * 99 / 100]))
        // (f) The full audit of the event ledger: signatures, chain, stored hashes, every event parsed and
        // hashed, the rules re-applied, the index compared.
        _ = try await ledger.checkpoint()
        var audit = AuditReport()
        let auditSeconds = try await timed {
            audit = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
        }
        precondition(audit.isSound, "the audit found \(audit.findings.prefix(3))")
        report("audit   EPCIS event ledger, rules and index", Double(audit.records) / auditSeconds, bound: bound)
        if sealed {
            print("audit   \(audit.sealedRecords) sealed records, \(audit.disclosures) disclosures checked")
        }

        // (g) Listing checks: 2,000 listings of random serials (and the traced one) against one registry snapshot.
        let registry = try await ledger.currentRegistry()
        var generator = SystemRandomNumberGenerator()
        let listings = (0..<2000).map { i in
            i == 0 ? traced : eventShape.item("\(Int.random(in: 0..<count, using: &generator))")
        }
        var verdicts = 0
        let listingSeconds = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func add() {
                    guard next < listings.count else { return }
                    let code = listings[next]
                    next += 1
                    group.addTask {
                        _ = try await ledger.checkListing(code: code, seller: "bench-brand", registry: registry)
                    }
                }
                for _ in 0..<8 { add() }
                while try await group.next() != nil {
                    verdicts += 1
                    add()
                }
            }
        }
        precondition(verdicts == listings.count)
        print(
            String(
                format: "listing check-listing against a %d-event ledger: %10.0f listings/s", count,
                Double(listings.count) / listingSeconds))
        // (h) The consumer page of the traced product, over HTTP, on a need-to-know server and on a public one;
        // then the brand's signed trace of it, through the read policy.
        for language in ["en", "zh-CN"] {
            try await runPage(ledger, path: eventShape.pagePath, requests: 500, language: language)
        }
        try await runPage(ledger, path: eventShape.pagePath, requests: 500, reads: .open)
        try await runSignedTrace(ledger, code: traced, reader: brand, requests: 500)
        print("ledger file: \(path) (\(fileSize(path) / 1_048_576) MiB)")
    }
}

extension LedgerBench {
    /// A new SQLite ledger at `path` with `brand` registered (brand and manufacturer of prefix 0614141).
    static func eventLedger(path: String, brand: SigningKey) async throws -> Ledger {
        let operatorKey = try SigningKey(generatingWithName: "bench.threadline.example/events")
        let store = try SQLiteLedgerStore.create(path: path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)
        let registration = RegistryStatement.registration(
            .init(
                id: "bench-brand", name: "Bench Brand", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                locations: ["0614141000005"], keys: [brand.keyID]), basis: 0)
        _ = try await ledger.append([
            try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
        ])
        // The traced product's data, in English and Chinese, as its page shows it (Specs/24).
        for gtin in ["10614141123459", "00614141123452"] {
            let product = try ProductData(
                gtin: gtin, name: try LocalizedText(["en": "Bench T-shirt", "zh-CN": "基准T恤"], maxCharacters: 200),
                brandName: try LocalizedText(["en": "Bench Brand", "zh-CN": "基准品牌"], maxCharacters: 200),
                composition: [.init(fibre: "cotton", percent: 95), .init(fibre: "elastane", percent: 5)],
                countryOfManufacture: "CN",
                care: try LocalizedText(["en": "Wash at 30 °C", "zh-CN": "30°C 机洗"], maxCharacters: 200),
                basis: try await ledger.size())
            _ = try await ledger.append([
                try Envelope(signing: product.payload, type: ProductData.payloadType, with: brand)
            ])
        }
        return ledger
    }

    /// (d) Import: prepare (signatures, a sealed event opened whole, EPCIS validation, event hash) on all cores,
    /// then the rules and the index — and a sealed event's opening — durably, batch by batch. Returns the rate.
    func importEvents(
        _ submissions: [Submission], into ledger: Ledger, what: String, bound: Double
    ) async throws -> Double {
        let batches = stride(from: 0, to: submissions.count, by: batch).map {
            Array(submissions[$0..<min($0 + batch, submissions.count)])
        }
        var imported = 0
        // The bound again just before and just after the import, which comes after a long set-up: this machine's
        // speed drifts over a minute, and the import's ratio is taken to the mean of the two (the run's first
        // bound is printed beside it).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let before = measureVerifyBound(seconds: boundSeconds, cores: cores)
        let cpu = processCPUSeconds()
        let seconds = try await timed {
            try await ledger.appendPipelined(batches, prepare: { try Ledger.prepare($0) }) { imported += $0.count }
        }
        let busy = (processCPUSeconds() - cpu) / (seconds * Double(cores))
        let after = measureVerifyBound(seconds: boundSeconds, cores: cores)
        precondition(imported == submissions.count)
        let rate = Double(imported) / seconds
        print(String(format: "bound   just before and after the %@ import: %10.0f and %.0f /s", what, before, after))
        report("import  \(what) events, to the run's first bound", rate, bound: bound)
        report("import  \(what) EPCIS events, rules and index", rate, bound: (before + after) / 2)
        print(
            String(
                format: "import  cores busy %.0f %% of the import (process CPU time / wall time × cores)", busy * 100))
        return rate
    }
}

/// The events `--events` records.
enum EventShape: String, ExpressibleByArgument, CaseIterable {
    /// EPC URNs and standard fields only: the byte reader's simplest case.
    case simple
    /// As the T-shirt sample's shipping and receiving events: Digital Links, sources and destinations, and a
    /// context that declares prefixes.
    case samples

    /// The identifier of the item with this serial (GTIN 1 0614141 12345 + check digit, or GTIN 0 0614141 12345 + 2).
    func item(_ serial: String) -> String {
        switch self {
        case .simple: "urn:epc:id:sgtin:0614141.112345.\(serial)"
        case .samples: "https://id.gs1.org/01/00614141123452/21/\(serial)"
        }
    }

    /// The consumer page of the traced item.
    var pagePath: String {
        switch self {
        case .simple: "/01/10614141123459/21/TRACE-1"
        case .samples: "/01/00614141123452/21/TRACE-1"
        }
    }
}
