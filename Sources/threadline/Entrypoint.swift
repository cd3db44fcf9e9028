import ThreadlineCLI

/// The `threadline` executable: all the work is in ThreadlineCLI.
@main
extension RootCommand {}
