#!/usr/bin/env bash
# Capture what users and scripts see, so a refactor can be diffed against it:
# per-question eval results (core + holdout, three configs), the OpenAPI
# schema and the CLI --json outputs of the README's examples.
# Usage: bench/behaviour_snapshot.sh OUT_DIR   (fresh data dir under OUT_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."; export PYTHONPATH=$PWD
out=${1:?usage: bench/behaviour_snapshot.sh OUT_DIR}
mkdir -p "$out"
export PLANCHAT_DATA_DIR=${PLANCHAT_DATA_DIR:-$out/data}
export PLANCHAT_EMBEDDING_CACHE=${PLANCHAT_EMBEDDING_CACHE:-$PWD/.cache/snapshot-embeddings.sqlite3}
pc=.venv/bin/planchat
$pc ingest >/dev/null
for s in core holdout; do
  $pc eval evals/sets/$s.jsonl --config hybrid --config bm25 --config dense --json "$out/eval-$s.json" >/dev/null
done
$pc ask "What are Rebild's targets for refugees?" --json > "$out/ask-rebild.json"
$pc ask "Hvad er Jammerbugts mål for langtidsledigheden i 2014?" --json > "$out/ask-jammerbugt.json"
$pc compare "langtidsledighed" --format json > "$out/compare-langtidsledighed.json"
$pc compare "flygtninge" --year 2022 --format json > "$out/compare-flygtninge-2022.json"
$pc targets --municipality Jammerbugt --distinct --format json > "$out/targets-jammerbugt.json"
$pc documents list > "$out/documents-list.txt"
.venv/bin/python - "$out/openapi.json" <<'PY'
import json, sys
from api.app import create_app
from planchat.config import Settings
app = create_app(Settings())
json.dump(app.openapi(), open(sys.argv[1], "w"), indent=1, sort_keys=True, ensure_ascii=False)
PY
