#!/usr/bin/env python3
"""Generates Threadline's own test vectors (Specs/vectors/*.json), independently of the Swift code.

Everything here is re-derived from the standards and from Specs/0x-*.md with nothing but hashlib and
the `cryptography` package (Ed25519, RFC 8032). Keys come from fixed seeds, times are fixed, and Ed25519
signatures are deterministic, so every run writes the same bytes:

    python3 Specs/vectors/generate.py            # rewrite the four JSON files
    python3 Specs/vectors/generate.py --check    # exit 1 if any file on disk differs

Seeds: seed(name) = SHA-256("threadline spec vector seed " || name), 32 bytes, used as the Ed25519
private key (RFC 8032 §5.1.5 secret key).
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------------------------------
# RFC 9162 §2.1.1 Merkle tree hashing

EMPTY_ROOT = sha256(b"")


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list) -> bytes:
    """MTH over leaf hashes, by the RFC's recursive definition (deliberately not the stored-hash way)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_ranges(m: int, lo: int, hi: int) -> list:
    """RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]) as the leaf ranges whose MTHs make the path, leaf to root."""
    n = hi - lo
    if n <= 1:
        return []
    k = split(n)
    if m < k:
        return inclusion_ranges(m, lo, lo + k) + [(lo + k, hi)]
    return inclusion_ranges(m - k, lo + k, hi) + [(lo, lo + k)]


