import CLibFuzzer
import Foundation

/// What every fuzz target needs around the parser it calls: the input in the shapes parsers take, a property
/// check that libFuzzer reports, and a way to wait for async code from libFuzzer's synchronous callback.
public struct FuzzInput {
    /// The input bytes, valid only during the call (libFuzzer reuses the buffer).
    public let buffer: UnsafeBufferPointer<UInt8>

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        buffer = UnsafeBufferPointer(start: data, count: size)
    }

    /// The bytes, copied.
    public var bytes: [UInt8] { Array(buffer) }

    /// The bytes as text, invalid UTF-8 repaired (what a reader of a `String` gets from a file or a request).
    public var text: String { String(decoding: buffer, as: UTF8.self) }
}

/// Traps when a property of what was parsed does not hold: libFuzzer sees the crash and keeps the input.
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #file,
    line: UInt = #line
) {
    if !condition() { fatalError("property failed: \(message())", file: file, line: line) }
}

/// Runs `body` to completion and returns its result. libFuzzer calls the target on its own (non-async) thread,
/// which may block while the task runs on Swift's cooperative pool.
public func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return box.result!
}

/// The result handed from the task to the waiting thread.
/// `@unchecked Sendable`: written once by the task before it signals, read only after the wait returns.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A libFuzzer target: an executable's `@main` type, whose `fuzz` is called with every input.
public protocol FuzzTarget {
    /// Parses one input and checks what was parsed (`require`); a crash is a finding.
    static func fuzz(_ input: FuzzInput)
}

extension FuzzTarget {
    /// Hands the process to libFuzzer's driver, which calls `fuzz` with each input.
    public static func main() {
        target = { fuzz($0) }
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
    }
}

/// The running target's `fuzz`, set once by `main` before the driver calls anything.
nonisolated(unsafe) private var target: (FuzzInput) -> Void = { _ in }

/// The entry point libFuzzer calls with each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target(FuzzInput(data, size))
    return 0
}
