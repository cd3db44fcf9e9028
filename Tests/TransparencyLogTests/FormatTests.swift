import Foundation
import Testing

@testable import TransparencyLog

struct CheckpointTests {
    @Test func textRoundTrips() throws {
        let root = Hash.sha256(Array("root".utf8))
        let checkpoint = try Checkpoint(origin: "example.com/log", size: 42, root: root, extensions: ["ext one"])
        #expect(checkpoint.text == "example.com/log\n42\n\(root.base64)\next one\n")
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
    }

    @Test(arguments: [
        "example.com/log\n42\n", "example.com/log\n042\n\(Merkle.emptyRoot.base64)\n",
        "example.com/log\n-1\n\(Merkle.emptyRoot.base64)\n", "example.com/log\n4\nAAAA\n",
        "\n4\n\(Merkle.emptyRoot.base64)\n", "example.com/log\n4\n\(Merkle.emptyRoot.base64)",
    ])
    func malformedCheckpointsAreRefused(_ text: String) {
        #expect(throws: LogError.self) { try Checkpoint(text: text) }
    }
}

struct TileTests {
    @Test(arguments: [
        (0, Int64(0), 256, false, "tile/0/000"), (0, 1_234_067, 256, false, "tile/0/x001/x234/067"),
        (2, 5, 17, false, "tile/2/005.p/17"), (0, 0, 3, true, "tile/entries/000.p/3"),
        (1, 1000, 256, false, "tile/1/x001/000"),
    ])
    func pathsEncodeAndParse(level: Int, index: Int64, width: Int, entries: Bool, path: String) throws {
        let tile = Tile(level: level, index: index, width: width, isEntries: entries)!
        #expect(tile.path == path)
        #expect(try Tile(path: path) == tile)
    }

    @Test(arguments: [
        "tile/0/x000/001", "tile/00/000", "tile/0/000.p/07", "tile/0/1234", "tile/0/x1/234", "tile/a/000",
        "tile/0/000.p/256", "tile/0/000.p/0", "tiles/0/000",
    ])
    func badPathsAreRefused(_ path: String) {
        #expect(throws: LogError.self) { try Tile(path: path) }
    }

    @Test func tilesCoverTheTree() {
        let tiles = Tile.hashTiles(treeSize: 70_000)
        // Level 0: 273 full + 1 partial (112); level 1: 273 hashes → 1 full + partial 17; level 2: 1 hash.
        #expect(tiles.filter { $0.level == 0 }.count == 274)
        #expect(tiles.last(where: { $0.level == 0 })?.width == 70_000 % 256)
        #expect(tiles.filter { $0.level == 1 }.map(\.width) == [256, 17])
        #expect(tiles.filter { $0.level == 2 }.map(\.width) == [1])
        #expect(Tile.entryBundles(treeSize: 512).map(\.path) == ["tile/entries/000", "tile/entries/001"])
        #expect(Tile.hashTiles(treeSize: 0).isEmpty)
    }

    @Test func tileHashesAreTheStoredSubtrees() {
        let tree = TreePropertyTests.Tree(size: 70_000, seed: 5)
        let tile = Tile(level: 1, index: 0, width: 256)!
        let indices = StoredHashes.indices(of: tile)
        // Hash 3 of a level-1 tile is the root of leaves [3·256, 4·256).
        #expect(tree.stored[Int(indices[3])] == Merkle.rootHash(leafHashes: tree.leaves[768..<1024]))
    }
}

