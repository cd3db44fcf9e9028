import Logging
import PostgresNIO

/// A few reusable connections to one database. Unlike a general-purpose pool it never hands out a connection
/// the server has closed (after a restart, a failover or `pg_terminate_backend`): a query sent on such a
/// connection may never be answered, so each one is checked when it is taken and when it is given back.
actor ConnectionPool {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let maxIdle: Int
    private var idle: [PostgresConnection] = []
    private var nextID = 0

    init(configuration: PostgresConnection.Configuration, maxIdle: Int = 8, logger: Logger) {
        self.configuration = configuration
        self.maxIdle = maxIdle
        self.logger = logger
    }

    /// Runs `body` on a live connection, then keeps the connection for reuse if it is still open.
    nonisolated func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
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

    private func take() async throws -> PostgresConnection {
        while let connection = idle.popLast() {
            if !connection.isClosed { return connection }
        }
        nextID += 1
        return try await PostgresConnection.connect(configuration: configuration, id: nextID, logger: logger)
    }

    private func give(_ connection: PostgresConnection) async {
        guard !connection.isClosed else { return }
        if idle.count < maxIdle {
            idle.append(connection)
        } else {
            try? await connection.close()
        }
    }

    /// Closes every idle connection.
    func close() async {
        let connections = idle
        idle = []
        for connection in connections { try? await connection.close() }
    }
}
