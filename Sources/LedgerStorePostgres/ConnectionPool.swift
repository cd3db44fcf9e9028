import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// A connection whose queries fail when the server closes it, instead of waiting forever.
///
/// postgres-nio (1.33) writes a query to the channel without a promise: once the channel has closed, the query
/// is dropped and its caller is never answered. That happens after a restart, a failover or
/// `pg_terminate_backend` between two statements of a transaction. So each query here is raced against the
/// connection's close, through one callback registered when the connection is made.
final class LiveConnection: @unchecked Sendable {
    // `waiting` is only touched under `lock`; the connection itself is Sendable.
    let connection: PostgresConnection
    private let lock = NIOLock()
    private var waiting: [Int: CheckedContinuation<PostgresRowSequence, any Error>] = [:]
    private var nextTicket = 0
    private var closed = false

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    init(_ connection: PostgresConnection) {
        self.connection = connection
        connection.closeFuture.whenComplete { [weak self] _ in self?.failAll() }
    }

    var isClosed: Bool { lock.withLock { closed } || connection.isClosed }

    private func failAll() {
        let pending = lock.withLock {
            closed = true
            defer { waiting = [:] }
            return waiting
        }
        for continuation in pending.values { continuation.resume(throwing: Closed()) }
    }

    /// Runs a query; throws `Closed` if the connection closes before it is answered.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await withCheckedThrowingContinuation { continuation in
            let ticket: Int? = lock.withLock {
                guard !closed else { return nil }
                nextTicket += 1
                waiting[nextTicket] = continuation
                return nextTicket
            }
            guard let ticket else {
                continuation.resume(throwing: Closed())
                return
            }
            let connection = self.connection
            Task {
                let result: Result<PostgresRowSequence, any Error>
                do { result = .success(try await connection.query(query, logger: logger)) } catch {
                    result = .failure(error)
                }
                // Whoever takes the continuation out first resumes it: this task or the close callback.
                if let continuation = self.lock.withLock({ self.waiting.removeValue(forKey: ticket) }) {
                    continuation.resume(with: result)
                }
            }
        }
    }

    func close() async {
        try? await connection.close()
    }
}

/// A few reusable connections to one database. It never hands out a connection the server has closed, and
/// every query on one it handed out fails, rather than hangs, if the server closes it meanwhile.
actor ConnectionPool {
    private let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let maxIdle: Int
    private var idle: [LiveConnection] = []
    private var nextID = 0

    init(configuration: PostgresConnection.Configuration, maxIdle: Int = 8, logger: Logger) {
        self.configuration = configuration
        self.maxIdle = maxIdle
        self.logger = logger
    }

    /// Runs `body` on a live connection, then keeps the connection for reuse if it is still open.
    nonisolated func withConnection<T: Sendable>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        let connection = try await take()
        do {
            let result = try await body(connection)
            await give(connection)
            return result
        } catch {
            await give(connection)
            throw error
        }
    }

    private func take() async throws -> LiveConnection {
        while let connection = idle.popLast() {
            if !connection.isClosed { return connection }
        }
        nextID += 1
        return LiveConnection(
            try await PostgresConnection.connect(configuration: configuration, id: nextID, logger: logger))
    }

    private func give(_ connection: LiveConnection) async {
        guard !connection.isClosed else { return }
        if idle.count < maxIdle {
            idle.append(connection)
        } else {
            await connection.close()
        }
    }

    /// Closes every idle connection.
    func close() async {
        let connections = idle
        idle = []
        for connection in connections { await connection.close() }
    }
}
