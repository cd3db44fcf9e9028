import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// The log's read side (`Specs/17-server.md` §Routes): the checkpoint, records, inclusion and consistency proofs,
/// and the C2SP tlog-tiles of the tree.
struct LogRoutes: Sendable {
    let ledger: Ledger

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.get("/checkpoint") { _, _ -> Response in
            let note = try await ledger.checkpoint()
            return Server.text(note.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        routes.get("/records/:seq") { _, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            let bytes = try await ledger.entry(seq)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        routes.get("/proofs/inclusion/:seq") { _, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            let proof = try await ledger.inclusionProof(seq)
            return Server.text(proof.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        routes.get("/proofs/consistency") { request, _ -> Response in
            guard let old = request.uri.queryParameters.get("old", as: Int64.self),
                let new = request.uri.queryParameters.get("new", as: Int64.self)
            else { throw ServerError(.httpQuery, "give old=<size>&new=<size>") }
            let proof = try await ledger.consistencyProof(from: old, to: new)
            return Server.text(
                proof.map { $0.base64 + "\n" }.joined(), type: "text/plain; charset=utf-8",
                cache: "public, max-age=31536000, immutable")
        }
        routes.get("/tile/**") { _, context -> Response in
            let path = "tile/" + context.parameters.getCatchAll().joined(separator: "/")
            let bytes = try await ledger.tile(path: path)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
        }
        return routes
    }
}
