import Foundation
import HTTPSignatures
import Statements
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
    }

    /// `GET path`, signed when the connection has a reader key; at most `limit` bytes of answer.
    func get(_ path: String, limit: Int = 64 << 20) async throws -> Answer {
        var request = try request(path)
        if let reader {
            let signed = RequestSignature.Request(method: "GET", targetURI: base + path)
            for (name, value) in try RequestSignature.sign(
                signed, key: reader.noteSigner.privateKey, keyid: reader.keyID,
                created: Int64(Date().timeIntervalSince1970), nonce: UUID().uuidString)
            {
                request.setValue(value, forHTTPHeaderField: name)
            }
        }
        return try await send(request, limit: limit)
    }

    /// `POST path` with `body` (writes are not signed: their statements carry their own signatures).
    func post(
        _ path: String, body: [UInt8], type: String, headers: [String: String] = [:], limit: Int = 64 << 20
    ) async throws -> Answer {
        var request = try request(path)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue(type, forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request, limit: limit)
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

    private func request(_ path: String) throws -> URLRequest {
        guard let url = URL(string: base + path) else {
            throw CommandFailure(CommandFailure.inputRefused, "'\(base + path)' is not a URL")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        return request
    }

    private func send(_ request: URLRequest, limit: Int) async throws -> Answer {
        do {
            return try await BoundedFetch.fetch(request, limit: limit)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(
                CommandFailure.ledgerUnavailable,
                "the server at \(base) cannot be reached: \(error.localizedDescription)")
        }
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

/// Requests whose answers are read only up to a limit: a server that sends more is cut off, not buffered. One
/// session for the process, so that a command's requests share connections.
private final class BoundedFetch: NSObject, URLSessionDataDelegate, Sendable {
    private struct Transfer {
        let limit: Int
        var body: [UInt8] = []
        var continuation: CheckedContinuation<ServerConnection.Answer, any Error>
        var status = 0
        var tooLarge = false
    }
    private let transfers = Mutex<[Int: Transfer]>([:])

    private static let shared = BoundedFetch()
    private static let session = URLSession(configuration: .ephemeral, delegate: shared, delegateQueue: nil)

    static func fetch(_ request: URLRequest, limit: Int) async throws -> ServerConnection.Answer {
        try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request)
            shared.transfers.withLock {
                $0[task.taskIdentifier] = Transfer(limit: limit, continuation: continuation)
            }
            task.resume()
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let tooLarge = transfers.withLock { transfers in
            guard var transfer = transfers[dataTask.taskIdentifier] else { return true }
            transfer.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            transfer.tooLarge = response.expectedContentLength > Int64(transfer.limit)
            transfers[dataTask.taskIdentifier] = transfer
            return transfer.tooLarge
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = transfers.withLock { transfers in
            guard var transfer = transfers[dataTask.taskIdentifier] else { return true }
            transfer.body.append(contentsOf: data)
            if transfer.body.count > transfer.limit { transfer.tooLarge = true }
            transfers[dataTask.taskIdentifier] = transfer
            return transfer.tooLarge
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let transfer = transfers.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        if transfer.tooLarge {
            transfer.continuation.resume(
                throwing: CommandFailure(
                    CommandFailure.verificationFailed,
                    "the server's answer to \(task.originalRequest?.url?.path ?? "a request") is larger than "
                        + "\(transfer.limit >> 10) KiB"))
        } else if let error {
            transfer.continuation.resume(throwing: error)
        } else {
            transfer.continuation.resume(returning: .init(status: transfer.status, body: transfer.body))
        }
    }
}
