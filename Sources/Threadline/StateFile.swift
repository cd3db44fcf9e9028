import Foundation
import TransparencyLog

#if canImport(Glibc)
    import Glibc
#endif

/// State files written atomically: a temporary file beside it, fsync, rename; a witness's under a lock.
public enum StateFile {
    /// Replaces the file at `path` with `data` atomically: a temporary file beside it, fsync, rename, folder fsync.
    public static func write(_ data: Data, to path: String) throws {
        // A new file of an unpredictable name, created exclusively and never through a symlink: a link planted at
        // the temporary name (to make a privileged witness overwrite another file) makes the write fail instead.
        let temporary = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw EngineError(.stateWrite, "cannot create '\(temporary)': \(String(cString: strerror(errno)))")
        }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0, close(fd) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw EngineError(.stateWrite, "cannot write '\(path)'")
        }
        let directory = open(
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
            O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Writes a secret (a private key), refusing to replace an existing file. The file is created with mode 0600
    /// in the same system call that checks it does not exist (`O_CREAT | O_EXCL`), so it is never readable by
    /// others and never races another writer.
    public static func writeSecret(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "already exists; not overwriting a key" : String(cString: strerror(errno))
            throw EngineError(.secretWrite, "'\(path)' \(reason)")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            unlink(path)
            throw EngineError(.secretWrite, "cannot write '\(path)'")
        }
    }

    /// Runs `body` with the witness state under an exclusive lock, persisting the state it returns before the
    /// lock is released (C2SP tlog-witness: check and update atomically).
    public static func locked<T>(_ path: String, _ body: (WitnessState) throws -> (T, WitnessState?)) throws -> T {
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX) == 0 else {
            throw EngineError(.stateLock, "cannot lock '\(path).lock'")
        }
        defer {
            flock(lock, LOCK_UN)
            close(lock)
        }
        let current =
            FileManager.default.fileExists(atPath: path)
            ? try JSONDecoder().decode(WitnessState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            : WitnessState()
        let (result, next) = try body(current)
        if let next {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try write(try encoder.encode(next), to: path)
        }
        return result
    }
}
