import ArgumentParser
import Crypto
import Dispatch
import Foundation
import LedgerBackends
import LedgerStore
import LedgerStoreSQLite
import Statements
import Threadline
import TransparencyLog

/// Measures, in one run, the ledger's work and the machine's bound (Ed25519 verifications per second
/// with swift-crypto on all cores), and prints each figure with its ratio to the bound.
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench", abstract: "Threadline's ledger benchmarks, as ratios to the Ed25519 bound.")

    @Option(help: "Records in the ledger (appended durably, then audited).")
    var records = 1_000_000

    @Option(help: "Records per append batch (one transaction each).")
    var batch = 10_000

    @Option(help: "Inclusion proofs to time.")
    var proofs = 10_000

    @Option(help: "Seconds to spend measuring the Ed25519 bound.")
    var boundSeconds = 5.0

    @Option(help: "Folder for the ledger file, kept afterwards (default: a new temporary folder, removed).")
    var dir: String?

    @Option(help: "Instead: audit this existing SQLite ledger (e.g. one kept with --events N --dir D).")
    var audit: String?

    @Option(help: "With --audit: audits to run, each followed by the bound again; the median ratio is reported.")
    var `repeat` = 1

    @Option(help: "A PostgreSQL URL whose user may create databases: also compare stores across processes.")
    var postgres: String?

    @Option(help: "Records for the store comparison (split over the processes).")
    var storeRecords = 200_000

    @Option(help: "Process counts for the store comparison.")
    var processes: [Int] = [1, 8]

    @Option(help: "Instead: import this many pre-signed EPCIS events and trace a product with 50 of them.")
    var events: Int?

    @Option(
        help: """
            With --events: the events' shape. simple: EPC URNs and standard fields only; samples: as the T-shirt \
            sample's shipping and receiving events (Digital Links, sources and destinations, a context declaring \
            prefixes).
            """)
    var eventShape: EventShape = .simple

    @Flag(
        help: """
            With --events: seal the events (Specs/23) before signing them (not measured); the same events are \
            first imported plain into another ledger, for the ratio of the sealed import to the plain one, and \
            everything after the import runs on the sealed ledger.
            """)
    var sealed = false

    @Option(
        help:
            "Instead: import a document of this many EPCIS events through 'threadline serve' from a client process, against the same import run locally."
    )
    var remoteImport: Int?

    @Option(help: "Instead: read this many EPCIS events as XML and as JSON-LD, one core, and compare.")
    var xml: Int?

    @Option(help: "Instead: import a spreadsheet of this many rows with the release CLI, against JSON-LD.")
    var spreadsheet: Int?

    @Option(help: "Instead: seal and sign this many EPCIS events, against signing them plain.")
    var seal: Int?

    @Option(
        help: """
            Instead: with this many subscriptions, the append rate against none (--events events, default 20000), \
            alert latency from commit to the webhook's 200 at 1000 and this many, and deliveries a second.
            """)
    var subscriptions: Int?

    @Option(help: "Instead: POST this many pre-signed EPCIS events to an in-process server over HTTP.")
    var http: Int?

    @Option(help: "Concurrent HTTP clients for --http.")
    var clients = 64

    @Option(
        help:
            "With --http: the load generator, wrk (Debian's, in its own process) or swift (AsyncHTTPClient, in this one)."
    )
    var httpClient = "wrk"

    @Option(help: "With --http and wrk: seconds of load (--http must give enough envelopes for them).")
    var httpSeconds = 10

    @Flag(help: "With --http: EPCIS events from a registered brand (parsed, validated, hashed) instead of statements.")
    var httpEvents = false

    @Option(help: .hidden)
    var worker: String?

    @Option(help: .hidden)
    var workerLedger: String?

    func run() async throws {
        if let worker, let workerLedger { return try await runWorker(input: worker, ledger: workerLedger) }
        if let xml { return try runXML(events: xml) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let modes: [String?] = [
            audit.map { "audit of \($0)" }, events.map { "\($0) \(sealed ? "sealed " : "")EPCIS events" },
            remoteImport.map { "import of \($0) EPCIS events, remote and local" },
            spreadsheet.map { "import of a spreadsheet of \($0) rows" },
            seal.map { "sealing \($0) EPCIS events" },
            http.map { "\($0) statements over HTTP" },
            subscriptions.map { "\($0) subscriptions" },
        ]
        let work = modes.compactMap { $0 }.first ?? "\(records) records"
        print("machine: \(cores) cores; \(work); batch: \(batch)")

        let bound = measureVerifyBound(seconds: boundSeconds, cores: cores)
        print(String(format: "bound   Ed25519 verify, swift-crypto, %d cores: %10.0f /s", cores, bound))
        if let audit { return try await runAudit(of: audit, bound: bound, cores: cores) }
        if let subscriptions { return try await runSubscriptions(count: subscriptions, bound: bound) }
        if let events { return try await runProvenance(events: events, bound: bound) }
        if let remoteImport { return try await runRemoteImport(events: remoteImport, bound: bound) }
        if let spreadsheet { return try await runSpreadsheet(rows: spreadsheet, bound: bound) }
        if let seal { return try await runSeal(events: seal, bound: bound) }
        if let http {
            return try await runHTTP(
                statements: http, clients: clients, events: httpEvents, using: httpClient, bound: bound)
        }

        // Pre-signed statements: 200-byte EPCIS-like payloads from 50 participants.
        let signers = try (0..<50).map {
            try SigningKey(name: "bench-participant-\($0)", seed: Array(SHA256.hash(data: [UInt8($0)])))
        }
        let envelopes = try signAll(count: records, signers: signers)

        let folder =
            dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("threadline-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("bench.db").path
        let operatorKey = try SigningKey(generatingWithName: "bench.threadline.example/log")
        let store = try SQLiteLedgerStore.create(path: path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)

        // (a) Durable appends: verify every signature, build records, write with synchronous=FULL.
        let batches = stride(from: 0, to: envelopes.count, by: batch).map {
            envelopes[$0..<min($0 + batch, envelopes.count)]
        }
        var appended = 0
        let appendSeconds = try await timed {
            try await ledger.appendPipelined(batches, prepare: { try Ledger.prepare(Array($0)) }) {
                appended += $0.count
            }
        }
        precondition(appended == records)
        report("append  durable appends of pre-signed statements", Double(records) / appendSeconds, bound: bound)
        _ = try await ledger.checkpoint()

        // (b) The full audit.
        var audit = AuditReport()
        let auditSeconds = try await timed {
            audit = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
        }
        precondition(audit.isSound && audit.records == records, "the audit found \(audit.findings)")
        report("verify  records audited (signature, chain, hashes)", Double(records) / auditSeconds, bound: bound)

        // (c) Inclusion proofs against the latest checkpoint.
        var generator = SystemRandomNumberGenerator()
        let indices = (0..<proofs).map { _ in Int64.random(in: 0..<Int64(records), using: &generator) }
        let proofSeconds = try await timed {
            for index in indices { _ = try await ledger.inclusionProof(index) }
        }
        print(
            String(
                format: "proof   inclusion proof at N=%d: %8.3f ms each (%d proofs)", records,
                proofSeconds * 1000 / Double(proofs), proofs))
        print("ledger file: \(path) (\(fileSize(path) / 1_048_576) MiB)")
        try? FileManager.default.removeItem(at: folder)

        try await compareStores(bound: bound, signers: signers, folder: folder)
    }

    // MARK: Stores across processes

    /// Durable appends from 1 and from 8 concurrent processes, on SQLite and (with --postgres) PostgreSQL.
    /// Each process streams pre-signed envelopes from a JSON Lines file, as `threadline submit --jsonl` does.
    func compareStores(bound: Double, signers: [SigningKey], folder: URL) async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let envelopes = try signAll(count: storeRecords, signers: signers)
        let lines = envelopes.map { String(decoding: $0.canonicalJSON, as: UTF8.self) }
        for count in processes {
            var files: [String] = []
            for p in 0..<count {
                let file = folder.appendingPathComponent("worker-\(count)-\(p).jsonl")
                let part = stride(from: p, to: lines.count, by: count).map { lines[$0] }
                try Data((part.joined(separator: "\n") + "\n").utf8).write(to: file)
                files.append(file.path)
            }
            var locations = [("SQLite", folder.appendingPathComponent("compare-\(count).db").path)]
            if let postgres { locations.append(("PostgreSQL", try createDatabase(server: postgres))) }
            for (name, location) in locations {
                let operatorKey = try SigningKey(generatingWithName: "bench.threadline.example/compare")
                _ = try await LedgerLocation(location).create(metadata: Ledger.metadata(operatorKey: operatorKey))
                let seconds = try await timed { try runWorkers(files: files, ledger: location) }
                let store = try await LedgerLocation(location).open()
                let size = try await store.size()
                precondition(size == storeRecords, "\(name): \(size) of \(storeRecords) records")
                report(
                    "store   \(name), \(count) process\(count == 1 ? "" : "es"), durable appends",
                    Double(storeRecords) / seconds, bound: bound)
            }
        }
    }

    /// Spawns one worker per file (this executable with --worker) and waits for all of them.
    func runWorkers(files: [String], ledger: String) throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0])
        let workers = try files.map { file in
            let process = Process()
            process.executableURL = me
            process.arguments = ["--worker", file, "--worker-ledger", ledger, "--batch", String(min(batch, 1000))]
            try process.run()
            return process
        }
        for worker in workers {
            worker.waitUntilExit()
            precondition(worker.terminationStatus == 0, "a worker failed")
        }
    }

    /// A worker: appends every envelope in `input` to `ledger`, in batches, pipelined.
    func runWorker(input: String, ledger: String) async throws {
        let text = try String(contentsOfFile: input, encoding: .utf8)
        let lines = text.split(separator: "\n").map { Array($0.utf8) }
        let store = try await LedgerLocation(ledger).open()
        let engine = try await Ledger(store: store)
        let batches = stride(from: 0, to: lines.count, by: batch).map {
            Array(lines[$0..<min($0 + batch, lines.count)])
        }
        try await engine.appendPipelined(batches, prepare: { try Ledger.prepare(submissions: $0) }) { _ in }
    }

    /// Creates an empty database on the server and returns its URL.
    func createDatabase(server: String) throws -> String {
        let name = "threadline_bench_\(UInt32.random(in: 0...UInt32.max))"
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [server, "-qc", "CREATE DATABASE \(name)"]
        try psql.run()
        psql.waitUntilExit()
        precondition(psql.terminationStatus == 0, "cannot create a database on \(server)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        return components.string!
    }

    func report(_ label: String, _ perSecond: Double, bound: Double) {
        print(
            String(
                format: "%@: %10.0f /s  ratio to bound %.2f", label.padding(toLength: 52, withPad: " ", startingAt: 0),
                perSecond, perSecond / bound))
    }

    /// Audits the ledger at `path` `repeat` times, measuring the bound again after each audit. This machine's
    /// speed drifts over a run, so each audit's ratio is to the mean of the bounds just before and after it;
    /// with several audits, the median ratio is the figure.
    func runAudit(of path: String, bound first: Double, cores: Int) async throws {
        var before = first
        var ratios: [Double] = []
        for round in 1...max(1, `repeat`) {
            let warmed = try warm(path)
            if round == 1 {
                print(String(format: "setup   read the ledger file once (%.0f MiB; not measured)", warmed))
            }
            var report = AuditReport()
            let cpu = processCPUSeconds()
            let seconds = try await timed {
                report = await Auditor(store: try SQLiteLedgerStore.open(path: path)).run()
            }
            let busy = (processCPUSeconds() - cpu) / (seconds * Double(cores))
            precondition(report.isSound, "the audit found \(report.findings.prefix(3))")
            let rate = Double(report.records) / seconds
            self.report("audit   \(report.records) records of \(path)", rate, bound: before)
            print(
                String(
                    format: "audit   cores busy %.0f %% of the audit (process CPU time / wall time × cores)", busy * 100
                ))
            let after = measureVerifyBound(seconds: boundSeconds, cores: cores)
            print(String(format: "bound   again, after audit %d:                 %10.0f /s", round, after))
            self.report("audit   (ratio to the bound after)", rate, bound: after)
            self.report("audit   (ratio to the mean of the two bounds)", rate, bound: (before + after) / 2)
            ratios.append(rate / ((before + after) / 2))
            before = after
        }
        if ratios.count > 1 {
            let sorted = ratios.sorted()
            print(
                String(
                    format: "audit   median of %d ratios to the mean bounds: %.2f (from %.2f to %.2f)", sorted.count,
                    sorted[sorted.count / 2], sorted.first!, sorted.last!))
        }
    }

    /// Reads the file at `path` through once, so that an audit finds the ledger in memory, as a ledger in use is.
    /// (On this virtual machine, pages of a file not read for a while are given back, and touching them again
    /// stalls the reader: a CPU cost that depends on what the machine did before, not on the audit.) Returns MiB.
    func warm(_ path: String) throws -> Double {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var total = 0
        while let chunk = try file.read(upToCount: 8 << 20), !chunk.isEmpty { total += chunk.count }
        return Double(total) / 1_048_576
    }

    /// The CPU time (user and system) this process has used, in seconds.
    func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    func timed(_ body: () async throws -> Void) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Ed25519 verifications per second on all cores, as the ledger does them (swift-crypto, 200-byte messages).
    func measureVerifyBound(seconds: Double, cores: Int) -> Double {
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = key.publicKey
        let messages = (0..<256).map { i in [UInt8](repeating: UInt8(i), count: 200) }
        let signatures = messages.map { try! key.signature(for: $0) }
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: cores)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let shared = counts
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: cores) { core in
            var n = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                for i in 0..<64
                where publicKey.isValidSignature(signatures[(n + i) & 255], for: messages[(n + i) & 255]) {
                    n += 1
                }
            }
            shared[core] = n
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(counts.reduce(0, +)) / elapsed
    }

    func signAll(count: Int, signers: [SigningKey]) throws -> [Envelope] {
        let padding = String(repeating: "x", count: 120)
        let started = Date()
        let result = try (0..<count).map { i in
            let payload =
                #"{"type":"ObjectEvent","eventTime":"2026-05-20T09:30:00Z","epcList":["urn:epc:id:sgtin:0614141.033333.\#(i)"],"note":"\#(padding)"}"#
            return try Envelope(
                signing: Array(payload.utf8), type: "application/ld+json", with: signers[i % signers.count])
        }
        print(
            String(
                format: "setup   signed %d statements in %.1f s (not measured)", count,
                Date().timeIntervalSince(started)))
        return result
    }

    func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
