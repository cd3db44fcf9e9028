"""The independent peer for sealed events: RFC 9901's reference implementation (Python's sd-jwt) opens them.

  python3 sdjwt_peer.py open     (stdin: the sealed payload's JSON on the first line, then one disclosure a line)
                                 -> prints the event its verifier unpacks, as JSON with sorted keys

The sealed payload is signed as a JWT with a throwaway key (a sealed event is a DSSE statement, not a JWT; the
signature only lets the verifier accept it) and presented with the disclosures, as an SD-JWT is.
"""
import json
import sys

from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from sd_jwt.verifier import SDJWTVerifier


def main():
    lines = sys.stdin.read().split("\n")
    payload = lines[0]
    disclosures = [line for line in lines[1:] if line]
    key = JWK.generate(kty="EC", crv="P-256")
    jws = JWS(payload.encode("utf-8"))
    jws.add_signature(key, alg="ES256", protected=json.dumps({"alg": "ES256", "typ": "example+sd-jwt"}))
    presentation = "~".join([jws.serialize(compact=True)] + disclosures) + "~"
    verifier = SDJWTVerifier(presentation, lambda issuer, header: key)
    print(json.dumps(verifier.get_verified_payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":")))


main()
