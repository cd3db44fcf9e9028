import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// Capture jobs (EPCIS 2.0 capture interface): each runs in the background; its status is kept in memory for
/// `lifetime` after it ends (`Specs/17-server.md` §Capture jobs).
///
/// What a job keeps is bounded whatever its request held: its records as ranges of sequence numbers, at most
/// `maxErrors` errors (and how many there were), each detail cut to `maxDetail` characters. At most `maxJobs` are
/// kept (the oldest finished go first) and at most `maxRunning` run at once. A job's id is 128 random bits, so
/// only whoever started it (and was told its `Location`) can read its results.
actor CaptureJobs {
    struct Failure: Sendable {
        let index: Int
        let code: String
        let detail: String

        init(index: Int, code: String, detail: String) {
            self.index = index
            self.code = code
            self.detail = detail.count > CaptureJobs.maxDetail ? detail.prefix(CaptureJobs.maxDetail) + "…" : detail
        }

        init(index: Int, _ error: LedgerError) {
            switch error {
            case .invalidStatement(let i, let reason), .refused(let i, let reason, _):
                self.init(index: i, code: reason.codeName, detail: reason.reason)
            default: self.init(index: index, code: "capture", detail: error.description)
            }
        }
    }

    /// The most errors a job keeps; `errorCount` says how many there were.
    static let maxErrors = 100
    /// The most characters of an error's detail kept.
    static let maxDetail = 500

    private struct Job {
        var status = "pending"
        let count: Int
        var records: [ClosedRange<Int64>] = []
        var errors: [Failure] = []
        var errorCount = 0
        /// When the job ended; nil while it runs.
        var ended: ContinuousClock.Instant?
    }

    let lifetime: Duration
    let maxJobs: Int
    let maxRunning: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private var jobs: [String: Job] = [:]
    /// Ended jobs' ids, oldest first (expiry and eviction walk it from the front).
    private var ended: [String] = []
    private var endedStart = 0
    private var running = 0

    init(
        lifetime: Duration = .seconds(3600), maxJobs: Int = 10_000, maxRunning: Int = 64,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.lifetime = lifetime
        self.maxJobs = maxJobs
        self.maxRunning = maxRunning
        self.now = now
    }

    /// Registers a job and starts `work` for it; returns its id, or nil when `maxRunning` jobs are running.
    func start(count: Int, _ work: @escaping @Sendable (String) async -> Void) -> String? {
        expire()
        guard running < maxRunning else { return nil }
        var id = ""
        repeat {
            var random = SystemRandomNumberGenerator()
            id = (0..<2).map { _ in String(random.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        } while jobs[id] != nil
        while jobs.count >= maxJobs, endedStart < ended.count { forgetOldest() }
        jobs[id] = Job(count: count)
        running += 1
        Task { await work(id) }
        return id
    }

    func finish(_ id: String, records: [Int64], errors: [Failure]) {
        running -= 1
        guard var job = jobs[id] else { return }
        for seq in records {
            if let last = job.records.last, last.upperBound + 1 == seq {
                job.records[job.records.count - 1] = last.lowerBound...seq
            } else {
                job.records.append(seq...seq)
            }
        }
        job.errors = Array(errors.prefix(CaptureJobs.maxErrors))
        job.errorCount = errors.count
        job.status = errors.isEmpty ? "success" : (records.isEmpty ? "failure" : "partial")
        job.ended = now()
        jobs[id] = job
        ended.append(id)
    }

    func status(_ id: String) -> JSONValue? {
        expire()
        guard let job = jobs[id] else { return nil }
        return .object([
            .init("id", .string(id)), .init("status", .string(job.status)),
            .init("statements", .number(String(job.count))),
            .init("records", .array(job.records.flatMap { $0.map { .number(String($0)) } })),
            .init("errorCount", .number(String(job.errorCount))),
            .init(
                "errors",
                .array(
                    job.errors.map {
                        .object([
                            .init("index", .number(String($0.index))),
                            .init("type", .string("https://threadline.example/problems/\($0.code)")),
                            .init("detail", .string($0.detail)),
                        ])
                    })),
        ])
    }

    /// How many jobs are kept.
    var count: Int { jobs.count }

    /// Forgets the jobs that ended more than `lifetime` ago.
    private func expire() {
        let limit = now() - lifetime
        while endedStart < ended.count, let end = jobs[ended[endedStart]]?.ended, end <= limit { forgetOldest() }
    }

    private func forgetOldest() {
        jobs[ended[endedStart]] = nil
        endedStart += 1
        if endedStart > 1024 && endedStart * 2 > ended.count {
            ended.removeFirst(endedStart)
            endedStart = 0
        }
    }
}

extension String {
    /// The string with `0`s in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
