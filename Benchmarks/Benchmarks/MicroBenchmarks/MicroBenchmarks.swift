import Benchmark
import Crypto
import Provenance
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
        for _ in benchmark.scaledIterations {
            let parsed = try LedgerRecord(bytes: record)
            blackHole(parsed.envelope.verifySignatures())
        }
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
}