def consistency_ranges(m: int, lo: int, hi: int, complete: bool) -> list:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b) as leaf ranges."""
    n = hi - lo
    if m == n:
        return [] if complete else [(lo, hi)]
    k = split(n)
    if m <= k:
        return consistency_ranges(m, lo, lo + k, complete) + [(lo + k, hi)]
    return consistency_ranges(m - k, lo + k, hi, False) + [(lo, lo + k)]


def consistency_plan(old: int, new: int) -> list:
    return consistency_ranges(old, 0, new, True) if 0 < old < new else []


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not (0 <= index < size):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list) -> bool:
    """RFC 9162 §2.1.4.2 for 0 < old < new, plus Threadline's rules for old = new and old = 0
    (Specs/02-transparency-log.md §Proof verification)."""
    if not (0 <= old <= new):
        return False
    if old == new:
        return not proof and old_root == new_root and (old > 0 or old_root == EMPTY_ROOT)
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path = [old_root] + path
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# ---------------------------------------------------------------------------------------------------
# Stored-hash layout (Specs/02-transparency-log.md §Stored hashes), after Go's sumdb/tlog


def stored_count(size: int) -> int:
    total = 0
    while size > 0:
        total += size
        size >>= 1
    return total


def stored_index(level: int, offset: int) -> int:
    return stored_count(((offset + 1) << level) - 1) + level


def subtrees(lo: int, hi: int) -> list:
    """Maximal aligned complete subtrees covering [lo, hi), left to right, as (level, offset)."""
    out = []
    start = lo
    while start < hi:
        size_level = (hi - start).bit_length() - 1
        align_level = 63 if start == 0 else (start & -start).bit_length() - 1
        level = min(size_level, align_level)
        out.append((level, start >> level))
        start += 1 << level
    return out


def stored_hashes(leaves: list) -> list:
    """The whole stored-hash array, built by brute force: every complete aligned subtree, placed at its index."""
    n = len(leaves)
    out = [None] * stored_count(n)
    level = 0
    while (1 << level) <= n:
        for offset in range(n >> level):
            out[stored_index(level, offset)] = mth(leaves[offset << level:(offset + 1) << level])
        level += 1
    assert all(h is not None for h in out)
    return out


def appended_indices(n: int) -> list:
    """Indices written when leaf n is appended: its leaf hash, then each subtree it closes."""
    out = [(0, n, stored_index(0, n))]
    level = 1
    while (n + 1) % (1 << level) == 0:
        out.append((level, ((n + 1) >> level) - 1, stored_index(level, ((n + 1) >> level) - 1)))
        level += 1
    return out


# ---------------------------------------------------------------------------------------------------
# tlog-tiles paths


def tile_index(n: int) -> str:
    groups = []
    while True:
        groups.append("%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level, index: int, width: int) -> str:
    head = "tile/entries/" if level == "entries" else "tile/%d/" % level
    return head + tile_index(index) + ("" if width == 256 else ".p/%d" % width)


def hash_tiles(size: int) -> list:
    tiles = []
    level, count = 0, size
    while count > 0:
        for i in range(count // 256):
            tiles.append((level, i, 256))
        if count % 256:
            tiles.append((level, count // 256, count % 256))
        level += 1
        count >>= 8
    return tiles


# ---------------------------------------------------------------------------------------------------
# C2SP signed-note, tlog-checkpoint, tlog-cosignature, tlog-proof


def seed(name: str) -> bytes:
    return sha256(("threadline spec vector seed " + name).encode())


def public_key(seed32: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed32).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, sig_type: int, pub: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([sig_type]) + pub)[:4]


def vkey(name: str, sig_type: int, pub: bytes) -> str:
    return "%s+%s+%s" % (name, key_id(name, sig_type, pub).hex(), b64(bytes([sig_type]) + pub))


def private_key_string(name: str, seed32: bytes) -> str:
    return "PRIVATE+KEY+%s+%s+%s" % (name, key_id(name, 0x01, public_key(seed32)).hex(), b64(b"\x01" + seed32))


def sign(seed32: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed32).sign(message)


def signature_line(name: str, kid: bytes, sig: bytes) -> str:
    return "\u2014 %s %s\n" % (name, b64(kid + sig))


def note_sign(text: str, name: str, seed32: bytes) -> str:
    return signature_line(name, key_id(name, 0x01, public_key(seed32)), sign(seed32, text.encode()))


def cosignature_message(text: str, timestamp: int) -> bytes:
    return ("cosignature/v1\ntime %d\n" % timestamp).encode() + text.encode()


def cosign(text: str, name: str, seed32: bytes, timestamp: int) -> str:
    sig = sign(seed32, cosignature_message(text, timestamp))
    return signature_line(name, key_id(name, 0x04, public_key(seed32)), timestamp.to_bytes(8, "big") + sig)


def note_verify(note: str, keys: list):
    """C2SP signed-note §Signatures as Threadline applies it. keys: (name, type, pub).
    Returns the list of names that signed, or None when the note must be rejected."""
    split_at = note.rindex("\n\n")
    text = note[:split_at + 1]
    lines = note[split_at + 2:].split("\n")[:-1]
    verified = []
    for line in lines:
        assert line.startswith("\u2014 ")
        name, sig64 = line[2:].split(" ")
        raw = base64.b64decode(sig64)
        for kname, ktype, pub in keys:
            if kname == name and key_id(kname, ktype, pub) == raw[:4]:
                body = raw[4:]
                try:
                    if ktype == 0x01:
                        Ed25519PublicKey.from_public_bytes(pub).verify(body, text.encode())
                    else:
                        if len(body) != 72:
                            return None
                        t = int.from_bytes(body[:8], "big")
                        Ed25519PublicKey.from_public_bytes(pub).verify(body[8:], cosignature_message(text, t))
                except Exception:
                    return None
                if name not in verified:
                    verified.append(name)
                break
    return verified or None


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return "%s\n%d\n%s\n" % (origin, size, b64(root))


def tlog_proof(index: int, path: list, signed_note: str) -> str:
    return "c2sp.org/tlog-proof@v1\nindex %d\n" % index + "".join(b64(h) + "\n" for h in path) + "\n" + signed_note


# ---------------------------------------------------------------------------------------------------
# DSSE and ledger records (Specs/03-statements.md)


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d " % (len(t), t, len(payload)) + payload


def canonical_envelope(payload_type: str, payload: bytes, signatures: list) -> bytes:
    sigs = ",".join('{"keyid":"%s","sig":"%s"}' % (keyid, b64(sig)) for keyid, sig in signatures)
    return ('{"payloadType":"%s","payload":"%s","signatures":[%s]}' % (payload_type, b64(payload), sigs)).encode()


def civil_from_days(z: int):
    """Howard Hinnant's civil_from_days, proleptic Gregorian."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


