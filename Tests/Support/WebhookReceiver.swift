import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting

/// A real webhook on loopback for delivery tests (Specs/26-subscriptions.md §6): it answers by a script — a status,
/// a hang, or holding a request until released — then `200`, and keeps every request it got, also as the HTTP message
/// a receiver would save (what `verify-delivery` reads).
public actor WebhookReceiver {
    public enum Answer: Sendable {
        case status(HTTPResponse.Status)
        /// Answers `200` after this long (longer than the sender waits: a timeout).
        case hang(seconds: Double)
        /// Answers `200` only when `release()` is called.
        case hold
    }

    public struct Got: Sendable {
        public let path: String
        /// By lowercase name.
        public let headers: [String: String]
        public let body: [UInt8]
        /// The request as an HTTP/1.1 message: request line, header lines, an empty line, the body.
        public let message: [UInt8]
    }

    private var script: [Answer]
    public private(set) var got: [Got] = []
    private var held: [CheckedContinuation<Void, Never>] = []

    public init(_ script: [Answer] = []) { self.script = script }

    func take(_ request: Got) -> Answer {
        got.append(request)
        return script.isEmpty ? .status(.ok) : script.removeFirst()
    }

    func hold() async { await withCheckedContinuation { held.append($0) } }

    /// Answers every held request.
    public func release() {
        for continuation in held { continuation.resume() }
        held = []
    }

    /// Answers from now on by `answers` (then `200`).
    public func answer(_ answers: [Answer]) { script = answers }

    /// Waits until `condition` holds of what was received, up to `seconds`; whether it does.
    public nonisolated func wait(seconds: Double = 30, until condition: @Sendable ([Got]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(await got) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(await got)
    }

    /// The receiver listening on a free loopback port, for the time of `body`, which gets its base URL.
    public nonisolated func serving<T: Sendable>(
        _ body: @Sendable @escaping (String) async throws -> T
    ) async throws
        -> T
    {
        let router = Router()
        router.post("/{hook}") { request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: 1 << 26))
            var headers: [String: String] = [:]
            var head = "POST \(request.uri.path) HTTP/1.1\r\nhost: \(request.head.authority ?? "")\r\n"
            for field in request.headers {
                headers[field.name.canonicalName] = field.value
                head += "\(field.name.canonicalName): \(field.value)\r\n"
            }
            let got = Got(
                path: request.uri.path, headers: headers, body: body, message: Array((head + "\r\n").utf8) + body)
            switch await self.take(got) {
            case .status(let status): return Response(status: status)
            case .hang(let seconds):
                try await Task.sleep(for: .seconds(seconds))
                return Response(status: .ok)
            case .hold:
                await self.hold()
                return Response(status: .ok)
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            guard let port = client.port else { throw ReceiverError() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    struct ReceiverError: Error {}
}
