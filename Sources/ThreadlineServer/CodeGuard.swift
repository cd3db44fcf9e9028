import Foundation

/// Limits the guessing of hidden codes (`Specs/24-products.md` §7): within an hour, at most `wrongPerSerial` wrong
/// codes for one serial, from anyone, and at most `triesPerClient` codes from one client address. The addresses
/// are held in memory for that hour only, never recorded; the tables are bounded, so a flood of addresses costs
/// memory in proportion to `maxEntries`, not to the flood.
actor CodeGuard {
    static let window: Int64 = 3_600_000
    static let wrongPerSerial = 5
    static let triesPerClient = 20
    static let maxEntries = 100_000

    /// Codes checked at once: each takes 16 MiB and tens of milliseconds of one core (scrypt), so a flood of
    /// requests waits for a permit instead of taking memory.
    static let concurrentChecks = 2

    private var wrong: [String: [Int64]] = [:]
    private var available = concurrentChecks
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var tries: [String: [Int64]] = [:]

    /// Whether a code for `serial` from `client` may be checked at `now` (milliseconds); counts the try.
    func admit(serial: String, client: String, now: Int64) -> Bool {
        prune(&wrong, now: now)
        prune(&tries, now: now)
        let recent = (tries[client] ?? []).filter { now - $0 < Self.window }
        let failures = (wrong[serial] ?? []).filter { now - $0 < Self.window }
        wrong[serial] = failures.isEmpty ? nil : failures
        guard recent.count < Self.triesPerClient, failures.count < Self.wrongPerSerial else { return false }
        tries[client] = recent + [now]
        return true
    }

    /// Runs `check` when one of `concurrentChecks` permits is free.
    nonisolated func limited<T: Sendable>(_ check: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await check()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { available += 1 } else { waiting.removeFirst().resume() }
    }

    /// Counts a wrong code for `serial`.
    func failed(serial: String, now: Int64) {
        wrong[serial, default: []].append(now)
    }

    /// Drops what is older than the window; past `maxEntries`, the entries whose latest try is oldest.
    private func prune(_ table: inout [String: [Int64]], now: Int64) {
        guard table.count > Self.maxEntries / 2 else {
            return
        }
        table = table.compactMapValues { times in
            let kept = times.filter { now - $0 < Self.window }
            return kept.isEmpty ? nil : kept
        }
        if table.count > Self.maxEntries {
            let newest = table.sorted { ($0.value.last ?? 0) > ($1.value.last ?? 0) }.prefix(Self.maxEntries / 2)
            table = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
        }
    }
}
