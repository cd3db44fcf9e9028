import Foundation
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `threadline serve` on loopback under a mix of attacks and honest work (`Specs/17-server.md`, limits):
/// every honest append succeeds and is durable, every hostile request is refused, and the server's peak memory
/// stays under the bound the limits promise.
struct HostileLoadTests {
    /// The server's peak resident memory (VmHWM) and its current (VmRSS), in bytes.
    static func memory(of pid: Int32) -> (peak: Int, now: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    static func get(_ url: URL) async throws -> Int {
        let (_, response) = try await ServeTests.session.data(from: url)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// What the attackers send, and the statuses each may be answered with.
    static func attacks(replaying honest: [UInt8], stranger: SigningKey) throws -> [(String, String, [UInt8], Set<Int>)]
    {
        let emptyObjects = Array(String(repeating: "{}", count: 8 << 20).utf8)
        let unregistered = try Envelope(signing: Array("who am I".utf8), type: "text/plain", with: stranger)
        let manyUnregistered = Array(
            (0..<5_000).map { _ in unregistered.canonicalJSON }.joined(separator: Array("\n".utf8)))
        return [
            // 16 MiB of `{}`: over the statement limit long before the end (this took the server to 2.6 GB).
            ("POST", "/statements", emptyObjects, [413]),
            ("POST", "/capture", Array(emptyObjects.prefix(1 << 20)), [413]),
            // 5,000 statements from a key nobody registered: refused after one decode, before any verification.
            ("POST", "/statements", manyUnregistered, [422]),
            // A replay of an honest statement.
            ("POST", "/statements", honest, [422]),
            ("POST", "/statements", Array(#"["a"]"#.utf8), [400]),
            ("POST", "/statements", Array(#""""#.utf8), [400]),
            ("POST", "/events", Array("{".utf8), [400]),
            ("GET", "/tile/0/x009/x223/x372/x036/x854/x775/807", [], [400, 404]),
            ("GET", "/tile/0/x009/x223/x372/x036/x854/x775/999", [], [400, 404]),
            ("GET", "/events?nextPageToken=9223372036854775807", [], [400]),
            ("GET", "/capture/1", [], [404]),
            ("GET", "/trace?code=https://id.gs1.org/01/09506000134352/21/%zz", [], [400]),
        ]
    }

    /// A new ledger in a folder of its own, with one participant (a manufacturer of prefix 0614141) and its key.
    static func ledger(participant id: String, seed: UInt8) throws -> (URL, SigningKey) {
        let folder = try CLI.folder()
        #expect(try CLI.run(["init", "--ledger", "l.db", "--origin", "example.com/\(id)"], in: folder).status == 0)
        let key = try SigningKey(name: id, seed: [UInt8](repeating: seed, count: 32))
        let registered = try CLI.run(
            [
                "participant", "add", "--ledger", "l.db", "--id", id, "--name", "Participant \(id)", "--role",
                "manufacturer", "--prefix", "0614141", "--key", key.keyID,
            ], in: folder)
        #expect(registered.status == 0, "\(registered.stderr)")
        return (folder, key)
    }

    @Test func honestAppendsAllSucceedAmongAttacksAndMemoryStaysBounded() async throws {
        let (folder, key) = try Self.ledger(participant: "honest", seed: 7)
        let envelopes = try (0..<1500).map {
            try Envelope(signing: Array(#"{"batch":\#($0)}"#.utf8), type: "application/json", with: key).canonicalJSON
        }
        let server = try await ServeTests.start(in: folder, ["--rate-limit", "0", "--capture-memory", "64"])
        defer { server.process.terminate() }
        let pid = server.process.processIdentifier
        let started = Self.memory(of: pid)

        // The first honest statement is in before the attacks start, so that its replay is one.
        let (firstStatus, _) = try await ServeTests.post(envelopes[0], to: server.base.appending(path: "statements"))
        #expect(firstStatus == 201)
        let load = ServeTests.Load(Array(envelopes.dropFirst()))
        let attacks = try Self.attacks(
            replaying: envelopes[0], stranger: try SigningKey(name: "stranger", seed: [UInt8](repeating: 9, count: 32)))
        async let honest: Void = ServeTests.run(load, clients: 8, against: server.base)
        // Two attackers, each sending every attack once, beside the honest clients.
        let base = server.base.absoluteString
        let unexpected = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var unexpected: [String] = []
                    for _ in 0..<1 {
                        for (method, path, body, allowed) in attacks {
                            let url = URL(string: base + path)!
                            let status: Int
                            if method == "GET" {
                                status = (try? await Self.get(url)) ?? 0
                            } else {
                                status = (try? await ServeTests.post(body, to: url).0) ?? 0
                            }
                            if !allowed.contains(status) { unexpected.append("\(method) \(path): \(status)") }
                        }
                    }
                    return unexpected
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        await honest
        let after = Self.memory(of: pid)
        #expect(unexpected.isEmpty, "\(unexpected)")

        // Every honest statement was acknowledged, and is in the log exactly as sent.
        let acknowledged = await load.acknowledged
        #expect(acknowledged.count == envelopes.count - 1)
        server.process.terminate()
        server.process.waitUntilExit()
        let store = try SQLiteLedgerStore.open(path: folder.appendingPathComponent("l.db").path)
        let size = try await store.size()
        #expect(size == Int64(envelopes.count) + 1, "the registration and each honest statement, nothing else")
        let stored = try await store.records(0..<size)
        for (seq, index) in acknowledged where seq < size {
            #expect(try LedgerRecord(bytes: stored[Int(seq)]).envelope.canonicalJSON == envelopes[index + 1])
        }
        #expect(try CLI.run(["verify", "--ledger", "l.db"], in: folder).status == 0)

        // The bound 17 §Operations states: what the process holds at rest, and five times the capture memory.
        let bound = started.now + 5 * (64 << 20)
        print(
            "hostile load: RSS at start \(started.now >> 20) MiB, peak \(after.peak >> 20) MiB, after \(after.now >> 20) MiB"
        )
        #expect(after.peak < bound, "peak \(after.peak >> 20) MiB, bound \(bound >> 20) MiB")
    }
}

extension HostileLoadTests {
    /// A large honest request, in one body. The server's peak memory grows by a small multiple of the body
    /// (17 §Operations, memory: five times, and one batch's working set), and every statement is appended.
    @Test func aLargeHonestBodyCostsASmallMultipleOfItsSize() async throws {
        let (folder, key) = try Self.ledger(participant: "bulk", seed: 8)
        let filler = String(repeating: "x", count: 8000)
        let lines = try (0..<1_500).map {
            try Envelope(
                signing: Array(#"{"n":\#($0),"note":"\#(filler)"}"#.utf8), type: "application/json", with: key
            ).canonicalJSON
        }
        let body = Array(lines.joined(separator: [0x0A]))
        let server = try await ServeTests.start(in: folder, ["--rate-limit", "0", "--request-timeout", "600"])
        defer { server.process.terminate() }
        let pid = server.process.processIdentifier
        let before = Self.memory(of: pid)
        let (status, answer) = try await ServeTests.post(body, to: server.base.appending(path: "statements"))
        let after = Self.memory(of: pid)
        #expect(status == 201, "\(String(decoding: answer, as: UTF8.self))")
        let object = try JSONSerialization.jsonObject(with: answer) as? [String: Int]
        #expect(object?["count"] == lines.count)
        let growth = after.peak - before.now
        print("large body: \(body.count >> 20) MiB, RSS before \(before.now >> 20) MiB, peak \(after.peak >> 20) MiB")
        #expect(
            growth < 5 * body.count + (64 << 20), "peak grew by \(growth >> 20) MiB for a \(body.count >> 20) MiB body")
    }
}
