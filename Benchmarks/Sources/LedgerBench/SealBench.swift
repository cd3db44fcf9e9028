import Crypto
import Dispatch
import EPCIS
import Foundation
import Statements
import Synchronization
import Threadline

/// Sealing on the participant's machine (`Specs/23-sealed-events.md`): N commissioning events of twelve serials
/// each, every one sealed (a disclosure per member and per list element, decoys, SHA-256 digests) and signed, on
/// all cores as `import` signs; against signing the same events plain, in the same run.
extension LedgerBench {
    func runSeal(events count: Int, bound: Double) async throws {
        let key = try SigningKey(name: "bench-brand", seed: Array(SHA256.hash(data: Array("bench brand".utf8))))
        let events = (0..<count).map { i -> JSONValue in
            let serials = (0..<12).map { "\"urn:epc:id:sgtin:0614141.112345.\(i)-\($0)\"" }.joined(separator: ",")
            let time = Timestamp.format(millis: Int64(1_790_000_000 + i) * 1000)
            // Built from text the benchmark writes itself: it parses.
            return try! JSONValue(
                parsing:
                    #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+06:00","action":"ADD","bizStep":"commissioning","disposition":"active","epcList":[\#(serials)],"readPoint":{"id":"urn:epc:id:sgln:8801234.00001.0"},"bizLocation":{"id":"urn:epc:id:sgln:8801234.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-\#(i % 997)"]}"#
            )
        }
        let plain = events.map { Array($0.serialized.utf8) }
        var signed = 0
        let plainSeconds = try await timed { signed = try Recording.sign(plain, with: [key]).count }
        precondition(signed == count)
        report("seal    plain events signed (12 serials each)", Double(count) / plainSeconds, bound: bound)
        var disclosures = 0
        let sealSeconds = try await timed {
            // One chunk of events a core, as Recording.sign splits its work.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let counts = Mutex([Int](repeating: 0, count: cores))
            DispatchQueue.concurrentPerform(iterations: cores) { core in
                var made = 0
                for event in events[(count * core / cores)..<(count * (core + 1) / cores)] {
                    // The events are the benchmark's own objects: sealing and signing them cannot fail.
                    let sealed = try! SealedEvent.seal(event)
                    _ = try! Envelope(
                        signing: Array(sealed.payload.serialized.utf8), type: SealedEvent.payloadType, with: key)
                    made += sealed.disclosures.count
                }
                counts.withLock { $0[core] = made }
            }
            disclosures = counts.withLock { $0.reduce(0, +) }
        }
        report("seal    events sealed and signed", Double(count) / sealSeconds, bound: bound)
        print(
            String(
                format: "seal    %.1f disclosures an event; sealing costs %.2f× plain signing",
                Double(disclosures)
                    / Double(count), sealSeconds / plainSeconds))
    }
}
