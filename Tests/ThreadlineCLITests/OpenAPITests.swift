import Foundation
import ThreadlineTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The OpenAPI 3.1 document of every route (`Specs/openapi.json`), as served, and held to what the server answers.
struct OpenAPITests {
    static let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Specs")
    static let document = specs.appendingPathComponent("openapi.json")

    /// Every route of the server's table (Specs/17 §Routes, §Resolver) has its path and method in the document.
    @Test func theDocumentHasEveryRouteTheSpecsList() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.document)) as? [String: Any])
        #expect(object["openapi"] as? String == "3.1.0")
        let paths = try #require(object["paths"] as? [String: [String: Any]])
        let server = try String(contentsOf: Self.specs.appendingPathComponent("17-server.md"), encoding: .utf8)
        // `| \`GET /records/<seq>\` |` → ("get", "/records/{seq}"); optional parts and queries left out.
        var routes: [(String, String)] = []
        for line in server.split(separator: "\n")
        where ["GET", "POST", "DELETE"].contains(where: { line.hasPrefix("| `\($0) /") }) {
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            let parts = cell.split(separator: " ", maxSplits: 1)
            let path = parts[1].prefix { $0 != "?" && $0 != "[" }
                .replacingOccurrences(of: "<", with: "{").replacingOccurrences(of: ">", with: "}")
            routes.append((parts[0].lowercased(), path))
        }
        #expect(routes.count >= 15)
        for (method, path) in routes {
            let templated = path.replacingOccurrences(of: "{L}/{N}", with: "{level}/{index}")
                .replacingOccurrences(of: "entries/{N}", with: "entries/{index}")
            #expect(paths[templated]?[method] != nil, "\(method) \(templated) is not in Specs/openapi.json")
        }
        for path in [
            "/01/{gtin}", "/01/{gtin}/21/{serial}", "/01/{gtin}/10/{lot}/21/{serial}", "/tile/entries/{index}",
            "/.well-known/gs1resolver", "/openapi.json",
        ] {
            #expect(paths[path]?["get"] != nil, "GET \(path)")
        }
    }

    /// Schemathesis (PyPI) against a real server on the demo's ledger, its reads public (so that generated requests
    /// reach every route's work, not only its signature check): no `5xx`, no status, content type or body the
    /// document does not allow.
    @Test(.enabled(if: PythonPeer.schemathesisRuns, "needs: pip install schemathesis (always run in CI)"))
    func everyRouteAnswersAsTheDocumentSays() async throws {
        let folder = try CLI.folder()
        let demo = try await CLI.runDetached(["demo", "--dir", "demo"], in: folder)
        #expect(demo.status == 0, "\(demo.stderr)")
        let server = try await ServeTests.start(in: folder, ["--public-reads"], ledger: "demo/ledger.sqlite")
        defer { server.process.terminate() }
        // What the server serves is the document the Specs keep.
        let served = try await ServeTests.get(server.base.appendingPathComponent("openapi.json"))
        #expect(served == (try String(contentsOf: Self.document, encoding: .utf8)))
        // Its report goes to a file, read once it has ended; it is waited for off the cooperative pool.
        let report = folder.appendingPathComponent("schemathesis.txt")
        #expect(FileManager.default.createFile(atPath: report.path, contents: nil))
        let arguments = [
            "schemathesis", "run", Self.document.path, "--url", server.base.absoluteString, "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", "25", "--seed", "1", "--workers", "1", "--no-color",
        ]
        let status = try await CLI.detached {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            let output = try FileHandle(forWritingTo: report)
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        let text = try String(contentsOf: report, encoding: .utf8)
        #expect(status == 0, "\(text.suffix(6000))")
        // Every operation of the document was tested.
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.document)) as? [String: Any])
        let operations = (document["paths"] as? [String: [String: Any]] ?? [:]).values.map {
            $0.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.count
        }.reduce(0, +)
        #expect(operations >= 30)
        #expect(text.contains("Tested: \(operations)"), "\(text.suffix(2000))")
    }
}
