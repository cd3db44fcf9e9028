import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Threadline

/// `Parallel.map` keeps order whatever the slicing, and makes a worker's state once, not once a slice.
struct ParallelTests {
    @Test(arguments: [0, 1, 2, 3, 63, 64, 65, 1000, 100_003])
    func mapKeepsOrderAndCoversEveryItem(count: Int) {
        let items = Array(0..<count)
        #expect(Parallel.map(items) { $0 &* 31 &+ 7 } == items.map { $0 &* 31 &+ 7 })
        #expect(Parallel.map(items, state: { 0 }) { item, _ in String(item) } == items.map { String($0) })
    }

    @Test func eachWorkerMakesItsStateOnce() {
        let made = Atomic<Int>(0)
        let items = Array(0..<50_000)
        // Each worker's state counts the items it saw; together they saw every item once.
        let seen = Parallel.map(
            items,
            state: { () -> Int in
                made.add(1, ordering: .relaxed)
                return 0
            }
        ) { item, state in
            state += 1
            return (item, state)
        }
        #expect(seen.map(\.0) == items)
        #expect((1...Parallel.cores).contains(made.load(ordering: .relaxed)))
        // 50,000 items in slices of at most 64: far more slices than workers, so a per-slice state would show.
        #expect(Parallel.sliceSize(of: items.count) <= 64)
        #expect(seen.map(\.1).max()! > 64)
    }

    @Test(arguments: [1, 2, 300, 20_000])
    func aThrowingMapGivesItsResultsOrTheFirstFailureInOrder(count: Int) throws {
        let items = Array(0..<count)
        #expect(try Parallel.map(items, state: { 0 }, throwing: { item, _ in item * 2 }) == items.map { $0 * 2 })
        // Several items fail, on every worker: the failure reported is the first in the items' order, and every
        // result made before the map gave up is released (none leaks, none is released twice).
        let live = Live()
        let failing = Set(items.filter { $0 % 7 == 5 })
        do {
            _ = try Parallel.map(
                items, state: { 0 },
                throwing: { item, _ -> Tracked in
                    if failing.contains(item) { throw TestFailure(item: item) }
                    return Tracked(live)
                })
            #expect(failing.isEmpty, "the map did not fail")
        } catch {
            #expect(error.index == failing.min())
            #expect((error.error as? TestFailure)?.item == failing.min())
        }
        #expect(live.count.load(ordering: .relaxed) == 0)
    }

    @Test func slicesAreSmallButNeverEmpty() {
        #expect(Parallel.sliceSize(of: 0) == 1)
        #expect(Parallel.sliceSize(of: 5) == 1)
        #expect(Parallel.sliceSize(of: 1_000_000) == 64)
    }
}

extension ParallelTests {
    /// A long map (an import's batch, an audit's chunk), started from the dispatch pool as the engine starts one,
    /// runs its other workers on threads of its own, not the pool's: it leaves the pool's threads to the work
    /// beside it (the write of the batch before, the audit's in-order checks). A short one stays on the pool.
    @Test func aLongMapRunsOnTheCallerAndThreadsOfItsOwn() async throws {
        func names(_ count: Int) async -> Set<String> {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let caller = Self.threadName()
                    let names = Parallel.map(Array(0..<count)) { _ in Self.threadName() }
                    continuation.resume(returning: Set(names.map { $0 == caller ? "caller" : $0 }))
                }
            }
        }
        let long = await names(Parallel.ownThreadsFrom * 64)
        #expect(long.isSubset(of: ["caller", Parallel.threadName]), "\(long)")
        if Parallel.cores > 1 { #expect(long.contains(Parallel.threadName)) }
        #expect(!(await names(Parallel.ownThreadsFrom - 1)).contains(Parallel.threadName))
    }

    /// The name of the thread this runs on ("" for none).
    static func threadName() -> String { Thread.current.name ?? "" }
}

/// An item a throwing map failed on.
private struct TestFailure: Error {
    let item: Int
}

/// How many `Tracked` instances of one test are alive.
private final class Live: Sendable {
    let count = Atomic<Int>(0)
}

/// An instance counted in a `Live` while it is alive.
private final class Tracked: Sendable {
    let live: Live
    init(_ live: Live) {
        self.live = live
        live.count.add(1, ordering: .relaxed)
    }
    deinit { live.count.subtract(1, ordering: .relaxed) }
}
