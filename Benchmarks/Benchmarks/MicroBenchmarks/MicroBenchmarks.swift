import Benchmark
import Crypto
import EPCIS
import LedgerRules
import Statements
import TransparencyLog

/// Micro-benchmarks of the hot paths, tracked over time with ordo-one/benchmark.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

    let key = try! SigningKey(name: "micro", seed: [UInt8](repeating: 9, count: 32))
    let envelope = try! Envelope(signing: [UInt8](repeating: 0x61, count: 200), type: "application/ld+json", with: key)
    let record = try! LedgerRecord(seq: 123_456, timeMillis: 1_764_412_800_000, prev: .zero, envelope: envelope)
        .encoded()

    Benchmark("Ed25519 verify (the bound, one core)") { benchmark in
        let privateKey = Curve25519.Signing.PrivateKey()
        let signature = try privateKey.signature(for: record)
        for _ in benchmark.scaledIterations {
            blackHole(privateKey.publicKey.isValidSignature(signature, for: record))
        }
    }

    Benchmark("record parse + DSSE verify") { benchmark in
        // With the verifier cache the audit keeps, so the signer's key is parsed once.
        var cache: [String: Ed25519NoteVerifier] = [:]
        for _ in benchmark.scaledIterations {
            let parsed = try LedgerRecord(bytes: record)
            blackHole(parsed.envelope.verifySignatures(cache: &cache))
        }
    }

    Benchmark("record parse") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try LedgerRecord(bytes: record)) }
    }

    Benchmark("leaf hash of a record") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Merkle.leafHash(record))
        }
    }

    Benchmark("compact range append (1,000 leaves)") { benchmark in
        let leaf = Merkle.leafHash(record)
        for _ in benchmark.scaledIterations {
            var range = CompactRange()
            var stored: [Hash] = []
            for _ in 0..<1000 { range.append(leaf, into: &stored) }
            blackHole(range.root)
        }
    }

    // The stages of an EPCIS event's audit, on the event the ledger benchmark records (`ledger-bench --events`).
    let event = Array(
        #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-21T09:46:40.000Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.112345.123456"],"action":"OBSERVE","bizStep":"shipping","disposition":"active","readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"},"bizLocation":{"id":"urn:epc:id:sgln:0614141.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-123"]}"#
            .utf8)
    let parsedEvent = try! Statement.event(payload: event)
    let statement = try! Statement(payloadType: Statement.eventPayloadType, payload: event)

    Benchmark("EPCIS event: JSON parse") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONValue(parsing: event)) }
    }

    Benchmark("EPCIS event: parse + validate") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Statement.event(payload: event)) }
    }

    Benchmark("EPCIS event: CBV 2.0 event hash") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(parsedEvent.hash()) }
    }

    Benchmark("EPCIS event: index keys") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(statement.indexKeys) }
    }

    Benchmark("EPCIS event: statement (parse, validate, hash)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Statement(payloadType: Statement.eventPayloadType, payload: event))
        }
    }

    // What the audit reads of each event: this event is of the common shape, read straight from its bytes.
    Benchmark("EPCIS event: audit facts (read, validate, hash, index keys)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try EventFacts(payload: event, indexKeys: true)) }
    }

    // The same for the T-shirt sample's receiving event as `import` records it: with its document's context, which
    // declares prefixes, and source and destination lists. The general reader's cost is there for comparison.
    let receiving = Array(
        #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"cbvmda":"urn:epcglobal:cbv:mda:","tl":"https://threadline.example/ns/"}],"type":"ObjectEvent","eventTime":"2026-11-20T10:00:00+01:00","eventTimeZoneOffset":"+01:00","action":"OBSERVE","sourceList":[{"type":"owning_party","source":"https://id.gs1.org/417/0614141000005"}],"destinationList":[{"type":"owning_party","destination":"https://id.gs1.org/417/4012345000009"}],"epcList":["https://id.gs1.org/00/088012340000010016","https://id.gs1.org/00/088012340000010023"],"bizStep":"receiving","disposition":"in_progress","readPoint":{"id":"https://id.gs1.org/414/4012345000016"},"bizLocation":{"id":"https://id.gs1.org/414/4012345000016"}}"#
            .utf8)
    Benchmark("EPCIS sample receiving event: audit facts (read, validate, hash, index keys)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try EventFacts(payload: receiving, indexKeys: true)) }
    }
    Benchmark("EPCIS sample receiving event: statement, the general reader (parse, validate, hash)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Statement(payloadType: Statement.eventPayloadType, payload: receiving))
        }
    }
}
