/// A rejected input: which rule it broke (a stable code scripts can match), why, and where in the
/// code it was detected.
public struct FormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable, machine-readable name for the rule that was broken, e.g. `note.signature.base64`.
    public let code: String
    /// What was wrong, in words a user can act on.
    public let reason: String
    /// Where the error was thrown.
    public let file: String
    public let line: Int

    public init(_ code: String, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { reason }

    public static func == (lhs: FormatError, rhs: FormatError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason
    }
}