def format_time(millis: int) -> str:
    days, ms = divmod(millis, 86_400_000)
    y, mo, d = civil_from_days(days)
    s = ms // 1000
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, mo, d, s // 3600, s // 60 % 60, s % 60, ms % 1000)


def record_bytes(seq: int, millis: int, prev: bytes, envelope_json: bytes) -> bytes:
    out = ("threadline/record/v1\nseq %d\ntime %s\nprev %s\n" % (seq, format_time(millis), b64(prev))).encode()
    out += envelope_json + b"\n"
    assert len(out) <= 65535
    return out


# ---------------------------------------------------------------------------------------------------
# The vectors

LOG_NAME = "example.com/threadline-test"
WITNESS_NAME = "witness.example/w1"
PARTICIPANT_NAME = "sample-farm"
COSIGN_TIME = 1764412800

# RFC 6962's own test leaves (as in transparency-dev/merkle testdata and ../shared/vectors/merkle).
RFC6962_LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
]]


def vector_stored_hashes() -> dict:
    sizes = list(range(21)) + [1000, 65536, 1000000]
    large = [(0, 999_999), (1, 499_999), (8, 0), (8, 3), (10, 976), (16, 0), (19, 1), (20, 0), (40, 5)]
    return {
        "description": (
            "Stored-hash layout (Specs/02-transparency-log.md §Stored hashes): count(size) = size + ⌊size/2⌋ + "
            "⌊size/4⌋ + …; index(level, offset) = count(((offset+1) << level) − 1) + level. 'subtrees' lists every "
            "complete subtree of a 16-leaf tree and some large ones; 'appends' what appending leaf n writes; "
            "'compactRanges' the maximal subtrees of [0, size) (largest first) and their indices; 'tiles': "
            "tlog-tiles paths for (level, index, width, isEntries), the number of hash tiles of a tree size with "
            "its last six paths, and the stored-hash indices a hash tile's contents are read from."),
        "counts": [{"size": s, "count": stored_count(s)} for s in sizes],
        "subtrees": [
            {"level": lv, "offset": off, "index": stored_index(lv, off)}
            for lv in range(5) for off in range(16 >> lv)
        ] + [{"level": lv, "offset": off, "index": stored_index(lv, off)} for lv, off in large],
        "appends": [
            {"leaf": n, "writes": [{"level": lv, "offset": off, "index": i} for lv, off, i in appended_indices(n)]}
            for n in range(20)
        ],
        "compactRanges": [
            {"size": s, "subtrees": [{"level": lv, "offset": off, "index": stored_index(lv, off)}
                                     for lv, off in subtrees(0, s)]}
            for s in list(range(21)) + [1000]
        ],
        "tiles": {
            "paths": [
                {"level": 0 if lv == "entries" else lv, "index": i, "width": w, "isEntries": lv == "entries",
                 "path": tile_path(lv, i, w)} for lv, i, w in [
                    (0, 0, 256), (0, 1234067, 256), (0, 1234, 17), (2, 5, 17), (1, 1000, 256),
                    ("entries", 0, 3), ("entries", 999, 256), ("entries", 1234067, 255)]
            ],
            "hashTilesForTreeSize": [
                {"treeSize": s, "count": len(hash_tiles(s)),
                 "lastTiles": [tile_path(lv, i, w) for lv, i, w in hash_tiles(s)][-6:]}
                for s in [0, 1, 255, 256, 257, 65536, 70000]
            ],
            "indices": [
                {"level": 0, "index": 0, "width": 3, "indices": [stored_index(0, i) for i in range(3)]},
                {"level": 0, "index": 1, "width": 2, "indices": [stored_index(0, 256 + i) for i in range(2)]},
                {"level": 1, "index": 0, "width": 2, "indices": [stored_index(8, i) for i in range(2)]},
            ],
        },
    }


