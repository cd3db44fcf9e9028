import Foundation
import Testing

@testable import ThreadlineTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The tests' folders are kept in one folder per test process, and the folders of finished runs go.
struct TemporaryFolderTests {
    @Test func eachFolderIsNewAndEmptyInsideTheProcessFolder() throws {
        let (a, b) = (try TemporaryFolder.make("t"), try TemporaryFolder.make("t"))
        #expect(a != b)
        #expect(a.deletingLastPathComponent().path == TemporaryFolder.root.path)
        #expect(TemporaryFolder.root.lastPathComponent == "threadline-tests-\(getpid())")
        #expect(try FileManager.default.contentsOfDirectory(atPath: a.path).isEmpty)
    }

    @Test func theFoldersOfProcessesNoLongerRunningAreRemoved() throws {
        let parent = try TemporaryFolder.make("stale")
        // A process that has finished and been waited for: its pid names no running process.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let names = [
            "threadline-tests-\(finished.processIdentifier)", "threadline-tests-1", "threadline-tests-\(getpid())",
            "threadline-other-\(finished.processIdentifier)",
        ]
        for name in names {
            try FileManager.default.createDirectory(
                at: parent.appendingPathComponent(name).appendingPathComponent("inner"),
                withIntermediateDirectories: true)
        }
        TemporaryFolder.removeStale(in: parent)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: parent.path))
        #expect(left == Set(names.dropFirst()))
    }
}
