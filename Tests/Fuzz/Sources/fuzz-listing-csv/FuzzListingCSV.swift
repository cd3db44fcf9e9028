import FuzzSupport
@_spi(Fuzzing) import ThreadlineCLI

/// `ListingCSV.parse`, the marketplace listings file `threadline listing check --file` reads (`Specs/13-listings.md`
/// §2): rows of code, seller and claims under a header that names them.
@main
enum FuzzListingCSV: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        _ = try? ListingCSV.parse(input.text)
    }
}
