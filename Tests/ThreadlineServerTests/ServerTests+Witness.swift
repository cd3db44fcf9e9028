import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import Threadline
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

extension ServerTests {
    @Test func theServerActsAsAWitness() async throws {
        let ledger = try await Self.ledger()
        let folder = try TemporaryFolder.make("witness")
        let cosigner = try Cosigner(name: "witness.example", privateKey: .init())
        let role = Server.WitnessRole(
            witness: Witness(cosigner: cosigner, logs: [Self.operatorKey.noteSigner.verifier]),
            statePath: folder.appendingPathComponent("state.json").path)
        let app = Server.buildApplication(ledger: ledger, witness: role, reads: .open)
        let request = try await ledger.witnessRequest(oldSize: 0)
        try await app.test(.router) { client in
            let line = try await client.execute(
                uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: request.encoded)
            ) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(line.hasPrefix("\u{2014} witness.example "))
            // The witness's state moved: the same request now conflicts, answering the size it holds.
            try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: request.encoded)) {
                response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "text/x.tlog.size")
                #expect(String(buffer: response.body) == "1\n")
            }
            try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(string: "old x\n")) {
                #expect($0.status == .badRequest)
            }
            // The ledger keeps the cosignature; checkpoints served afterwards carry it.
            #expect(try await ledger.addCosignatures(line, witnesses: [cosigner.verifier]) == ["witness.example"])
            try await client.execute(uri: "/checkpoint", method: .get) { response in
                #expect(String(buffer: response.body).contains("\u{2014} witness.example "))
            }
        }
    }
}
