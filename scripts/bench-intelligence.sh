#!/bin/bash
# Side by side on the peers' 1M set: ecrm (release, SQLite) and the peer scripts, one after the
# other in one run, each with its wall and CPU time and the load average before it.
#   scripts/bench-intelligence.sh STORE.db GEN_1M.csv OUT_DIR
# STORE.db: `ecrm import orders GEN_1M.csv` into a fresh store (copied, never written);
# GEN_1M.csv: `gen_transactions.py --customers 1000000 --seed 42`.
set -u
STORE=$1 CSV=$2 OUT=$3
BIN=${ECRM:-target/release/ecrm}
PY=${PEERS_VENV:-$HOME/.cache/ecrm-peers/venv}/bin/python
PEERS=${PEERS:-../shared/peers}
export PYTHONPATH=$PEERS
mkdir -p "$OUT"
DB="$OUT/run.db"
cp "$STORE" "$DB"
T='wall %e s, user %U s, sys %S s, peak %M KiB'
stamp() { echo "== $1 $(date -u +%T) $(uptime | sed 's/.*load average/load/')"; }
stamp "ecrm rfm"; /usr/bin/time -f "$T" "$BIN" --db "sqlite://$DB" rfm --as-of 2024-12-29 --export "$OUT/rfm.csv" 2>&1 | tail -3
sha256sum "$OUT/rfm.csv"
stamp "duckdb rfm"; /usr/bin/time -f "$T" "$PY" "$PEERS/rfm_duckdb.py" "$CSV" --as-of 2024-12-29 > "$OUT/duckdb.json"
stamp "pandas rfm"; /usr/bin/time -f "$T" "$PY" "$PEERS/rfm_pandas.py" "$CSV" --as-of 2024-12-29 > "$OUT/pandas.json"
stamp "ecrm clv fit"; /usr/bin/time -f "$T" "$BIN" --db "sqlite://$DB" clv fit --calibration-end 2024-12-28 --time-unit week --json > "$OUT/ecrm_clv.json"
stamp "lifetimes"; /usr/bin/time -f "$T" "$PY" "$PEERS/clv_lifetimes.py" "$CSV" --calibration-end 2024-12-28 > "$OUT/lifetimes.json"
stamp "ecrm compute (first run)"; /usr/bin/time -f "$T" "$BIN" --db "sqlite://$DB" compute --as-of 2024-12-29
stamp "ecrm compute (second run)"; /usr/bin/time -f "$T" "$BIN" --db "sqlite://$DB" compute --as-of 2024-12-29
stamp done
