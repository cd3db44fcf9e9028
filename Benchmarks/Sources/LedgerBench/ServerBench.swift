import ArgumentParser
import AsyncHTTPClient
import Crypto
import Dispatch
import EPCIS
import Foundation
import HTTPSignatures
import Hummingbird
import LedgerStore
import LedgerStoreSQLite
import Logging
import NIOCore
import ServiceLifecycle
import Statements
import Synchronization
import Threadline
import ThreadlineServer
import TransparencyLog

/// The server's figures: durable appends over HTTP from 64 concurrent clients, and the consumer page's latency.
extension LedgerBench {
    /// Serves `ledger` in this process on a free loopback port (no rate limit) while `body` runs.
    func serving<T: Sendable>(
        _ ledger: Ledger, reads: Server.Reads = Server.Reads(), _ body: (String) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Server.buildApplication(
            ledger: ledger, port: 0, limits: .init(requestsPerSecond: 0), reads: reads
        ) {
            continuation.yield($0)
        }
        let services = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "ledger-bench.server")))
        let server = Task { try await services.run() }
        // Stopped gracefully (as on SIGTERM), so the server finishes its requests and logs no error.
        func stop() async throws {
            await services.triggerGracefulShutdown()
            try await server.value
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await stop()
            throw CancellationError()
        }
        let result: T
        do { result = try await body("http://127.0.0.1:\(port)") } catch {
            try? await stop()
            throw error
        }
        try await stop()
        return result
    }

    /// Percentiles of latencies in milliseconds.
    func latencies(_ label: String, _ values: [Double]) {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        print(
            String(
                format: "%@: mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests)",
                label.padding(toLength: 52, withPad: " ", startingAt: 0), sorted.reduce(0, +) / Double(sorted.count),
                at(0.5), at(0.99), sorted.last ?? 0, sorted.count))
    }

    /// `count` pre-signed EPCIS events POSTed to `/statements` one per request by `clients` concurrent clients,
    /// each answered once durable.
    func runHTTP(statements count: Int, clients: Int, events: Bool, using generator: String, bound: Double) async throws
    {
        let brand = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("bench brand".utf8))))
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("threadline-bench-http-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let operatorKey = try SigningKey(generatingWithName: "bench.threadline.example/http")
        let store = try SQLiteLedgerStore.create(
            path: folder.appendingPathComponent("http.db").path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)
        let registration = RegistryStatement.registration(
            .init(
                id: "bench-brand", name: "Bench Brand", roles: [.brand, .manufacturer], companyPrefixes: ["0614141"],
                keys: [brand.keyID]), basis: 0)
        _ = try await ledger.append([
            try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
        ])
        let bodies: [ByteBuffer]
        if events {
            let started = Date()
            let payloads = (0..<count).map { i -> [UInt8] in
                let time = Timestamp.format(millis: Int64(1_790_000_000 + i) * 1000)
                return Array(
                    #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.112345.\#(i)"],"action":"ADD","bizStep":"commissioning","disposition":"active","bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"}}"#
                        .utf8)
            }
            bodies = try Recording.sign(payloads, with: [brand]).map { ByteBuffer(bytes: $0.canonicalJSON) }
            print(
                String(
                    format: "setup   signed %d EPCIS events in %.1f s (not measured)", count,
                    Date().timeIntervalSince(started)))
        } else {
            // The statements of the append benchmark: 200-byte payloads from 50 participants.
            let signers = try (0..<50).map {
                try SigningKey(name: "bench-participant-\($0)", seed: Array(SHA256.hash(data: [UInt8($0)])))
            }
            // The server takes statements from registered participants only.
            _ = try await ledger.append(
                try signers.enumerated().map { i, signer in
                    let registration = RegistryStatement.registration(
                        .init(
                            id: "bench-participant-\(i)", name: "Participant \(i)", roles: [.manufacturer],
                            companyPrefixes: [], keys: [signer.keyID]), basis: 1)
                    return try Envelope(
                        signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
                })
            bodies = try signAll(count: count, signers: signers).map { ByteBuffer(bytes: $0.canonicalJSON) }
        }
        if generator == "direct" {
            let raw = bodies.map { Array(buffer: $0) }  // the engine alone, for comparison
            let next = Ticket()
            let seconds = try await timed {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<clients {
                        group.addTask {
                            while true {
                                let index = next.take()
                                guard index < raw.count else { return }
                                var prepared = try Ledger.prepare(submissions: [raw[index]])
                                prepared.participantsOnly = true  // as the server's capture routes
                                _ = try await ledger.append(prepared: prepared)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            report("direct  durable appends, \(clients) callers in process", Double(count) / seconds, bound: bound)
            return
        }
        if generator == "wrk" {
            return try await runWrk(ledger, bodies: bodies, events: events, clients: clients, bound: bound)
        }
        let sizeBefore = try await ledger.size()
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)))
        let commitsBefore = metric("threadline_commits_total")
        let measured = await Result(catching: {
            try await serving(ledger) { base in
                let next = Ticket()
                let url = base + "/statements"
                var times: [Double] = []
                let seconds = try await timed {
                    times = try await withThrowingTaskGroup(of: [Double].self) { group in
                        for _ in 0..<clients {
                            group.addTask {
                                var mine: [Double] = []
                                while true {
                                    let index = next.take()
                                    guard index < bodies.count else { return mine }
                                    var request = HTTPClientRequest(url: url)
                                    request.method = .POST
                                    request.body = .bytes(bodies[index])
                                    let start = DispatchTime.now().uptimeNanoseconds
                                    let response = try await client.execute(request, timeout: .seconds(60))
                                    _ = try await response.body.collect(upTo: 1 << 16)
                                    guard response.status == .created else {
                                        throw CancellationError()
                                    }
                                    mine.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                                }
                            }
                        }
                        return try await group.reduce(into: []) { $0 += $1 }
                    }
                }
                return (seconds, times)
            }
        })
        try await client.shutdown()
        let (seconds, times) = try measured.get()
        let size = try await ledger.size()
        precondition(times.count == count && size == Int64(count) + sizeBefore)
        let commits = metric("threadline_commits_total") - commitsBefore
        let what = events ? "EPCIS events" : "statements"
        report("http    appends of \(what), \(clients) Swift clients", Double(count) / seconds, bound: bound)
        latencies("http    latency of one POST /statements", times)
        print(
            String(
                format: "http    %.0f transactions: %.1f requests share one commit", commits, Double(count) / commits))
    }

    /// The same load from wrk (a C load generator, in its own process, so the clients take little of the two
    /// cores): `clients` connections for `--http-seconds`, each request one envelope, none sent twice.
    func runWrk(_ ledger: Ledger, bodies: [ByteBuffer], events: Bool, clients: Int, bound: Double) async throws {
        struct Summary: Decodable {
            let requests, created, other, exhausted, socketErrors, durationMicros: Int
            let p50Micros, p90Micros, p99Micros, maxMicros: Int
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("threadline-wrk-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("envelopes.jsonl")
        try Data(bodies.map { String(buffer: $0) }.joined(separator: "\n").utf8).write(to: file)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("wrk/post-statements.lua").path
        let sizeBefore = try await ledger.size()
        let commitsBefore = metric("threadline_commits_total")
        let output = try await serving(ledger) { base in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "wrk", "-t2", "-c\(clients)", "-d\(httpSeconds)s", "--timeout", "30s", "-s", script, base, "--",
                file.path, "2",
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile())
                }
            }
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let summary = try? JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        else { throw ValidationError("wrk printed no summary (is Debian's wrk installed?):\n\(output)") }
        let appended = try await ledger.size() - sizeBefore
        precondition(summary.exhausted == 0, "wrk ran out of envelopes: give a larger --http")
        precondition(summary.other == 0 && summary.socketErrors == 0, "failed requests: \(summary)")
        precondition(appended >= Int64(summary.created), "acknowledged \(summary.created), appended \(appended)")
        let seconds = Double(summary.durationMicros) / 1e6
        let what = events ? "EPCIS events" : "statements"
        report(
            "http    appends of \(what), \(clients) wrk connections", Double(summary.created) / seconds, bound: bound)
        print(
            String(
                format: "%@: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests)",
                "http    latency of one POST /statements".padding(toLength: 52, withPad: " ", startingAt: 0),
                Double(summary.p50Micros) / 1000, Double(summary.p90Micros) / 1000, Double(summary.p99Micros) / 1000,
                Double(summary.maxMicros) / 1000, summary.created))
        let commits = metric("threadline_commits_total") - commitsBefore
        print(
            String(
                format: "http    %.0f transactions: %.1f requests share one commit", commits,
                Double(summary.created) / commits))
    }

    /// The consumer page of the product with a 50-event history, `requests` times, one after another, in
    /// `language` (asked for as a phone does, with `Accept-Language`).
    func runPage(
        _ ledger: Ledger, path: String, requests: Int, reads: Server.Reads = Server.Reads(), language: String = "en"
    ) async throws {
        let client = HTTPClient.shared
        // Every step proved, said in the page's language.
        let proved = language == "en" ? "all 50 steps are in" : "全部50个步骤均在"
        let times = try await serving(ledger, reads: reads) { base in
            var times: [Double] = []
            for i in 0..<(requests + 20) {
                let start = DispatchTime.now().uptimeNanoseconds
                var request = HTTPClientRequest(url: base + path)
                request.headers.add(name: "Accept-Language", value: language)
                let response = try await client.execute(request, timeout: .seconds(60))
                let body = try await response.body.collect(upTo: 1 << 24)
                precondition(response.status == .ok && String(buffer: body).contains(proved))
                if i >= 20 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            return times
        }
        latencies(
            "page    consumer page, 50-step journey, \(language)" + (reads.publicReads ? " (public reads)" : ""), times)
    }

    /// `GET /trace` of the traced product, each request signed afresh by `reader` (RFC 9421) and checked by the
    /// server — the signature, the nonce, the registry, the read policy — before the journey is cut to the
    /// reader's view.
    func runSignedTrace(_ ledger: Ledger, code: String, reader: SigningKey, requests: Int) async throws {
        let client = HTTPClient.shared
        let path = "/trace?code=" + (code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code)
        let times = try await serving(ledger) { base in
            var times: [Double] = []
            for i in 0..<(requests + 20) {
                let start = DispatchTime.now().uptimeNanoseconds
                var request = HTTPClientRequest(url: base + path)
                for (name, value) in try RequestSignature.sign(
                    .init(method: "GET", targetURI: base + path), key: reader.noteSigner.privateKey,
                    keyid: reader.keyID, created: Int64(Date().timeIntervalSince1970), nonce: "bench-\(i)")
                {
                    request.headers.add(name: name, value: value)
                }
                let response = try await client.execute(request, timeout: .seconds(60))
                let body = try await response.body.collect(upTo: 1 << 24)
                precondition(response.status == .ok && String(buffer: body).contains("\"steps\""), "\(response.status)")
                if i >= 20 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            }
            return times
        }
        latencies("trace   signed GET /trace, 50 steps, policy-checked", times)
    }

    /// The sum of a metric's samples in the server's Prometheus registry.
    func metric(_ name: String) -> Double {
        Server.metrics.emitToString().split(separator: "\n").filter { $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Hands out 0, 1, 2 … to concurrent clients.
final class Ticket: Sendable {
    private let next = Mutex(0)

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
