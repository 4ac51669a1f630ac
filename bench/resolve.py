"""Benchmark: place resolution, the gazetteer lookups every report goes through.

Median and p99 time of `Gazetteer.search` over the place names and sentences of the corpus (tests/corpus/) and
of `Gazetteer.locate` over GPS points around every border district, after one warm-up pass (the polygons' index
is built on first use). Writes bench/results/resolve.json. Run: `python -m bench.resolve` (or `make bench`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from bench.common import percentile, write_results
from bench.corpus import load_corpus
from reports.places import Gazetteer


def _timed(calls: list[Any]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter_ns()
        call()
        out.append((time.perf_counter_ns() - started) / 1000)
    return sorted(out)


def main(n: int = 2000) -> dict[str, Any]:
    """Time `n` text lookups and `n` GPS lookups; write the results file."""
    started = time.perf_counter()
    g = Gazetteer()
    load_s = time.perf_counter() - started
    rng = random.Random(7)
    texts = [c.text for c in load_corpus()]
    names = [d.name_th for d in g.districts.values()] + [d.name_en for d in g.districts.values()]
    queries = [rng.choice(texts + names) for _ in range(n)]
    points = [(d.lat + rng.uniform(-0.05, 0.05), d.lon + rng.uniform(-0.05, 0.05))
              for d in rng.choices(list(g.districts.values()), k=n)]
    for q in queries[:50]:
        g.search(q)
    g.locate(*points[0])
    text_us = _timed([lambda q=q: g.search(q) for q in queries])
    gps_us = _timed([lambda p=p: g.locate(*p) for p in points])
    results = {"n": n, "gazetteer_load_s": round(load_s, 3),
               "text_us": {"median": round(statistics.median(text_us), 1), "p99": round(percentile(text_us, 99), 1)},
               "gps_us": {"median": round(statistics.median(gps_us), 1), "p99": round(percentile(gps_us, 99), 1)},
               "targets": {"text_median_us": 200, "gps_median_us": 100}}
    write_results("resolve", results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    print(main(parser.parse_args().n))
