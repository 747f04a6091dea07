"""The DuckDB side of `docs/benchmarks-segments.md`: the default `ecrm bench segments` queries as
SQL over the same customers, exported from the ecrm SQLite store to CSV (DuckDB cannot load its
sqlite extension here). Prints one JSON object: load seconds and per-query count and timings.

    python scripts/segments_duckdb.py FACTS.csv EVENTS.csv AS_OF_MILLIS [RUNS]

FACTS.csv: customer_id,rfm_class,clv_p_alive,lifecycle,value_tier,has_email (one row per customer)
EVENTS.csv: customer_id,name,occurred_at
"""
import json
import statistics
import sys
import time

import duckdb

facts, events, as_of = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
month = as_of - 30 * 86_400_000
con = duckdb.connect()
started = time.perf_counter()
con.execute(f"CREATE TABLE facts AS SELECT * FROM read_csv('{facts}', header=true, all_varchar=false)")
con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{events}', header=true)")
load = time.perf_counter() - started
queries = {
    'rfm.class = "重要价值客户" and clv.p_alive > 0.5':
        "SELECT count(*) FROM facts WHERE rfm_class = '重要价值客户' AND clv_p_alive > 0.5",
    'lifecycle in ("at_risk", "churned") and has email':
        "SELECT count(*) FROM facts WHERE lifecycle IN ('at_risk', 'churned') AND has_email = 1",
    'rfm.class = "重要挽留客户" and count(event "Product Viewed" in last 30 days) >= 3':
        f"SELECT count(*) FROM facts f JOIN (SELECT customer_id, count(*) AS n FROM events "
        f"WHERE name = 'Product Viewed' AND occurred_at >= {month} GROUP BY customer_id) e "
        f"USING (customer_id) WHERE f.rfm_class = '重要挽留客户' AND e.n >= 3",
    'value_tier = "platinum" and count(event "Product Viewed" in last 30 days) >= 1':
        f"SELECT count(*) FROM facts f JOIN (SELECT customer_id, count(*) AS n FROM events "
        f"WHERE name = 'Product Viewed' AND occurred_at >= {month} GROUP BY customer_id) e "
        f"USING (customer_id) WHERE f.value_tier = 'platinum' AND e.n >= 1",
}
out = {"load_seconds": load, "rows": con.execute("SELECT count(*) FROM facts").fetchone()[0], "queries": []}
for text, sql in queries.items():
    count = con.execute(sql).fetchone()[0]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        con.execute(sql).fetchone()
        times.append((time.perf_counter() - started) * 1000)
    out["queries"].append({"query": text, "count": count, "min_ms": min(times), "p50_ms": statistics.median(times)})
print(json.dumps(out, ensure_ascii=False, indent=1))
