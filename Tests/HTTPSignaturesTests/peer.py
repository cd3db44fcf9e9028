"""The independent peer for RFC 9421: Python's http-message-signatures signs and verifies requests.

  python3 peer.py sign SEED_HEX KEYID CREATED NONCE METHOD URL BODY_HEX|-   -> prints the header fields, one a line
  python3 peer.py verify PUBLIC_HEX METHOD URL BODY_HEX|-  (header fields on stdin, "Name: value" a line)
                                                           -> prints "ok KEYID" or fails
  python3 peer.py get SEED_HEX KEYID URL   -> sends a GET signed now with a fresh nonce; prints the status, then
                                              the body
"""
import datetime
import secrets
import sys

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms


class Keys(HTTPSignatureKeyResolver):
    def __init__(self, private=None, public=None):
        self.private, self.public = private, public

    def resolve_private_key(self, key_id):
        return self.private

    def resolve_public_key(self, key_id):
        return self.public


def request(method, url, body_hex):
    body = None if body_hex == "-" else bytes.fromhex(body_hex)
    return requests.Request(method, url, data=body).prepare(), body


def main():
    if sys.argv[1] == "get":
        seed, keyid, url = sys.argv[2:5]
        message, _ = request("GET", url, "-")
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519, key_resolver=Keys(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))))
        signer.sign(message, key_id=keyid, created=datetime.datetime.now(datetime.timezone.utc),
                    nonce=secrets.token_urlsafe(16), label="sig1", covered_component_ids=("@method", "@target-uri"))
        response = requests.Session().send(message, timeout=60)
        print(response.status_code)
        print(response.text)
    elif sys.argv[1] == "sign":
        seed, keyid, created, nonce, method, url, body_hex = sys.argv[2:9]
        message, body = request(method, url, body_hex)
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519, key_resolver=Keys(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))))
        components = ("@method", "@target-uri")
        signer.sign(message, key_id=keyid, created=datetime.datetime.fromtimestamp(int(created), datetime.timezone.utc),
                    nonce=nonce, label="sig1", covered_component_ids=components, body=body)
        for name in ("Content-Digest", "Signature-Input", "Signature"):
            if name in message.headers:
                print(f"{name}: {message.headers[name]}")
    else:
        public, method, url, body_hex = sys.argv[2:6]
        message, body = request(method, url, body_hex)
        for line in sys.stdin.read().splitlines():
            name, value = line.split(": ", 1)
            message.headers[name] = value
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.ED25519,
            key_resolver=Keys(public=Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))))
        results = verifier.verify(message, max_age=None, body=body,
                                  require_components=("@method", "@target-uri"))
        print("ok", results[0].parameters["keyid"])


main()
