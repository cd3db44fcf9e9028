/// The rules a module's inputs must keep, one case each: the raw value is the stable, machine-readable code
/// scripts and HTTP clients match (`note.signature.base64`), `section` the Specs page and section that define
/// the rule. Every module that refuses input has one such enum and one error type, `InputError<ItsCodes>`.
public protocol ErrorCode: RawRepresentable<String>, CaseIterable, Hashable, Sendable {
    /// Where the rule is written down, e.g. `02-transparency-log.md §6`.
    var section: String { get }
}

/// A refused input, whichever module refused it: what callers that only report an error need.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// The rule's stable code, as sent over HTTP and printed with `--json`.
    var codeName: String { get }
    /// The Specs section that defines the rule.
    var section: String { get }
    /// What was wrong, in words a user can act on.
    var reason: String { get }
    /// The same error, said in other words (to give it context: "listing 3: …").
    func saying(_ reason: String) -> Self
}

/// A rejected input: the rule it broke, as one of its module's typed codes; why; and where in the code it was
/// detected. Errors compare by code and reason.
public struct InputError<Code: ErrorCode>: CodedError, Equatable {
    public let code: Code
    public let reason: String
    /// Where the error was thrown.
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var codeName: String { code.rawValue }
    public var section: String { code.section }
    public var description: String { reason }

    public func saying(_ reason: String) -> Self { Self(code, reason, file: file, line: line) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.reason == rhs.reason }
}

extension CodedError {
    /// Whether this error is the one `code` names (a code of this error's own module).
    public func matches<Code: ErrorCode>(_ code: Code) -> Bool { (self as? InputError<Code>)?.code == code }
}
