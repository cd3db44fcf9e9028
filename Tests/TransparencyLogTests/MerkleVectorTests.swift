import Foundation
import Testing

@testable import TransparencyLog

/// transparency-dev/merkle's RFC 6962 proof vectors: every file gives exactly its `wantErr`.
struct MerkleVectorTests {
    struct InclusionCase: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String
        let leafHash: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    struct ConsistencyCase: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    /// Base64 as the files hold it; bytes of any length go to the verifier, which must reject bad ones.
    static func bytes(_ text: String) -> [UInt8] { Data(base64Encoded: text).map { Array($0) } ?? Array(text.utf8) }

    static let inclusionFiles = Fixtures.jsonFiles(under: "merkle/testdata/inclusion")
    static let consistencyFiles = Fixtures.jsonFiles(under: "merkle/testdata/consistency")

    @Test func vectorsArePresent() {
        #expect(Self.inclusionFiles.count > 50)
        #expect(Self.consistencyFiles.count > 50)
    }

    @Test(arguments: inclusionFiles)
    func inclusion(_ file: URL) throws {
        let test = try JSONDecoder().decode(InclusionCase.self, from: Data(contentsOf: file))
        let accepted = Proofs.verifyInclusion(
            leafHash: Self.bytes(test.leafHash), index: test.leafIdx, size: test.treeSize,
            proof: (test.proof ?? []).map(Self.bytes), root: Self.bytes(test.root))
        #expect(accepted == !test.wantErr, "\(file.path): \(test.desc)")
    }

    @Test(arguments: consistencyFiles)
    func consistency(_ file: URL) throws {
        let test = try JSONDecoder().decode(ConsistencyCase.self, from: Data(contentsOf: file))
        let accepted = Proofs.verifyConsistency(
            oldSize: test.size1, newSize: test.size2, oldRoot: Self.bytes(test.root1), newRoot: Self.bytes(test.root2),
            proof: (test.proof ?? []).map(Self.bytes))
        #expect(accepted == !test.wantErr, "\(file.path): \(test.desc)")
    }
}
