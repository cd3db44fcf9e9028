import Foundation
import Testing

@testable import ThreadlineServer

/// The limits on hidden-code checks (Specs/24-products.md §7): how many run at once, and the guessing windows.
struct CodeGuardTests {
    actor Meter {
        var running = 0
        var most = 0
        func start() {
            running += 1
            most = max(most, running)
        }
        func stop() { running -= 1 }
    }

    @Test func noMoreThanTwoChecksRunAtOnceAndEveryOneRuns() async throws {
        let guardian = CodeGuard()
        let meter = Meter()
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<12 {
                group.addTask {
                    try await guardian.limited {
                        await meter.start()
                        try await Task.sleep(for: .milliseconds(10))
                        await meter.stop()
                        return i
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(done.sorted() == Array(0..<12))
        #expect(await meter.most == CodeGuard.concurrentChecks)
        // A check that throws gives its permit back.
        struct Failed: Error {}
        for _ in 0..<3 { _ = try? await guardian.limited { () async throws -> Int in throw Failed() } }
        #expect(try await guardian.limited { 7 } == 7)
    }

    @Test func wrongCodesLockASerialForAnHourAndTriesAreCountedPerClient() async {
        let guardian = CodeGuard()
        let hour = CodeGuard.window
        for i in 0..<5 {
            #expect(await guardian.admit(serial: "s", client: "a", now: Int64(i)))
            await guardian.failed(serial: "s", now: Int64(i))
        }
        #expect(!(await guardian.admit(serial: "s", client: "b", now: 10)))
        #expect(await guardian.admit(serial: "t", client: "b", now: 10))
        // An hour after the first wrong code, a try is let through again.
        #expect(await guardian.admit(serial: "s", client: "b", now: hour + 1))
        // Twenty tries a client an hour.
        for i in 0..<CodeGuard.triesPerClient {
            #expect(await guardian.admit(serial: "u\(i)", client: "c", now: 0))
        }
        #expect(!(await guardian.admit(serial: "v", client: "c", now: 1)))
        #expect(await guardian.admit(serial: "v", client: "c", now: hour))
    }
}