def vector_merkle() -> dict:
    leaves = [leaf_hash(e) for e in RFC6962_LEAVES]
    n = len(leaves)
    inclusion = []
    for size in range(1, n + 1):
        for index in range(size):
            ranges = inclusion_ranges(index, 0, size)
            proof = [mth(leaves[lo:hi]) for lo, hi in ranges]
            assert verify_inclusion(leaves[index], index, size, proof, mth(leaves[:size]))
            inclusion.append({
                "index": index, "size": size, "proof": [b64(h) for h in proof],
                "ranges": [[lo, hi] for lo, hi in ranges],
                "indices": [stored_index(lv, off) for lo, hi in ranges for lv, off in subtrees(lo, hi)],
            })
    consistency = []
    for old in range(n + 1):
        for new in range(old, n + 1):
            ranges = consistency_plan(old, new)
            proof = [mth(leaves[lo:hi]) for lo, hi in ranges]
            assert verify_consistency(old, new, mth(leaves[:old]), mth(leaves[:new]), proof)
            consistency.append({
                "oldSize": old, "newSize": new, "proof": [b64(h) for h in proof],
                "ranges": [[lo, hi] for lo, hi in ranges],
                "indices": [stored_index(lv, off) for lo, hi in ranges for lv, off in subtrees(lo, hi)],
            })
    root = lambda s: mth(leaves[:s])  # noqa: E731
    other = sha256(b"not a root")

    def case(desc, old, new, old_root, new_root, proof, **extra):
        valid = verify_consistency(old, new, old_root, new_root, proof)
        item = {"description": desc, "oldSize": old, "newSize": new, "oldRoot": b64(old_root),
                "newRoot": b64(new_root), "proof": [b64(h) for h in proof], "valid": valid}
        item.update(extra)
        return item

    p36 = [mth(leaves[lo:hi]) for lo, hi in consistency_plan(3, 6)]
    consistency_cases = [
        case("empty to empty", 0, 0, EMPTY_ROOT, EMPTY_ROOT, []),
        case("equal sizes, equal roots, empty proof", 5, 5, root(5), root(5), []),
        case("equal sizes, different roots", 5, 5, root(5), other, []),
        case("equal sizes, non-empty proof", 5, 5, root(5), root(5), [root(5)]),
        case("empty tree to any tree, empty proof", 0, 7, EMPTY_ROOT, root(7), []),
        case("empty tree to any tree: the new root is not checked", 0, 7, EMPTY_ROOT, other, []),
        case("size 0 with a root other than SHA-256(\"\")", 0, 7, other, root(7), []),
        case("size 0, non-empty proof", 0, 7, EMPTY_ROOT, root(7), [root(7)]),
        case("old larger than new", 6, 3, root(6), root(3), p36),
        case("0 < old < new, empty proof", 3, 6, root(3), root(6), []),
        case("happy path 3 -> 6", 3, 6, root(3), root(6), p36),
        case("wrong old root", 3, 6, other, root(6), p36),
        case("proof with an extra hash", 3, 6, root(3), root(6), p36 + [root(1)]),
        case("proof one hash short", 3, 6, root(3), root(6), p36[:-1]),
        case("equal sizes 0, equal roots that are not SHA-256(\"\")", 0, 0, other, other, []),
    ]
    inclusion_cases = [
        {"description": "index = size", "leafHash": b64(leaves[3]), "index": 3, "size": 3,
         "proof": [], "root": b64(root(3)), "valid": False},
        {"description": "size 0", "leafHash": b64(leaves[0]), "index": 0, "size": 0,
         "proof": [], "root": b64(EMPTY_ROOT), "valid": False},
        {"description": "single leaf, empty proof", "leafHash": b64(leaves[0]), "index": 0, "size": 1,
         "proof": [], "root": b64(root(1)), "valid": True},
        {"description": "proof too long", "leafHash": b64(leaves[0]), "index": 0, "size": 1,
         "proof": [b64(leaves[1])], "root": b64(root(1)), "valid": False},
        {"description": "right leaf hash at the wrong index", "leafHash": b64(leaves[2]), "index": 3, "size": 4,
         "proof": [b64(h) for h in [leaves[2], mth(leaves[:2])]], "root": b64(root(4)), "valid": False},
    ]
    for c in inclusion_cases:
        got = verify_inclusion(base64.b64decode(c["leafHash"]), c["index"], c["size"],
                               [base64.b64decode(h) for h in c["proof"]], base64.b64decode(c["root"]))
        assert got == c["valid"], c
    return {
        "description": (
            "RFC 9162 §2.1 Merkle tree over RFC 6962's 8 test entries (hex in 'entries'; the same leaves as "
            "transparency-dev/merkle's testdata). leafHashes[i] = SHA-256(0x00 ‖ entry); roots[s] = MTH of the "
            "first s leaves (s = 0…8, roots[0] = SHA-256('')); storedHashes = the stored-hash array of the 8-leaf "
            "tree in index order; inclusion: every index of every size 1…8; consistency: every 0 ≤ old ≤ new ≤ 8 "
            "(empty proof when old = 0 or old = new). 'ranges' are the leaf ranges [lo, hi) of the read plan and "
            "'indices' the stored-hash indices it reads, in order. *Cases: verification results under "
            "Threadline's rules (Specs/02-transparency-log.md §Proof verification), the same for the Hash and "
            "byte-array overloads. All hashes base64."),
        "entries": [e.hex() for e in RFC6962_LEAVES],
        "leafHashes": [b64(h) for h in leaves],
        "roots": [b64(root(s)) for s in range(n + 1)],
        "storedHashes": [b64(h) for h in stored_hashes(leaves)],
        "inclusion": inclusion,
        "consistency": consistency,
        "inclusionCases": inclusion_cases,
        "consistencyCases": consistency_cases,
    }