struct TlogProofTests {
    @Test func proofsRoundTripAndVerify() throws {
        let entries = (0..<11).map { Array("entry \($0)".utf8) }
        let tree = TreePropertyTests.Tree(size: 0, seed: 0)
        var stored = tree.stored
        var range = CompactRange()
        for entry in entries { range.append(Merkle.leafHash(entry), into: &stored) }
        let log = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let checkpoint = try Checkpoint(origin: "example.com/log", size: 11, root: range.root)
        let note = try SignedNote(text: checkpoint.text, signatures: [log.sign(checkpoint.text)])
        let plan = HashReadPlan.inclusionProof(index: 6, size: 11)
        let proof = TlogProof(
            extra: [1, 2, 3], index: 6, path: plan.combine(plan.indices.map { stored[Int($0)] }), checkpoint: note)
        let parsed = try TlogProof(parsing: proof.encoded)
        #expect(parsed == proof)
        #expect(parsed.verify(entry: entries[6], log: log.verifier) == .valid(checkpoint))
        if case .invalid(let failure, _) = parsed.verify(entry: entries[5], log: log.verifier) {
            #expect(failure == .inclusion)
        } else {
            Issue.record("a proof for another entry was accepted")
        }
        let witness = try Cosigner(name: "witness.example/w1", privateKey: .init())
        if case .invalid(let failure, _) = parsed.verify(
            entry: entries[6], log: log.verifier, witnesses: [witness.verifier], quorum: 1)
        {
            #expect(failure == .quorum)
        } else {
            Issue.record("a proof without the required cosignature was accepted")
        }
        let other = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        if case .invalid(let failure, _) = parsed.verify(entry: entries[6], log: other.verifier) {
            #expect(failure == .checkpointSignature)
        } else {
            Issue.record("a proof signed by another key was accepted")
        }
    }

    @Test(arguments: [
        "c2sp.org/tlog-proof@v2\nindex 0\n\nx\n\n— a AAAAAAAAAA==\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n\n— a AAAAAAAAAA==\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n\n— a AAAAAAAAAA==\n", "c2sp.org/tlog-proof@v1\nindex 0\n",
    ])
    func malformedProofsAreRefused(_ text: String) {
        #expect(throws: LogError.self) { try TlogProof(parsing: text) }
    }
}

struct ProofLineTests {
    @Test func proofHashLinesMustBeCanonicalBase64() throws {
        let log = try Ed25519NoteSigner(name: "example.com/log", privateKey: .init())
        let body = try Checkpoint(origin: "example.com/log", size: 2, root: Merkle.emptyRoot)
        let note = try SignedNote(text: body.text, signatures: [log.sign(body.text)])
        // The all-zero hash is AAAA…AAA=; AAAA…AAB= decodes to the same 32 bytes with a stray padding bit set.
        let good = "c2sp.org/tlog-proof@v1\nindex 0\n\(Hash.zero.base64)\n\n" + note.encoded
        #expect(try TlogProof(parsing: good).path == [Hash.zero])
        let stray = good.replacingOccurrences(of: "AAA=\n\n", with: "AAB=\n\n")
        #expect(stray != good)
        let error = #expect(throws: LogError.self) { try TlogProof(parsing: stray) }
        #expect(error?.code == LogCode.proofHash)
    }
}

struct HashTests {
    @Test("SHA-256 of bytes, in hex and base64, as FIPS 180-2's example gives it")
    func knownDigest() {
        let abc = Hash.sha256(Array("abc".utf8))
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(abc == Hash.sha256(Data("abc".utf8)))
        #expect(abc.base64 == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
    }

    @Test("a hash is made from exactly 32 bytes in memory")
    func fromMemory() {
        let bytes = Array(0..<UInt8(33))
        let hash = bytes.withUnsafeBytes { Hash(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(32))) }
        #expect(hash?.bytes == Array(bytes.prefix(32)))
        #expect(bytes.withUnsafeBytes { Hash(bytes: $0) } == nil)
        #expect(bytes.withUnsafeBytes { Hash(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(31))) } == nil)
    }
}

struct HashOrderTests {
    @Test func hashesOrderAsTheirBytes() throws {
        var generator = SystemRandomNumberGenerator()
        // Hashes that differ in one byte only, anywhere, and random ones.
        let base = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var hashes: [Hash] = []
        for index in 0..<32 {
            for value: UInt8 in [0, 0x7F, 0x80, 0xFF] {
                var bytes = base
                bytes[index] = value
                hashes.append(try #require(Hash(bytes: bytes)))
            }
        }
        hashes += (0..<64).map { _ in Hash.sha256(Array("\(UInt64.random(in: 0...UInt64.max))".utf8)) }
        for (a, b) in zip(hashes, hashes.shuffled()) {
            #expect((a < b) == a.bytes.lexicographicallyPrecedes(b.bytes), "\(a.hex) \(b.hex)")
            #expect(!(a < a))
        }
        #expect(hashes.sorted().map(\.bytes) == hashes.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }
}
