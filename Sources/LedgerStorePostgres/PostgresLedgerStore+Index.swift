import Foundation
import LedgerStore
import Logging
import PostgresNIO
import TransparencyLog

extension PostgresLedgerStore {
    // MARK: The derived index

    /// Locks the head row for the rest of the transaction (ordering the caller with appends) and reads the size.
    static func lockHead(on connection: LiveConnection, _ logger: Logger) async throws -> Int64 {
        for try await size in try await connection.query(
            "SELECT size FROM head WHERE id = 1 FOR UPDATE", logger: logger
        )
        .decode(Int64.self) {
            return size
        }
        throw LedgerStoreError.corrupt("the head row is missing")
    }

    static func indexedSize(on connection: LiveConnection, _ logger: Logger) async throws -> Int64 {
        for try await size in try await connection.query("SELECT size FROM index_state WHERE id = 1", logger: logger)
            .decode(Int64.self)
        {
            return size
        }
        throw LedgerStoreError.corrupt("the index_state row is missing")
    }

    static func insert(_ entries: [IndexEntry], on connection: LiveConnection, _ logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let keys = entries.map(\.key)
        let seqs = entries.map(\.seq)
        try await connection.query(
            "INSERT INTO index_entries (key, seq) SELECT * FROM UNNEST(\(keys)::TEXT[], \(seqs)::BIGINT[]) ON CONFLICT DO NOTHING",
            logger: logger)
    }

    public func cosignatures(size: Int64) async throws -> [String] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [String] = []
                for try await line in try await connection.query(
                    "SELECT line FROM cosignatures WHERE size = \(size) ORDER BY position", logger: self.logger
                ).decode(String.self) {
                    out.append(line)
                }
                return out
            }
        }
    }

    public func addCosignatures(size: Int64, lines: [String]) async throws {
        try await guarded {
            try await transaction { connection in
                var found = false
                for try await _ in try await connection.query(
                    "SELECT size FROM checkpoints WHERE size = \(size)", logger: self.logger
                ).decode(Int64.self) {
                    found = true
                }
                guard found else { throw LedgerStoreError.outOfRange("no checkpoint of size \(size) is stored") }
                for line in lines {
                    try await connection.query(
                        "INSERT INTO cosignatures (size, line) VALUES (\(size), \(line)) ON CONFLICT DO NOTHING",
                        logger: self.logger)
                }
            }
        }
    }

    public func indexedSize() async throws -> Int64 {
        try await reading {
            try await self.pool.withConnection { try await Self.indexedSize(on: $0, self.logger) }
        }
    }

    public func lookup(_ keys: [String], from: Int64) async throws -> [IndexEntry] {
        guard !keys.isEmpty else { return [] }
        return try await reading {
            try await self.pool.withConnection { connection in
                var out: [IndexEntry] = []
                let rows = try await connection.query(
                    "SELECT key, seq FROM index_entries WHERE key = ANY(\(keys)::TEXT[]) AND seq >= \(from) ORDER BY key, seq",
                    logger: self.logger)
                for try await (key, seq) in rows.decode((String, Int64).self) {
                    out.append(IndexEntry(key: key, seq: seq))
                }
                return out
            }
        }
    }

    public func indexEntries(in range: Range<Int64>) async throws -> [IndexEntry] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [IndexEntry] = []
                let rows = try await connection.query(
                    "SELECT key, seq FROM index_entries WHERE seq >= \(range.lowerBound) AND seq < \(range.upperBound) ORDER BY seq, key",
                    logger: self.logger)
                for try await (key, seq) in rows.decode((String, Int64).self) {
                    out.append(IndexEntry(key: key, seq: seq))
                }
                return out
            }
        }
    }

    public func addIndex(_ entries: [IndexEntry], from: Int64, to: Int64) async throws {
        try await guarded {
            try await transaction { connection in
                let logSize = try await Self.lockHead(on: connection, self.logger)
                let indexed = try await Self.indexedSize(on: connection, self.logger)
                guard indexed == from, from <= to, to <= logSize, entries.allSatisfy({ (from..<to).contains($0.seq) })
                else {
                    throw LedgerStoreError.outOfRange(
                        "index entries for records \(from)..<\(to) do not continue the index (it covers \(indexed))")
                }
                try await Self.insert(entries, on: connection, self.logger)
                try await connection.query("UPDATE index_state SET size = \(to) WHERE id = 1", logger: self.logger)
            }
        }
    }

    public func resetIndex() async throws {
        try await guarded {
            try await transaction { connection in
                _ = try await Self.lockHead(on: connection, self.logger)
                try await connection.query("DELETE FROM index_entries", logger: self.logger)
                try await connection.query("UPDATE index_state SET size = 0 WHERE id = 1", logger: self.logger)
            }
        }
    }
}