def vector_signed_note() -> dict:
    log_seed, wit_seed = seed(LOG_NAME), seed(WITNESS_NAME)
    log_pub, wit_pub = public_key(log_seed), public_key(wit_seed)
    root5 = mth([leaf_hash(e) for e in RFC6962_LEAVES[:5]])
    text = checkpoint_text(LOG_NAME, 5, root5)
    log_line = note_sign(text, LOG_NAME, log_seed)
    note = text + "\n" + log_line
    cos_line = cosign(text, WITNESS_NAME, wit_seed, COSIGN_TIME)
    cosigned = note + cos_line
    log_k = (LOG_NAME, 0x01, log_pub)
    wit_k = (WITNESS_NAME, 0x04, wit_pub)
    other_seed = seed("someone.else/unknown")
    unknown_line = note_sign(text, "someone.else/unknown", other_seed)
    # Same name and key ID as the log key, but a signature by another key: a known key whose signature fails.
    forged = signature_line(LOG_NAME, key_id(LOG_NAME, 0x01, log_pub), sign(other_seed, text.encode()))
    tampered = note.replace("\n5\n", "\n6\n", 1)

    def case(desc, n, keys):
        got = note_verify(n, keys)
        return {"description": desc, "note": n, "vkeys": [vkey(*k) for k in keys],
                "verified": got, "valid": got is not None}

    cases = [
        case("log key only", note, [log_k]),
        case("cosigned note, log key and witness key", cosigned, [log_k, wit_k]),
        case("cosigned note, witness key only", cosigned, [wit_k]),
        case("an unknown signature is ignored", text + "\n" + unknown_line + log_line, [log_k]),
        case("only unknown signatures: rejected", text + "\n" + unknown_line, [log_k]),
        case("a known key's bad signature rejects the note", text + "\n" + log_line + forged, [log_k]),
        case("changed text: rejected", tampered, [log_k]),
        case("the log's 0x01 line does not match a 0x04 key of the same name and public key", note,
             [(LOG_NAME, 0x04, log_pub)]),
    ]
    assert [c["valid"] for c in cases] == [True, True, True, True, False, False, False, False]
    return {
        "description": (
            "C2SP signed-note / tlog-checkpoint / tlog-cosignature v1 (Specs/02-transparency-log.md). Keys from "
            "seed(name) = SHA-256('threadline spec vector seed ' ‖ name). The checkpoint commits to the first 5 "
            "RFC 6962 test leaves of merkle.json. Ed25519 (RFC 8032) is deterministic, so every signature is "
            "exact. 'verifyCases' give the names a verifier with 'vkeys' accepts (null = the note is rejected)."),
        "logKey": {
            "name": LOG_NAME, "seedHex": log_seed.hex(), "publicKey": b64(log_pub),
            "keyID": key_id(LOG_NAME, 0x01, log_pub).hex(), "vkey": vkey(*log_k),
            "privateKey": private_key_string(LOG_NAME, log_seed),
        },
        "witnessKey": {
            "name": WITNESS_NAME, "seedHex": wit_seed.hex(), "publicKey": b64(wit_pub),
            "keyID": key_id(WITNESS_NAME, 0x04, wit_pub).hex(), "vkey": vkey(*wit_k),
        },
        "checkpoint": {"origin": LOG_NAME, "size": 5, "root": b64(root5), "text": text},
        "signatureLine": log_line,
        "signedNote": note,
        "cosignature": {
            "timestamp": COSIGN_TIME,
            "message": cosignature_message(text, COSIGN_TIME).decode(),
            "signatureLine": cos_line,
            "cosignedNote": cosigned,
        },
        "verifyCases": cases,
    }


