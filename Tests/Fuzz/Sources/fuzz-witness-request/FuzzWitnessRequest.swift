import FuzzSupport
import TransparencyLog

/// A C2SP tlog-witness `add-checkpoint` body (`WitnessRequest(parsing:)`), what a witness reads from any log:
/// what parses encodes to a body that parses to the same request. A witness trusting no log then answers it
/// (the checkpoint's text is parsed there too).
@main
enum FuzzWitnessRequest: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        guard let request = try? WitnessRequest(parsing: input.text) else { return }
        require((try? WitnessRequest(parsing: request.encoded)) == request, "the request's encoding parses to another")
        _ = witness.addCheckpoint(request, state: WitnessState(), timestamp: 1_764_412_800)
    }
}

/// A witness with a fixed key that trusts no log: it parses the checkpoint and refuses it as of an unknown origin.
let witness = Witness(
    cosigner: try! Cosigner(
        name: "witness.example/fuzz", privateKey: .init(rawRepresentation: [UInt8](repeating: 7, count: 32))),
    logs: [])
