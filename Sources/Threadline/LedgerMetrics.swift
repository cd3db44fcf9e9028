import Metrics

/// The engine's metrics, through swift-metrics (the server exports them to Prometheus; `Specs/17-server.md`
/// §Metrics). Each is looked up when used, once per batch, so metrics recorded after the process bootstraps
/// its metrics system are never lost to a handle made before it.
enum LedgerMetrics {
    /// Transactions that made a batch durable: one fsync (SQLite) or one commit (PostgreSQL) each.
    static var commits: Counter { Counter(label: "threadline_commits_total") }
    /// Batches whose transaction failed (every request in them was answered with the error).
    static var failedCommits: Counter { Counter(label: "threadline_commit_failures_total") }
    /// Records appended.
    static var records: Counter { Counter(label: "threadline_appended_records_total") }
    /// Statements refused under the ledger's rules.
    static var refused: Counter { Counter(label: "threadline_refused_statements_total") }
    /// Records per durable batch.
    static var batchRecords: Recorder { Recorder(label: "threadline_batch_records") }
    /// Requests sharing one durable batch (group commit at work when above 1).
    static var batchRequests: Recorder { Recorder(label: "threadline_batch_requests") }
    /// Time to make one batch durable.
    static var commitDuration: Metrics.Timer { Metrics.Timer(label: "threadline_commit_duration_seconds") }
}