PAYLOADS = [
    '{"type":"ObjectEvent","eventTime":"2025-11-28T07:30:00.000+05:30","eventTimeZoneOffset":"+05:30",'
    '"epcList":[],"quantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.011111.B-2025-901","quantity":480,'
    '"uom":"KGM"}],"action":"ADD","bizStep":"commissioning","readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"}}',
    '{"type":"ObjectEvent","eventTime":"2025-11-28T16:00:00.000+05:30","eventTimeZoneOffset":"+05:30",'
    '"quantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.011111.B-2025-901","quantity":480,"uom":"KGM"}],'
    '"action":"OBSERVE","bizStep":"shipping","readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"}}',
    '{"type":"ObjectEvent","eventTime":"2025-11-29T09:15:00.000+05:30","eventTimeZoneOffset":"+05:30",'
    '"quantityList":[{"epcClass":"urn:epc:class:lgtin:0614141.011111.B-2025-901","quantity":480,"uom":"KGM"}],'
    '"action":"OBSERVE","bizStep":"receiving","readPoint":{"id":"urn:epc:id:sgln:0614141.00002.0"},'
    '"note":"Égreneuse coopérative, bale ✓"}',
]
PAYLOAD_TYPE = "application/ld+json"
TIMES = [1764412800000, 1764412800001, 1764412800002]


