import Foundation
import Testing
import ThreadlineTestSupport

@testable import TransparencyLog

/// Random trees: every proof made from the stored-hash layout verifies, every mutated proof fails,
/// and roots agree with a direct recursive RFC 9162 §2.1.1 computation.
struct TreePropertyTests {
    /// A tree built by appending, with its stored hashes in an array (what a store keeps).
    struct Tree {
        var leaves: [Hash] = []
        var stored: [Hash] = []
        var range = CompactRange()

        init(size: Int, seed: UInt64) {
            var random = SeededGenerator(state: seed)
            for _ in 0..<size {
                let entry = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                let leaf = Merkle.leafHash(entry)
                leaves.append(leaf)
                range.append(leaf, into: &stored)
            }
        }

        func read(_ plan: HashReadPlan) -> [Hash] {
            plan.combine(plan.indices.map { stored[Int($0)] })
        }
    }

    /// MTH straight from RFC 9162 §2.1.1.
    static func referenceRoot(_ leaves: ArraySlice<Hash>) -> Hash {
        if leaves.isEmpty { return Merkle.emptyRoot }
        if leaves.count == 1 { return leaves.first! }
        let k = Int(Merkle.splitPoint(Int64(leaves.count)))
        let mid = leaves.startIndex + k
        return Merkle.nodeHash(referenceRoot(leaves[..<mid]), referenceRoot(leaves[mid...]))
    }

    static func mutations(of proof: [Hash]) -> [[Hash]] {
        var result: [[Hash]] = []
        for i in proof.indices {
            var flipped = proof
            var bytes = flipped[i].bytes
            bytes[i % 32] ^= 0x01
            flipped[i] = Hash(bytes: bytes)!
            result.append(flipped)
            var removed = proof
            removed.remove(at: i)
            result.append(removed)
        }
        result.append(proof + [Merkle.emptyRoot])
        result.append([Merkle.emptyRoot] + proof)
        return result
    }

    @Test func emptyTreeRootIsSHA256OfNothing() {
        #expect(Merkle.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(CompactRange().root == Merkle.emptyRoot)
    }

    @Test func twoEmptyTreesAreConsistentOnlyWithTheEmptyRoot() {
        let other = Hash.sha256([1])
        #expect(
            Proofs.verifyConsistency(
                oldSize: 0, newSize: 0, oldRoot: Merkle.emptyRoot, newRoot: Merkle.emptyRoot, proof: []))
        #expect(!Proofs.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: other, newRoot: other, proof: []))
    }

    @Test func storedHashCountAndIndexAgreeWithAppends() {
        let tree = Tree(size: 300, seed: 1)
        #expect(Int64(tree.stored.count) == StoredHashes.count(size: 300))
        for level in 0..<9 {
            for offset in 0..<(Int64(300) >> level) {
                let start = Int(offset) << level
                let expected = Self.referenceRoot(tree.leaves[start..<start + (1 << level)])
                #expect(tree.stored[Int(StoredHashes.index(level: level, offset: offset))] == expected)
            }
        }
    }

    @Test(arguments: Array(0...70) + [255, 256, 257, 1000, 1023, 1024, 1025])
    func rootsMatchTheDefinition(size: Int) {
        let tree = Tree(size: size, seed: UInt64(size))
        let reference = Self.referenceRoot(tree.leaves[...])
        #expect(tree.range.root == reference)
        #expect(tree.read(.root(size: Int64(size))).first ?? Merkle.emptyRoot == reference)
        for prefix in stride(from: 0, through: size, by: max(1, size / 17)) {
            let root = tree.read(.root(size: Int64(prefix))).first ?? Merkle.emptyRoot
            #expect(root == Self.referenceRoot(tree.leaves[..<prefix]))
        }
    }

    @Test(arguments: Array(1...40) + [100, 257])
    func everyInclusionProofVerifiesAndEveryMutationFails(size: Int) {
        let tree = Tree(size: size, seed: 1000 + UInt64(size))
        let root = tree.range.root
        for index in 0..<Int64(size) {
            let proof = tree.read(.inclusionProof(index: index, size: Int64(size)))
            let leaf = tree.leaves[Int(index)]
            #expect(Proofs.verifyInclusion(leafHash: leaf, index: index, size: Int64(size), proof: proof, root: root))
            for bad in Self.mutations(of: proof) {
                #expect(
                    !Proofs.verifyInclusion(leafHash: leaf, index: index, size: Int64(size), proof: bad, root: root))
            }
            if size > 1 {
                let other = (index + 1) % Int64(size)
                #expect(
                    !Proofs.verifyInclusion(leafHash: leaf, index: other, size: Int64(size), proof: proof, root: root))
            }
        }
    }

    @Test(arguments: Array(1...33) + [64, 100])
    func everyConsistencyProofVerifiesAndEveryMutationFails(size: Int) {
        let tree = Tree(size: size, seed: 2000 + UInt64(size))
        let newRoot = tree.range.root
        for old in 0...Int64(size) {
            let oldRoot = tree.read(.root(size: old)).first ?? Merkle.emptyRoot
            let proof = tree.read(.consistencyProof(oldSize: old, newSize: Int64(size)))
            #expect(
                Proofs.verifyConsistency(
                    oldSize: old, newSize: Int64(size), oldRoot: oldRoot, newRoot: newRoot, proof: proof),
                "\(old) → \(size)")
            guard old > 0, old < size else { continue }
            for bad in Self.mutations(of: proof) {
                #expect(
                    !Proofs.verifyConsistency(
                        oldSize: old, newSize: Int64(size), oldRoot: oldRoot, newRoot: newRoot, proof: bad))
            }
            #expect(
                !Proofs.verifyConsistency(
                    oldSize: old, newSize: Int64(size), oldRoot: newRoot, newRoot: newRoot, proof: proof))
        }
    }

    @Test func readPlansNeedLogarithmicallyManyHashes() {
        let size: Int64 = 1_000_003
        #expect(HashReadPlan.root(size: size).indices.count <= 64)
        for index in [0, 1, 500_000, size - 1] {
            #expect(HashReadPlan.inclusionProof(index: index, size: size).indices.count <= 2 * 64)
        }
        #expect(HashReadPlan.consistencyProof(oldSize: 999_999, newSize: size).indices.count <= 2 * 64)
        #expect(StoredHashes.count(size: size) < 2 * size)
    }

    @Test func compactRangeRoundTripsThroughStoredIndices() {
        let tree = Tree(size: 777, seed: 9)
        for size in [0, 1, 2, 3, 255, 256, 600, 777] as [Int64] {
            let hashes = StoredHashes.compactRangeIndices(size: size).map { tree.stored[Int($0)] }
            let range = CompactRange(size: size, hashes: hashes)
            #expect(range?.root == Self.referenceRoot(tree.leaves[..<Int(size)]))
        }
        #expect(CompactRange(size: 3, hashes: [Merkle.emptyRoot]) == nil)
    }
}
