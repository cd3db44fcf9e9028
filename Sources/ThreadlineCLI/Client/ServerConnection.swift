import AsyncHTTPClient
import Foundation
import HTTPSignatures
import Statements
import TransparencyLog
import NIOCore
import NIOHTTP1

/// HTTP to a Threadline server (`Specs/17-server.md`), as a participant's client speaks it: reads signed with the
/// participant's key when it has one (`Specs/20-request-signatures.md`), answers read up to a size limit, and every
/// failure turned into the CLI's exit codes — an unreachable server is 5, a refusal carries the server's problem
/// detail.
struct ServerConnection: Sendable {
    /// The server's address, without a trailing `/`.
    let base: String
    /// The key reads are signed with (nil: unsigned, as anyone).
    let reader: SigningKey?
    /// How long one request may take, in seconds.
    let timeout: TimeInterval

    init(_ url: String, reader: SigningKey?, timeout: TimeInterval = 600) throws {
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        guard let parsed = URLComponents(string: text), ["http", "https"].contains(parsed.scheme),
            parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil
        else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(url)' is not a server URL (http:// or https://)")
        }
        (base, self.reader, self.timeout) = (text, reader, timeout)
    }

    /// A server's answer.
    struct Answer: Sendable {
        let status: Int
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a consistency proof, one base64 hash a line (`Specs/17-server.md`); nil if a line is not one.
        var hashLines: [Hash]? {
            let hashes = text.split(separator: "\n").map { Hash(base64: String($0)) }
            return hashes.contains(nil) ? nil : hashes.compactMap { $0 }
        }
    }

    /// `GET path`, signed when the connection has a reader key; at most `limit` bytes of answer.
    func get(_ path: String, limit: Int = 64 << 20) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        if let reader {
            let signed = RequestSignature.Request(method: "GET", targetURI: base + path)
            for (name, value) in try RequestSignature.sign(
                signed, key: reader.noteSigner.privateKey, keyid: reader.keyID,
                created: Int64(Date().timeIntervalSince1970), nonce: UUID().uuidString)
            {
                request.headers.add(name: name, value: value)
            }
        }
        return try await send(request, path, limit: limit)
    }

    /// `method path`, signed with the participant's key — over `body` too, with its `Content-Digest` — for the routes
    /// only a participant may use (subscriptions); at most `limit` bytes of answer.
    func signed(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, limit: Int = 16 << 20
    ) async throws -> Answer {
        guard let reader else {
            throw CommandFailure(
                ExitCodes.usage, "this needs the participant's key to sign the request: give --as KEYFILE")
        }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        let signed = RequestSignature.Request(method: method.rawValue, targetURI: base + path, body: body)
        for (name, value) in try RequestSignature.sign(
            signed, key: reader.noteSigner.privateKey, keyid: reader.keyID,
            created: Int64(Date().timeIntervalSince1970), nonce: UUID().uuidString)
        {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return try await send(request, path, limit: limit)
    }

    /// `POST path` with `body` (writes are not signed: their statements carry their own signatures).
    func post(
        _ path: String, body: [UInt8], type: String, headers: [String: String] = [:], limit: Int = 64 << 20
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        request.headers.add(name: "Content-Type", value: type)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await send(request, path, limit: limit)
    }

    /// `answer` when its status is 2xx; any other status is a `ServerRefusal` with the server's problem details.
    func expect(_ answer: Answer, _ what: String) throws -> Answer {
        guard !(200..<300).contains(answer.status) else { return answer }
        let problem = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any]
        throw ServerRefusal(
            status: answer.status, what: what,
            code: (problem?["type"] as? String).map { String($0.split(separator: "/").last ?? "") },
            detail: (problem?["detail"] as? String) ?? String(answer.text.prefix(200)),
            index: (problem?["index"] as? NSNumber)?.intValue, existing: (problem?["existing"] as? NSNumber)?.int64Value
        )
    }

    /// Sends `request`; its answer is read only up to `limit` bytes (a server that sends more is cut off, not
    /// buffered).
    private func send(_ request: HTTPClientRequest, _ path: String, limit: Int) async throws -> Answer {
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(request, timeout: .seconds(Int64(timeout)))
        } catch {
            throw CommandFailure(
                CommandFailure.ledgerUnavailable, "the server at \(base) cannot be reached: \(Self.describe(error))")
        }
        let tooLarge = CommandFailure(
            CommandFailure.verificationFailed, "the server's answer to \(path) is larger than \(limit >> 10) KiB")
        if let length = response.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > limit {
            throw tooLarge
        }
        do {
            let body = try await response.body.collect(upTo: limit)
            return Answer(status: Int(response.status.code), body: Array(buffer: body))
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            throw CommandFailure(
                CommandFailure.ledgerUnavailable, "the server at \(base) stopped answering: \(Self.describe(error))")
        }
    }

    /// The process's HTTP client. A connection is given up after `connectSeconds`: AsyncHTTPClient retries a
    /// refused connection until its connect timeout (its shared client waits 90 s), so this is also how long an
    /// unreachable server takes to be reported.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: .init(timeout: .init(connect: .seconds(connectSeconds))))
    static let connectSeconds: Int64 = 5

    /// An error in a few words (NIO's descriptions can be long).
    private static func describe(_ error: any Error) -> String {
        String(String(describing: error).prefix(200))
    }
}

/// A server's refusal, with its problem details (`Specs/17-server.md`): `404` is exit 4 (nothing known), `5xx`
/// exit 5 (unavailable), any other exit 2 (refused).
struct ServerRefusal: Error, CustomStringConvertible {
    let status: Int
    /// What was asked for.
    let what: String
    let code: String?
    let detail: String
    /// For a refused statement: its place in the request, and the record already holding a duplicate.
    let index: Int?
    let existing: Int64?

    var exitCode: Int32 {
        switch status {
        case 404: CommandFailure.notFound
        case 500...: CommandFailure.ledgerUnavailable
        default: CommandFailure.inputRefused
        }
    }

    var description: String {
        "the server refused \(what): \(status)\(code.map { " \($0)" } ?? ""): \(detail)"
    }
}
