import Dispatch
import Foundation
import Synchronization

/// Spreads CPU-bound work over all cores.
package enum Parallel {
    /// The number of cores to use.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Items a worker takes at a time: small enough that when one worker has taken the last slice, the others
    /// are not left idle long, large enough that taking a slice costs nothing next to the work in it.
    static func sliceSize(of count: Int) -> Int { max(1, min(64, count / (cores * 8))) }

    /// From this many items, a map runs on threads of its own (see `map(_:state:_:)`), named so.
    static let ownThreadsFrom = 256
    static let threadName = "parallel-map"

    /// `items.map(transform)`, computed in parallel slices; order is kept.
    package static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        return map(items, state: {}) { item, _ in transform(item) }
    }

    /// `map` with per-worker state (a verifier-key cache, say) created by `makeState`, once for each worker.
    package static func map<T: Sendable, R: Sendable, State>(
        _ items: [T], state makeState: @Sendable () -> State, _ transform: @Sendable (T, inout State) -> R
    ) -> [R] {
        [R](unsafeUninitializedCapacity: items.count) { buffer, initialized in
            nonisolated(unsafe) let output = buffer
            // Each index is written once, and `run` returns only when every worker is done.
            run(items.count, state: makeState) { i, state in
                (output.baseAddress! + i).initialize(to: transform(items[i], &state))
            }
            initialized = items.count
        }
    }

    /// An item `map(_:state:throwing:)` could not map: its index, and why.
    package struct Failure: Error {
        package let index: Int
        package let error: any Error
    }

    /// `map(_:state:_:)` for a transform that may throw: the results, or the failure of the first item (in the
    /// items' order) that threw. The results are the array the workers wrote, not gathered from per-item results
    /// afterwards on one core.
    package static func map<T: Sendable, R: Sendable, State>(
        _ items: [T], state makeState: @Sendable () -> State, throwing transform: @Sendable (T, inout State) throws -> R
    ) throws(Failure) -> [R] {
        let count = items.count
        let first = Mutex<Failure?>(nil)
        let failed = UnsafeMutableBufferPointer<Bool>.allocate(capacity: count)
        failed.initialize(repeating: false)
        defer { failed.deallocate() }
        nonisolated(unsafe) let failedItems = failed
        let results = [R](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let output = buffer
            // Each index is written once (a result, or its flag), and `run` returns only when every worker is done.
            run(count, state: makeState) { i, state in
                do {
                    (output.baseAddress! + i).initialize(to: try transform(items[i], &state))
                } catch {
                    failedItems[i] = true
                    first.withLock { if $0.map({ i < $0.index }) ?? true { $0 = Failure(index: i, error: error) } }
                }
            }
            if first.withLock({ $0 }) != nil {
                // The results written so far are not a prefix: each is released here, and none is kept.
                for i in 0..<count where !failedItems[i] { (output.baseAddress! + i).deinitialize(count: 1) }
                initialized = 0
            } else {
                initialized = count
            }
        }
        if let failure = first.withLock({ $0 }) { throw failure }
        return results
    }

    /// Calls `body` with each index below `count`, in parallel slices, and returns when every call has.
    ///
    /// The workers take slices from a shared counter until none are left, so one that finishes early takes
    /// more. The caller's thread is one of them. A long run (`ownThreadsFrom` items or more) runs the others on
    /// threads of its own: were they the dispatch pool's, it would hold every thread of the pool that Swift's
    /// tasks and the store's queues also run on, and the work beside it (the write of the batch before, the
    /// audit's in-order checks) would wait for the map to end instead of sharing the cores with it.
    private static func run<State>(
        _ count: Int, state makeState: @Sendable () -> State, _ body: @Sendable (Int, inout State) -> Void
    ) {
        let slice = sliceSize(of: count)
        let next = Atomic<Int>(0)
        let workers = min(cores, max(1, count))
        // The closures do not outlive the run: it returns only when every worker has finished.
        withoutActuallyEscaping(makeState) { makeState in
            withoutActuallyEscaping(body) { body in
                let work: @Sendable () -> Void = {
                    var state = makeState()
                    while true {
                        let lower = next.wrappingAdd(slice, ordering: .relaxed).oldValue
                        guard lower < count else { break }
                        for i in lower..<min(lower + slice, count) { body(i, &state) }
                    }
                }
                if count >= ownThreadsFrom, workers > 1 {
                    // A thread that cannot be started leaves its share to the others (the caller's at least).
                    let threads = (1..<workers).compactMap { _ in spawn(work) }
                    work()
                    threads.forEach { pthread_join($0, nil) }
                } else {
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
                }
            }
        }
    }

    /// Starts `body` on a thread of its own, to be joined (`pthread_join`) — after which nothing of `body` is
    /// held any more; nil if no thread could be started.
    private static func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        final class Body {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                // Named, so that a profile (or a test) tells the map's threads from the pool's.
                Thread.current.name = Parallel.threadName
                // The context is the one passed below, never nil.
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return thread
    }
}
