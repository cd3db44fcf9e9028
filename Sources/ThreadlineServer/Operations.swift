import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The server's request context: Hummingbird's, plus the client's address (for rate limits and logs).
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension Server {
    /// Operating limits (`Specs/17-server.md` §Operations).
    public struct Limits: Sendable {
        /// Requests per second each client address may make on average; 0 turns rate limiting off.
        public var requestsPerSecond: Double
        /// Requests a client may make at once above its rate.
        public var burst: Double
        /// How long a request may take before the server answers `503` (appends already underway still finish).
        public var requestTimeout: Duration
        /// How long a connection may sit idle before the server closes it.
        public var idleTimeout: Duration
        /// How long a capture job's result is kept after it ends.
        public var captureJobLifetime: Duration
        /// The bytes of capture bodies (`/statements`, `/capture`) the server holds at once, from the moment it
        /// starts reading one until its statements are appended; a request that would pass it is answered `503`
        /// `capture.busy`. A body costs the server about five times its size while it is checked, so this is
        /// what bounds the memory capture can take.
        public var captureMemory: Int

        public init(
            requestsPerSecond: Double = 1000, burst: Double = 2000, requestTimeout: Duration = .seconds(30),
            idleTimeout: Duration = .seconds(60), captureJobLifetime: Duration = .seconds(3600),
            captureMemory: Int = 128 << 20
        ) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
            self.captureJobLifetime = captureJobLifetime
            self.captureMemory = captureMemory
        }
    }

    /// The process's Prometheus registry. The first call bootstraps swift-metrics with it, so the engine's and
    /// Hummingbird's metrics land there too.
    public static var metrics: PrometheusCollectorRegistry { bootstrapped }

    private static let bootstrapped: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Prometheus names are [a-zA-Z_:][a-zA-Z0-9_:]*; Hummingbird's labels have dots.
        factory.nameAndLabelSanitizer = { name, labels in
            (
                name.replacingOccurrences(of: ".", with: "_"),
                labels.map { ($0.0.replacingOccurrences(of: ".", with: "_"), $0.1) }
            )
        }
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()
}

/// A token bucket per client address: `rate` tokens a second, at most `burst` held. A request without a token
/// is answered `429` with `Retry-After`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private final class Buckets: Sendable {
        let table = Mutex<[String: Bucket]>([:])
    }
    private let buckets = Buckets()
    private let clock = ContinuousClock()

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(burst, 1)
    }

    /// Takes a token for `client` at `now` (the clock's present unless a test gives one); returns the seconds to
    /// wait when there is none.
    func take(_ client: String, at now: ContinuousClock.Instant? = nil) -> Double? {
        let now = now ?? clock.now
        return buckets.table.withLock { buckets in
            if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.updated < .seconds(10) } }
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate }
            bucket.tokens -= 1
            return nil
        }
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        guard let wait = take(client) else { return try await next(request, context) }
        Counter(label: "threadline_http_rate_limited_total").increment()
        var response = Server.problem(
            status: .tooManyRequests, code: "rate-limit",
            detail: "more than \(Int(rate)) requests a second from \(client); try again shortly")
        response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
        return response
    }
}

/// Answers `503` when a request takes longer than `timeout`. The handler is cancelled: reads and body
/// collection stop. An append already handed to the ledger is not cancellable: its request is answered with
/// its record once durable, as always, however late.
///
/// Each handler runs as a task that one watchdog (a loop ten times a second) cancels past its deadline; this
/// costs a request one task and a table entry, not a timer of its own.
struct TimeoutMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    let timeout: Duration
    private let watchdog = Watchdog()

    init(timeout: Duration) { self.timeout = timeout }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await withoutActuallyEscaping(next) { next in
            let handler = UnsafeSendable(next)
            // The task is awaited before this returns, so `next` does not outlive the call.
            let task = Task { try await handler.value(request, context) }
            let id = watchdog.watch(task, until: ContinuousClock.now + timeout)
            defer { watchdog.forget(id) }
            do {
                return try await withTaskCancellationHandler {
                    try await task.value
                } onCancel: {
                    task.cancel()
                }
            } catch  where watchdog.expired(id) {
                Counter(label: "threadline_http_timeouts_total").increment()
                return Server.problem(
                    status: .serviceUnavailable, code: "timeout", detail: "the request took longer than \(timeout)")
            }
        }
    }
}

/// Cancels watched tasks past their deadline.
final class Watchdog: Sendable {
    private struct Entry {
        let deadline: ContinuousClock.Instant
        let cancel: @Sendable () -> Void
        var expired = false
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var next: UInt64 = 0
        var running = false
    }

    private let state = Mutex(State())

    func watch<T: Sendable>(_ task: Task<T, any Error>, until deadline: ContinuousClock.Instant) -> UInt64 {
        let (id, start) = state.withLock { state -> (UInt64, Bool) in
            state.next += 1
            state.entries[state.next] = Entry(deadline: deadline, cancel: { task.cancel() })
            defer { state.running = true }
            return (state.next, !state.running)
        }
        if start {
            Task.detached { [weak self] in
                while let self, self.sweep() {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        return id
    }

    func forget(_ id: UInt64) { _ = state.withLock { $0.entries.removeValue(forKey: id) } }

    func expired(_ id: UInt64) -> Bool { state.withLock { $0.entries[id]?.expired ?? false } }

    /// Cancels what is past its deadline; false once nothing is watched (the loop stops until the next watch).
    private func sweep() -> Bool {
        let now = ContinuousClock.now
        let (due, more) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
            var due: [@Sendable () -> Void] = []
            for (id, entry) in state.entries where !entry.expired && entry.deadline <= now {
                state.entries[id]?.expired = true
                due.append(entry.cancel)
            }
            if state.entries.isEmpty { state.running = false }
            return (due, !state.entries.isEmpty)
        }
        due.forEach { $0() }
        return more
    }
}

/// A value the compiler cannot prove Sendable but that is used within one request's structured scope.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The bytes of capture bodies held at once (`Server.Limits.captureMemory`). A request reserves its declared
/// length (or the largest body, when it does not declare one) before its body is read; the reservation is given
/// back when the last reference to it goes — when the request, or the capture job that holds its body, ends.
final class BodyBudget: Sendable {
    private let available: Mutex<Int>

    init(_ bytes: Int) { available = Mutex(bytes) }

    /// A hold on `bytes` of the budget, or nil when that much is not free.
    final class Reservation: Sendable {
        let budget: BodyBudget
        let bytes: Int

        fileprivate init(_ budget: BodyBudget, _ bytes: Int) {
            self.budget = budget
            self.bytes = bytes
        }

        deinit { budget.available.withLock { $0 += bytes } }
    }

    func reserve(_ bytes: Int) -> Reservation? {
        let taken = available.withLock { available in
            guard bytes <= available else { return false }
            available -= bytes
            return true
        }
        return taken ? Reservation(self, bytes) : nil
    }
}
