@testable import Statements
import Testing
import TransparencyLog

/// The statement digest that makes a replay a duplicate (`Specs/10-recording.md` §1).
struct StatementDigestTests {
    @Test func theDigestIsSHA256OfThePAE() throws {
        let expected = "f68db2deb96242e2dc971d423e94bb7888c3554b45c84c7f52e3499b8b4223c2"
        #expect(Statement.digest(payloadType: "text/plain", payload: Array("a note".utf8)).hex == expected)
        let statement = try Statement(payloadType: "text/plain", payload: Array("a note".utf8))
        #expect(statement.indexKeys == ["statement:" + expected])
        #expect(statement.packedIndexKeys.strings == ["statement:" + expected])
    }

    @Test func registryAndAnchorStatementsAreFoundByKindAndByDigest() throws {
        let change = RegistryStatement.Change.revocation(participant: "shop", key: nil, reason: "closed")
        let payload = RegistryStatement(change, basis: 3).payload
        let registry = try Statement(payloadType: RegistryStatement.payloadType, payload: payload)
        let digest = Statement.digest(payloadType: RegistryStatement.payloadType, payload: payload)
        #expect(registry.digest == digest)
        #expect(registry.indexKeys == [IndexKey.registry, IndexKey.statement(digest)])
        #expect(registry.packedIndexKeys.strings == [IndexKey.registry, IndexKey.statement(digest)].sorted())
        // Another basis, another statement.
        let later = RegistryStatement(change, basis: 4).payload
        #expect(Statement.digest(payloadType: RegistryStatement.payloadType, payload: later) != digest)
        let anchorPayload = Statement.anchorPayload(checkpoint: "x\n", token: [1, 2])
        let anchor = try Statement(payloadType: Statement.anchorPayloadType, payload: anchorPayload)
        #expect(anchor.packedIndexKeys.strings.sorted() == anchor.indexKeys.sorted())
        #expect(anchor.indexKeys.count == 2)
    }
}
