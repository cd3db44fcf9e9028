import Foundation
import Testing

@testable import TransparencyLog

/// Our own vectors in `Specs/vectors/`, computed independently in Python (`Specs/vectors/generate.py`).
struct SpecVectorTests {
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(
            T.self, from: Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("Specs/vectors/\(name)")))
    }

    static func hash(_ text: String) -> Hash { Hash(base64: text)! }

    struct Subtree: Decodable { let level: Int; let offset: Int64; let index: Int64 }

    struct StoredHashVectors: Decodable {
        struct Count: Decodable { let size: Int64; let count: Int64 }
        struct Append: Decodable { let leaf: Int64; let writes: [Subtree] }
        struct Compact: Decodable { let size: Int64; let subtrees: [Subtree] }
        struct Tiles: Decodable {
            struct PathCase: Decodable {
                let level: Int; let index: Int64; let width: Int; let isEntries: Bool; let path: String
            }
            struct ForSize: Decodable { let treeSize: Int64; let count: Int; let lastTiles: [String] }
            struct Indices: Decodable { let level: Int; let index: Int64; let width: Int; let indices: [Int64] }
            let paths: [PathCase]
            let hashTilesForTreeSize: [ForSize]
            let indices: [Indices]
        }
        let counts: [Count]
        let subtrees: [Subtree]
        let appends: [Append]
        let compactRanges: [Compact]
        let tiles: Tiles
    }

    @Test func storedHashLayout() throws {
        let v: StoredHashVectors = try Self.load("stored-hashes.json")
        for c in v.counts { #expect(StoredHashes.count(size: c.size) == c.count, "count(\(c.size))") }
        for s in v.subtrees { #expect(StoredHashes.index(level: s.level, offset: s.offset) == s.index) }
        for a in v.appends {
            #expect(StoredHashes.count(size: a.leaf) == a.writes.first?.index)
            #expect(Int64(a.writes.count) == StoredHashes.count(size: a.leaf + 1) - StoredHashes.count(size: a.leaf))
        }
        for c in v.compactRanges {
            #expect(StoredHashes.compactRangeIndices(size: c.size) == c.subtrees.map(\.index))
        }
        for p in v.tiles.paths {
            let tile = Tile(level: p.level, index: p.index, width: p.width, isEntries: p.isEntries)!
            #expect(tile.path == p.path)
        }
        for t in v.tiles.hashTilesForTreeSize {
            let tiles = Tile.hashTiles(treeSize: t.treeSize)
            #expect(tiles.count == t.count)
            #expect(Array(tiles.suffix(t.lastTiles.count).map(\.path)) == t.lastTiles)
        }
        for i in v.tiles.indices {
            #expect(StoredHashes.indices(of: Tile(level: i.level, index: i.index, width: i.width)!) == i.indices)
        }
    }

    struct MerkleVectors: Decodable {
        struct ProofCase: Decodable { let proof: [String]; let ranges: [[Int64]]; let indices: [Int64] }
        struct Inclusion: Decodable {
            let index: Int64; let size: Int64; let proof: [String]; let ranges: [[Int64]]; let indices: [Int64]
        }
        struct Consistency: Decodable {
            let oldSize: Int64; let newSize: Int64; let proof: [String]; let ranges: [[Int64]]; let indices: [Int64]
        }
        struct InclusionCase: Decodable {
            let description: String; let leafHash: String; let index: Int64; let size: Int64; let proof: [String];
            let root: String; let valid: Bool
        }
        struct ConsistencyCase: Decodable {
            let description: String; let oldSize: Int64; let newSize: Int64; let oldRoot: String; let newRoot: String;
            let proof: [String]; let valid: Bool
        }
        let entries: [String]
        let leafHashes: [String]
        let roots: [String]
        let storedHashes: [String]
        let inclusion: [Inclusion]
        let consistency: [Consistency]
        let inclusionCases: [InclusionCase]
        let consistencyCases: [ConsistencyCase]
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = hex.makeIterator()
        while let a = chars.next(), let b = chars.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    @Test func merkleTreeProofsAndPlans() throws {
        let v: MerkleVectors = try Self.load("merkle.json")
        var range = CompactRange()
        var stored: [Hash] = []
        #expect(range.root == Self.hash(v.roots[0]))
        for (i, entry) in v.entries.enumerated() {
            let leaf = Merkle.leafHash(Self.bytes(hex: entry))
            #expect(leaf == Self.hash(v.leafHashes[i]))
            range.append(leaf, into: &stored)
            #expect(range.root == Self.hash(v.roots[i + 1]))
        }
        #expect(stored == v.storedHashes.map(Self.hash))
        for c in v.inclusion {
            let plan = HashReadPlan.inclusionProof(index: c.index, size: c.size)
            #expect(plan.ranges.map { [$0.lowerBound, $0.upperBound] } == c.ranges)
            #expect(plan.indices == c.indices)
            #expect(plan.combine(plan.indices.map { stored[Int($0)] }) == c.proof.map(Self.hash))
        }
        for c in v.consistency {
            let plan = HashReadPlan.consistencyProof(oldSize: c.oldSize, newSize: c.newSize)
            #expect(plan.ranges.map { [$0.lowerBound, $0.upperBound] } == c.ranges)
            #expect(plan.indices == c.indices)
            #expect(plan.combine(plan.indices.map { stored[Int($0)] }) == c.proof.map(Self.hash))
        }
        for c in v.inclusionCases {
            #expect(
                Proofs.verifyInclusion(
                    leafHash: Self.hash(c.leafHash), index: c.index, size: c.size, proof: c.proof.map(Self.hash),
                    root: Self.hash(c.root)) == c.valid, "\(c.description)")
        }
        for c in v.consistencyCases {
            let typed = Proofs.verifyConsistency(
                oldSize: c.oldSize, newSize: c.newSize, oldRoot: Self.hash(c.oldRoot), newRoot: Self.hash(c.newRoot),
                proof: c.proof.map(Self.hash))
            #expect(typed == c.valid, "\(c.description)")
            let raw = Proofs.verifyConsistency(
                oldSize: UInt64(max(0, c.oldSize)), newSize: UInt64(max(0, c.newSize)),
                oldRoot: Self.hash(c.oldRoot).bytes,
                newRoot: Self.hash(c.newRoot).bytes, proof: c.proof.map { Self.hash($0).bytes })
            #expect(raw == c.valid, "\(c.description) (bytes)")
        }
    }

    struct NoteVectors: Decodable {
        struct Key: Decodable {
            let name: String; let seedHex: String; let publicKey: String; let keyID: String; let vkey: String;
            let privateKey: String?
        }
        struct Body: Decodable { let origin: String; let size: Int64; let root: String; let text: String }
        struct Cosignature: Decodable {
            let timestamp: UInt64; let message: String; let signatureLine: String; let cosignedNote: String
        }
        struct VerifyCase: Decodable {
            let description: String; let note: String; let vkeys: [String]; let verified: [String]?; let valid: Bool
        }
        let logKey: Key
        let witnessKey: Key
        let checkpoint: Body
        let signatureLine: String
        let signedNote: String
        let cosignature: Cosignature
        let verifyCases: [VerifyCase]
    }

    @Test func signedNotesCheckpointsAndCosignatures() throws {
        let v: NoteVectors = try Self.load("signed-note.json")
        let signer = try Ed25519NoteSigner(privateKeyString: v.logKey.privateKey!)
        #expect(signer.verifier.verifierKey == v.logKey.vkey)
        #expect(String(format: "%08x", signer.verifier.keyID) == v.logKey.keyID)
        let body = try Checkpoint(
            origin: v.checkpoint.origin, size: v.checkpoint.size, root: Self.hash(v.checkpoint.root))
        #expect(body.text == v.checkpoint.text)
        // Ed25519 (RFC 8032) is deterministic, and BoringSSL signs deterministically: the bytes must match.
        let note = try SignedNote(text: body.text, signatures: [signer.sign(body.text)])
        #expect(note.signatures[0].line == v.signatureLine)
        #expect(note.encoded == v.signedNote)
        let witness = try NoteKey.verifier(parsing: v.witnessKey.vkey)
        #expect(witness is CosignatureVerifier)
        #expect(
            String(
                decoding: CosignatureVerifier.message(checkpointText: body.text, timestamp: v.cosignature.timestamp),
                as: UTF8.self) == v.cosignature.message)
        #expect(
            try SignedNote(parsing: v.cosignature.cosignedNote).verify([signer.verifier, witness])
                == .verified([signer.name, witness.name]))
        for c in v.verifyCases {
            let verifiers = try c.vkeys.map { try NoteKey.verifier(parsing: $0) }
            let result = (try? SignedNote(parsing: c.note))?.verify(verifiers)
            #expect((result?.isValid ?? false) == c.valid, "\(c.description)")
            if let names = c.verified { #expect(result == .verified(names), "\(c.description)") }
        }
    }
}
