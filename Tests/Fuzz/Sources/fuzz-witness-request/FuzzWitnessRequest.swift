import FuzzSupport
import TransparencyLog

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// A C2SP tlog-witness `add-checkpoint` body (`WitnessRequest(parsing:)`), what a witness reads from any log:
/// what parses encodes to a body that parses to the same request. A witness trusting no log then answers it
/// (the checkpoint's text is parsed there too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let request = try? WitnessRequest(parsing: FuzzInput(data, size).text) else { return 0 }
    require((try? WitnessRequest(parsing: request.encoded)) == request, "the request's encoding parses to another")
    _ = witness.addCheckpoint(request, state: WitnessState(), timestamp: 1_764_412_800)
    return 0
}

/// A witness with a fixed key that trusts no log: it parses the checkpoint and refuses it as of an unknown origin.
let witness = Witness(
    cosigner: try! Cosigner(
        name: "witness.example/fuzz", privateKey: .init(rawRepresentation: [UInt8](repeating: 7, count: 32))),
    logs: [])
