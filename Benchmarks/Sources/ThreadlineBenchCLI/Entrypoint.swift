import ThreadlineCLI

/// `threadline`, built with the benchmarks in release, for the benchmarks that run it as separate processes.
@main
extension RootCommand {}
