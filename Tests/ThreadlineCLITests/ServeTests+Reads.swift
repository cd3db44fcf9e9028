import Foundation
import HTTPSignatures
import Statements
import Testing
import ThreadlineTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Need-to-know reads on a real `threadline serve` process, asked by other processes: Python's
/// http-message-signatures signing as the demo's participants, and plain HTTP clients.
extension ServeTests {
    /// The demo's sample key of participant `id` (public seeds: for trying things out only).
    static func sampleKey(_ id: String) throws -> SigningKey {
        try SigningKey(
            fileContents: String(
                contentsOf: CLI.packageRoot.appendingPathComponent("samples/keys/\(id).key"), encoding: .utf8))
    }

    /// The status and body of a GET.
    static func fetch(_ url: URL, headers: [String: String] = [:]) async throws -> (Int, String) {
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: PythonPeer.runs, "needs: pip install http-message-signatures requests (always run in CI)"))
    func participantsReadTheirPartWithSignedRequestsFromAnyHTTPClient() async throws {
        let folder = try CLI.folder()
        #expect(try CLI.run(["demo", "--dir", "d"], in: folder).status == 0)
        let server = try await Self.start(in: folder, [], ledger: "d/ledger.sqlite")
        defer { server.process.terminate() }
        let trace =
            server.base.absoluteString + "/trace?code=https%3A%2F%2Fid.gs1.org%2F01%2F00614141123452%2F21%2FTS-0001"

        // Python signs as a participant; the server takes the signature and answers that participant's view.
        func python(as id: String) throws -> (status: Int, steps: Int) {
            let key = try Self.sampleKey(id)
            let result = try PythonPeer.run([
                "get", PythonPeer.hex(key.noteSigner.privateKey.rawRepresentation), key.keyID, trace,
            ])
            #expect(result.status == 0, "python: \(result.output)")
            let lines = result.output.split(separator: "\n", maxSplits: 1).map(String.init)
            let status = Int(lines.first ?? "") ?? 0
            let json = try? JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any]
            return (status, (json?["steps"] as? [Any])?.count ?? 0)
        }
        let brand = try python(as: "northwind-apparel")
        #expect(brand.status == 200 && brand.steps == 33)
        // The garment factory sees its steps and what came before them, not what the brand and shops did after.
        let factory = try python(as: "dhaka-garments")
        #expect(factory.status == 200 && factory.steps > 0 && factory.steps < brand.steps)
        // The sneaker chain's factory has nothing to do with the T-shirt: as if it did not exist.
        #expect(try python(as: "braga-shoes").status == 404)

        // Unsigned: 401 with the signature the server wants; the consumer page is open to anyone.
        let (unsigned, problem) = try await Self.fetch(URL(string: trace)!)
        #expect(unsigned == 401 && problem.contains("read.unsigned"))
        let (page, html) = try await Self.fetch(server.base.appending(path: "01/00614141123452/21/TS-0001"))
        #expect(page == 200 && html.contains("✓ Genuine — sold on November 24, 2026"))

        // A signed request replayed, and one signed too long ago, are refused.
        let key = try Self.sampleKey("northwind-apparel")
        func signed(created: Int64, nonce: String) throws -> [String: String] {
            let fields = try RequestSignature.sign(
                .init(method: "GET", targetURI: trace), key: key.noteSigner.privateKey, keyid: key.keyID,
                created: created, nonce: nonce)
            return Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.value) })
        }
        let now = Int64(Date().timeIntervalSince1970)
        let once = try signed(created: now, nonce: "once")
        #expect(try await Self.fetch(URL(string: trace)!, headers: once).0 == 200)
        let (replayed, why) = try await Self.fetch(URL(string: trace)!, headers: once)
        #expect(replayed == 401 && why.contains("signature.replayed"))
        let (stale, staleWhy) = try await Self.fetch(
            URL(string: trace)!, headers: try signed(created: now - 900, nonce: "old"))
        #expect(stale == 401 && staleWhy.contains("signature.expired"))
        // The server said at its start that reads are need-to-know.
        let log = try String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)
        #expect(log.contains("threadline: need-to-know reads"))
    }
}
