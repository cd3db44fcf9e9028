import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
@testable import Threadline
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

extension ServerTests {
    @Test func onlyRegisteredParticipantsMaySubmitAndTheEPCISRoutesTakeEventsOnly() async throws {
        let ledger = try await Self.ledger()
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        let stranger = try SigningKey(name: "stranger", seed: [UInt8](repeating: 9, count: 32))
        @Sendable func opaque(_ key: SigningKey) throws -> ByteBuffer {
            ByteBuffer(
                bytes: try Envelope(signing: Array(#"{"note":1}"#.utf8), type: "application/json", with: key)
                    .canonicalJSON)
        }
        try await app.test(.router) { client in
            // A key no participant holds: refused under the ledger's rules, nothing appended.
            let refused = try await client.execute(uri: "/statements", method: .post, body: try opaque(stranger)) {
                response in
                #expect(response.status == .unprocessableContent)
                return try Self.problem(response)
            }
            #expect(refused["type"] as? String == "https://threadline.example/problems/record.signer")
            #expect((refused["detail"] as? String)?.contains(stranger.keyID) == true)
            // The brand's current key may submit any statement on /statements …
            try await client.execute(uri: "/statements", method: .post, body: try opaque(Self.brand)) {
                #expect($0.status == .created)
            }
            // … but the EPCIS capture interface takes events only.
            let wrongType = try await client.execute(uri: "/events", method: .post, body: try opaque(Self.brand)) {
                response in
                #expect(response.status == .badRequest)
                return try Self.problem(response)["type"] as? String
            }
            #expect(wrongType == "https://threadline.example/problems/capture.type")
        }
        #expect(try await ledger.store.size() == 2)
        // Once the brand's key is revoked, its statements are refused too.
        let revoke = RegistryStatement.revocation(
            participant: "brand", key: nil, reason: "left the network", basis: try await ledger.store.size())
        _ = try await ledger.append([
            try Envelope(signing: revoke.payload, type: RegistryStatement.payloadType, with: Self.operatorKey)
        ])
        try await app.test(.router) { client in
            try await client.execute(uri: "/statements", method: .post, body: try opaque(Self.brand)) {
                #expect($0.status == .unprocessableContent)
            }
        }
    }
}
