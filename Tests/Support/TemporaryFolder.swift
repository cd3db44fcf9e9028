import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// New, empty folders for tests, all inside one folder of this test process (`threadline-tests-<pid>` in the
/// system's temporary folder), which is removed when the process exits. A run that crashed leaves its folder
/// behind; the next run removes the folders of processes that are no longer running.
public enum TemporaryFolder {
    /// A new, empty folder; `label` starts its name, to tell in a listing which tests made it.
    public static func make(_ label: String = "test") throws -> URL {
        let url = root.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// This process's folder, made on first use; stale ones go then, and this one is removed at exit.
    public static let root: URL = {
        let parent = FileManager.default.temporaryDirectory
        removeStale(in: parent)
        atexit { try? FileManager.default.removeItem(at: TemporaryFolder.root) }
        return parent.appendingPathComponent("\(prefix)\(getpid())")
    }()

    private static let prefix = "threadline-tests-"

    /// Removes the folders of test processes that are no longer running.
    static func removeStale(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }
}
