"""Diff two bench/behaviour_snapshot.sh outputs, ignoring timings and timestamps:

python3 bench/behaviour_diff.py BEFORE_DIR AFTER_DIR
"""

import json
import sys
from pathlib import Path

B, A = Path(sys.argv[1]), Path(sys.argv[2])


def strip(o):
    if isinstance(o, dict):
        return {
            k: strip(v)
            for k, v in o.items()
            if k
            not in (
                "timings_ms",
                "latency_ms",
                "seconds",
                "ingested_at",
                "generated_at",
                "started",
                "elapsed_s",
                "when",
                "commit",
            )
            and not k.endswith("_ms")
        }
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o


differs = 0
for name in sorted(p.name for p in B.iterdir() if p.is_file()):
    a, b = (B / name).read_text(), (A / name).read_text()
    if name.endswith(".json"):
        same = strip(json.loads(a)) == strip(json.loads(b))
    else:
        same = a == b
    differs += not same
    print(f"{name:32} {'identical' if same else 'DIFFERS'}")
sys.exit(1 if differs else 0)
