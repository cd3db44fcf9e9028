import Dispatch
import Foundation

/// Spreads CPU-bound work over all cores.
enum Parallel {
    /// The number of cores to use.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `items.map(transform)`, computed in parallel slices; order is kept.
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        let slices = min(items.count, cores * 4)
        let results = UnsafeMutableBufferPointer<R>.allocate(capacity: items.count)
        defer { results.deallocate() }
        // Each slice writes a disjoint part of `results`, and concurrentPerform returns only when all are done,
        // so the buffer is never accessed concurrently at the same index nor read before it is written.
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let lower = items.count * slice / slices
            let upper = items.count * (slice + 1) / slices
            for i in lower..<upper {
                (output.baseAddress! + i).initialize(to: transform(items[i]))
            }
        }
        let array = Array(results)
        _ = results.deinitialize()
        return array
    }

    /// `map` with per-slice state (a verifier-key cache, say) created by `makeState`.
    static func map<T: Sendable, R: Sendable, State>(
        _ items: [T], state makeState: @Sendable () -> State, _ transform: @Sendable (T, inout State) -> R
    ) -> [R] {
        let slices = max(1, min(items.count, cores * 4))
        // Each slice writes its results in place (as `map` does), so they are not copied again.
        return [R](unsafeUninitializedCapacity: items.count) { buffer, count in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                var state = makeState()
                for i in (items.count * slice / slices)..<(items.count * (slice + 1) / slices) {
                    (output.baseAddress! + i).initialize(to: transform(items[i], &state))
                }
            }
            count = items.count
        }
    }
}