def vector_records() -> dict:
    p_seed = seed(PARTICIPANT_NAME)
    p_pub = public_key(p_seed)
    keyid = vkey(PARTICIPANT_NAME, 0x01, p_pub)
    log_seed = seed(LOG_NAME)
    prev = bytes(32)
    records, leaves, entries = [], [], []
    for seq, (text, millis) in enumerate(zip(PAYLOADS, TIMES)):
        payload = text.encode("utf-8")
        message = pae(PAYLOAD_TYPE, payload)
        sig = sign(p_seed, message)
        env = canonical_envelope(PAYLOAD_TYPE, payload, [(keyid, sig)])
        rec = record_bytes(seq, millis, prev, env)
        lh = leaf_hash(rec)
        records.append({
            "seq": seq, "timeMillis": millis, "time": format_time(millis), "prev": b64(prev),
            "payload": text, "payloadBase64": b64(payload), "pae": b64(message), "sig": b64(sig),
            "envelopeJSON": env.decode("ascii"), "bytes": rec.decode("ascii"), "leafHash": b64(lh),
        })
        leaves.append(lh)
        entries.append(rec)
        prev = lh
    # A submission in another valid DSSE form: other key order, whitespace. Stored as envelopeJSON of record 0.
    r0 = records[0]
    submitted = json.dumps({"signatures": [{"sig": r0["sig"], "keyid": keyid}], "payload": r0["payloadBase64"],
                            "payloadType": PAYLOAD_TYPE}, indent=2)
    root3 = mth(leaves)
    text = checkpoint_text(LOG_NAME, 3, root3)
    note = text + "\n" + note_sign(text, LOG_NAME, log_seed)
    path = [mth(leaves[lo:hi]) for lo, hi in inclusion_ranges(1, 0, 3)]
    assert verify_inclusion(leaves[1], 1, 3, path, root3)
    bundle = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    return {
        "description": (
            "DSSE statements and ledger records (Specs/03-statements.md). A participant key 'sample-farm' "
            "(seed(name) = SHA-256('threadline spec vector seed ' ‖ name)) signs three application/ld+json "
            "payloads (the third has non-ASCII UTF-8, so PAE lengths are byte counts); the records have seq 0…2 "
            "and times 1764412800000…002 ms, chained by prev. 'bytes' is each record's exact bytes (all ASCII); "
            "'pae' the base64 of the signed PAE; 'submittedJSON' a non-canonical but accepted form of record 0's "
            "envelope. The checkpoint is signed by signed-note.json's log key; 'tlogProof' proves record 1; "
            "'tiles' are the tlog-tiles files of the 3-record log (base64)."),
        "participantKey": {
            "name": PARTICIPANT_NAME, "seedHex": p_seed.hex(), "publicKey": b64(p_pub), "keyid": keyid,
            "privateKey": private_key_string(PARTICIPANT_NAME, p_seed),
        },
        "payloadType": PAYLOAD_TYPE,
        "limits": {"maxRecordBytes": 65535, "maxFramingBytes": 126, "maxEnvelopeBytes": 65535 - 126},
        "records": records,
        "submittedJSON": submitted,
        "submittedCanonical": records[0]["envelopeJSON"],
        "storedHashes": [b64(h) for h in stored_hashes(leaves)],
        "root": b64(root3),
        "logVkey": vkey(LOG_NAME, 0x01, public_key(log_seed)),
        "checkpoint": note,
        "tlogProof": {"index": 1, "path": [b64(h) for h in path], "text": tlog_proof(1, path, note)},
        "tiles": {
            "tile/0/000.p/3": b64(b"".join(leaves)),
            "tile/entries/000.p/3": b64(bundle),
        },
    }


# ---------------------------------------------------------------------------------------------------
# Sealed events (Specs/23-sealed-events.md): RFC 9901 disclosures of an EPCIS event


SEALED_PAYLOAD_TYPE = "application/vnd.threadline.sealed-event+json"
SEALED_EVENT = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "ObjectEvent",
    "eventTime": "2026-11-03T09:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "ADD",
    "bizStep": "commissioning",
    "epcList": ["urn:epc:id:sgtin:0614141.112345.TS-0001", "urn:epc:id:sgtin:0614141.112345.TS-0002",
                "urn:epc:id:sgtin:0614141.112345.TS-0003"],
    "readPoint": {"id": "urn:epc:id:sgln:0614141.00001.0"},
}


