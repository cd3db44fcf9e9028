#!/usr/bin/env python3
"""Where an audit's cycles go, from a perf profile: the share spent verifying Ed25519 signatures and the share
spent on everything else, and so the ratio to the bound the audit would reach if its signatures verified as fast
as the bound's. Unlike a timed ratio, this does not move with the machine's speed.

    perf record -F 999 -g -o audit.data -- Benchmarks/.build/release/ledger-bench --audit D/events.db
    perf script -i audit.data -F ip,sym | Benchmarks/Scripts/audit-share.py
"""
import collections
import re
import sys

# Samples in BoringSSL's Ed25519 code (some leaf functions lose their callers) are the signature's.
SIGNATURE = re.compile(r"^(fe_|ge_|x25519_|CCryptoBoringSSL_(x25519|sha512|ED25519)|table_select|slide|sc_)")
# The first pattern a sample's stack matches names its stage.
STAGES = [
    ("JSON parse", "JSONParser"),
    ("EPCIS validation", "EPCISValidator"),
    ("event hash", "EPCISEventV10hashDigest"),
    # An event of the common shape is read from its bytes (`EventFacts`), pre-hash included.
    ("event pre-hash, common shape", "7preHash4time5forms"),
    ("event read from its bytes", "CommonObjectEvent"),
    ("recording demands", "RecordingPolicyO7DemandsVyAeA10EPCISEventV"),
    ("other statements", "StatementO11payloadType"),
    ("index keys", "IndexKeyO"),
    ("index keys", "packedIndexKeys"),
    ("index comparison", "AuditorV7compare"),
    ("record syntax", "LedgerRecordV5bytes"),
    ("leaf hash", "leafHash"),
    ("DSSE envelope check", "verifySignatures"),
    ("recording rules", "AuditorV5Rules"),
    ("in-order checks", "AuditorV5audit"),
    ("SQLite", "sqlite3"),
    ("SQLite (GRDB)", "GRDB"),
    ("event facts: SHA-256, index keys, demands", "EventFactsV"),
    ("record check, other", "AuditorV5check"),
]

counts = collections.Counter()
signature = other = bound = 0
stack = []


def flush():
    global signature, other, bound
    if not stack:
        return
    if any("measureVerifyBound" in frame for frame in stack):
        bound += 1
    elif SIGNATURE.match(stack[0]) or any("ED25519_verify" in frame for frame in stack):
        signature += 1
    else:
        other += 1
        counts[next((name for name, pattern in STAGES if any(pattern in f for f in stack)), "elsewhere")] += 1


for line in sys.stdin:
    line = line.strip()
    if line:
        stack.append(line.split(" ", 1)[-1])
    else:
        flush()
        stack = []
flush()
if not signature:
    sys.exit("no Ed25519 samples: is this a profile of ledger-bench --audit?")
print(f"samples: {signature} verifying signatures, {other} other (and {bound} measuring the bound)")
print(f"other / signatures: {other / signature:.3f}; ratio at the bound's verify speed: "
      f"{signature / (signature + other):.3f}")
for name, n in counts.most_common():
    print(f"  {100 * n / (signature + other):5.2f} %  {name}")
