import Dispatch
import Foundation
import Synchronization

/// Spreads CPU-bound work over all cores.
package enum Parallel {
    /// The number of cores to use.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Items a worker takes at a time: small enough that when one worker has taken the last slice, the others
    /// are not left idle long (or can help another map running beside this one), large enough that taking a
    /// slice costs nothing next to the work in it.
    static func sliceSize(of count: Int) -> Int { max(1, min(64, count / (cores * 8))) }

    /// `items.map(transform)`, computed in parallel slices; order is kept.
    package static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        return map(items, state: {}) { item, _ in transform(item) }
    }

    /// `map` with per-worker state (a verifier-key cache, say) created by `makeState`, once for each core
    /// that joins the work.
    ///
    /// The workers take slices from a shared counter until none are left, so one that finishes early takes
    /// more; and a core that is free, having finished another map that runs beside this one, joins this one.
    package static func map<T: Sendable, R: Sendable, State>(
        _ items: [T], state makeState: @Sendable () -> State, _ transform: @Sendable (T, inout State) -> R
    ) -> [R] {
        let count = items.count
        let slice = sliceSize(of: count)
        let next = Atomic<Int>(0)
        // Each slice writes its results in place, once, and concurrentPerform returns only when every worker is
        // done, so the buffer is never written twice at an index nor read before it is written.
        return [R](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: min(cores, max(1, count))) { _ in
                var state = makeState()
                while true {
                    let lower = next.wrappingAdd(slice, ordering: .relaxed).oldValue
                    guard lower < count else { break }
                    for i in lower..<min(lower + slice, count) {
                        (output.baseAddress! + i).initialize(to: transform(items[i], &state))
                    }
                }
            }
            initialized = count
        }
    }
}
