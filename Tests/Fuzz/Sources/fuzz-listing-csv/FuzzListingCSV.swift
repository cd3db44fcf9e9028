import FuzzSupport
@_spi(Fuzzing) import ThreadlineCLI

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// `ListingCSV.parse`, the marketplace listings file `threadline listing check --file` reads (`Specs/13-listings.md`
/// §2): rows of code, seller and claims under a header that names them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ListingCSV.parse(FuzzInput(data, size).text)
    return 0
}
