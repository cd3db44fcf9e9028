/// The exit codes of every command, once (`Specs/05-cli.md` §2): the help text is made from this table, and a
/// test checks that the README and the spec quote it.
public enum ExitCodes {
    public static let success: Int32 = 0
    public static let verificationFailed: Int32 = 1
    public static let inputRefused: Int32 = 2
    /// A listing the ledger finds suspect.
    public static let suspect: Int32 = 3
    /// Nothing in the ledger concerns the code asked about.
    public static let notFound: Int32 = 4
    public static let unavailable: Int32 = 5
    public static let damaged: Int32 = 6
    /// swift-argument-parser's, for a command line it cannot parse.
    public static let usage: Int32 = 64

    /// Each code with what it means.
    public static let table: [(code: Int32, meaning: String)] = [
        (success, "success"), (verificationFailed, "verification failed"),
        (inputRefused, "input refused, nothing changed"), (suspect, "listing suspect"), (notFound, "nothing known"),
        (unavailable, "unavailable"), (damaged, "ledger damaged or unreadable"), (usage, "usage error"),
    ]

    /// The table in one line: `Exit codes: 0 success; 1 verification failed; …`.
    public static let summary =
        "Exit codes: " + table.map { "\($0.code) \($0.meaning)" }.joined(separator: "; ") + "."
}