def b64url(data: bytes) -> str:
    """RFC 4648 §5 base64url without padding."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Sealer:
    """Specs/23 §2, with the 'random' bytes of draw n being SHA-256("threadline sealed vector <n>")[:16]."""

    def __init__(self):
        self.draws, self.disclosures, self.decoys = 0, [], []

    def random(self) -> bytes:
        self.draws += 1
        return sha256(b"threadline sealed vector %d" % self.draws)[:16]

    def disclose(self, parts: list) -> str:
        encoded = b64url(compact(parts).encode("utf-8"))
        self.disclosures.append(encoded)
        return b64url(sha256(encoded.encode("ascii")))

    def decoy(self) -> str:
        seed32 = self.random()
        self.decoys.append(seed32)
        return b64url(sha256(seed32))

    @staticmethod
    def padded(count: int) -> int:
        size = 1
        while size < count:
            size <<= 1
        return size

    def object(self, members: list) -> dict:
        digests = []
        for name, value in members:
            salt = b64url(self.random())
            digests.append(self.disclose([salt, name, self.value(value)]))
        while len(digests) < self.padded(len(members)):
            digests.append(self.decoy())
        return {"_sd": sorted(digests)}

    def value(self, value):
        if isinstance(value, dict):
            return self.object(list(value.items()))
        if not isinstance(value, list):
            return value
        items = []
        for element in value:
            salt = b64url(self.random())
            items.append(self.disclose([salt, self.value(element)]))
        decoys = [self.decoy() for _ in range(self.padded(len(value)) - len(value))]
        placed = items
        for decoy in decoys:
            placed.insert(self.random()[0] % (len(placed) + 1), decoy)
        return [{"...": digest} for digest in placed]


def vector_sealed() -> dict:
    sealer = Sealer()
    clear = [(k, v) for k, v in SEALED_EVENT.items() if k in ("type", "@context")]
    sealed = sealer.object([(k, v) for k, v in SEALED_EVENT.items() if k not in ("type", "@context")])
    payload = dict(clear)
    payload.update(sealed)
    payload["_sd_alg"] = "sha-256"
    payload_text = compact(payload)
    p_seed = seed(PARTICIPANT_NAME)
    keyid = vkey(PARTICIPANT_NAME, 0x01, public_key(p_seed))
    payload_bytes = payload_text.encode("utf-8")
    envelope = canonical_envelope(
        SEALED_PAYLOAD_TYPE, payload_bytes, [(keyid, sign(p_seed, pae(SEALED_PAYLOAD_TYPE, payload_bytes)))])
    return {
        "description": (
            "A sealed event statement (Specs/23-sealed-events.md): the event, sealed with 16-byte 'random' draws "
            "n = 1, 2, … equal to SHA-256(\"threadline sealed vector <n>\")[:16] in the order §2 takes them (a "
            "member's salt, then its value's; an object's decoys after its members; a list's elements, then its "
            "decoys, then one draw per decoy whose first byte mod (count + 1) places it); the disclosures in the "
            "order made, the decoy seeds, the sealed payload and its DSSE envelope signed by the participant key "
            "of records.json."
        ),
        "event": compact(SEALED_EVENT),
        "payloadType": SEALED_PAYLOAD_TYPE,
        "disclosures": sealer.disclosures,
        "digests": [b64url(sha256(d.encode("ascii"))) for d in sealer.disclosures],
        "decoySeeds": [b64url(d) for d in sealer.decoys],
        "payload": payload_text,
        "envelopeJSON": envelope.decode("ascii"),
    }


def self_checks():
    # The RFC 6962 root of the 8 test leaves (RFC 6962 test data; transparency-dev/merkle).
    assert mth([leaf_hash(e) for e in RFC6962_LEAVES]).hex() == \
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    # The C2SP signed-note specification's own example key.
    example = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    name, kid, key = example.split("+", 2)
    raw = base64.b64decode(key)
    assert key_id(name, raw[0], raw[1:]).hex() == kid
    # The stored-hash array built by appending equals the one built by brute force.
    leaves = [leaf_hash(bytes([i])) for i in range(40)]
    appended = []
    for n in range(40):
        stack_hashes = []  # recompute writes for leaf n from the brute-force layout
        for lv, off, i in appended_indices(n):
            stack_hashes.append((i, mth(leaves[off << lv:(off + 1) << lv])))
        for i, h in stack_hashes:
            assert i == len(appended)
            appended.append(h)
    assert appended == stored_hashes(leaves)
    # Every subtree decomposition of a proof range folds to the range's MTH.
    for size in range(1, 40):
        for index in range(size):
            for lo, hi in inclusion_ranges(index, 0, size):
                parts = [mth(leaves[o << lv:(o + 1) << lv]) for lv, o in subtrees(lo, hi)]
                h = parts[-1]
                for left in reversed(parts[:-1]):
                    h = node_hash(left, h)
                assert h == mth(leaves[lo:hi])
    assert format_time(1764412800000) == "2025-11-29T10:40:00.000Z"
    assert format_time(0) == "1970-01-01T00:00:00.000Z"
    assert format_time(951782400000 - 1) == "2000-02-28T23:59:59.999Z"


def main():
    self_checks()
    outputs = {
        "stored-hashes.json": vector_stored_hashes(),
        "merkle.json": vector_merkle(),
        "signed-note.json": vector_signed_note(),
        "records.json": vector_records(),
        "sealed-event.json": vector_sealed(),
    }
    check = "--check" in sys.argv[1:]
    differ = False
    for name, value in outputs.items():
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        path = os.path.join(HERE, name)
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print("differs: " + name)
                    differ = True
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote " + name)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
