"""Travel-matrix benchmark: ``python -m benchmarks.travel_bench`` from the repository root.

Measures, on the machine at hand:

1. the ``crowfly`` matrix over all 354 organisations (the product's own loader, boundaries
   from ``$OPTIMIZER_DATA_DIR`` or ``../shared/data/boundaries``) and 13 home bases: median
   build time of several runs without cache, and median time to load it from the cache;
2. the ``roads`` model on a synthetic national-size road graph (a perturbed grid of at least
   200,000 nodes over the Netherlands' bounding box, with motorways, secondary roads, local
   roads and one-way streets): time and peak memory of the 360 x 360 matrix (snapping plus
   one multi-source Dijkstra run per distinct node).

Writes ``benchmarks/results/travel.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIMIZER_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "travel.json"

NL_BBOX = (3.36, 50.75, 7.23, 53.56)
"""lon_min, lat_min, lon_max, lat_max of the Netherlands (WGS84 degrees)."""

BASES = [  # 5 team members and 8 trainers, at municipalities spread over the country
    "GM0014", "GM0344", "GM0796", "GM0193", "GM0518",
    "GM0080", "GM0363", "GM0599", "GM0935", "GM0202", "GM0687", "GM0106", "GM0153",
]  # fmt: skip


def national_locations():
    """(locations, ferries): the 354 organisations and the 13 bases, as the product sees
    them."""
    os.environ.setdefault("OPTIMIZER_DATA_DIR", str(SHARED / "boundaries"))
    from optimizer.data.organisations import load_organisations
    from optimizer.travel import travel_locations

    organisations = load_organisations()
    return travel_locations(organisations, {f"P{i + 1}": code for i, code in enumerate(BASES)})


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_crowfly(locations, ferries, runs: int) -> dict:
    from optimizer.travel import build_travel_matrix

    build_travel_matrix(locations, ferries=ferries)  # warm-up (imports, caches)
    build_s = median_seconds(lambda: build_travel_matrix(locations, ferries=ferries), runs)
    with tempfile.TemporaryDirectory() as cache:
        build_travel_matrix(locations, ferries=ferries, cache_dir=Path(cache))
        load_s = median_seconds(
            lambda: build_travel_matrix(locations, ferries=ferries, cache_dir=Path(cache)), runs
        )
    return {
        "locations": len(locations),
        "runs": runs,
        "build_s_median": round(build_s, 5),
        "cached_load_s_median": round(load_s, 5),
    }


def synthetic_national_graph(min_nodes: int = 200_000, seed: int = 0):
    """A perturbed grid over :data:`NL_BBOX` with at least ``min_nodes`` nodes (about 500 m
    by 750 m cells): every 40th row and column a motorway (100 km/h), every 10th a secondary
    road (80 km/h), the rest local roads (50 km/h, 30 km/h for a fifth); 3 % of the local
    streets dropped, 5 % one-way; edge lengths are great-circle times 1.0-1.2."""
    from optimizer.travel.crowfly import haversine_m
    from optimizer.travel.roads import RoadGraph

    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = NL_BBOX
    cols = 520
    rows = -(-min_nodes // cols)
    dlon, dlat = (lon1 - lon0) / (cols - 1), (lat1 - lat0) / (rows - 1)
    grid_lon, grid_lat = np.meshgrid(lon0 + dlon * np.arange(cols), lat0 + dlat * np.arange(rows))
    lon = (grid_lon + rng.uniform(-0.3, 0.3, grid_lon.shape) * dlon).ravel()
    lat = (grid_lat + rng.uniform(-0.3, 0.3, grid_lat.shape) * dlat).ravel()
    node = np.arange(rows * cols).reshape(rows, cols)

    def road_class(index: np.ndarray) -> np.ndarray:
        return np.where(index % 40 == 0, 100.0, np.where(index % 10 == 0, 80.0, 0.0))

    # horizontal edges lie on a row, vertical ones on a column: the line's class sets speed
    h_src, h_dst = node[:, :-1].ravel(), node[:, 1:].ravel()
    h_speed = np.repeat(road_class(np.arange(rows)), cols - 1)
    v_src, v_dst = node[:-1, :].ravel(), node[1:, :].ravel()
    v_speed = np.tile(road_class(np.arange(cols)), rows - 1)
    src = np.concatenate([h_src, v_src])
    dst = np.concatenate([h_dst, v_dst])
    speed = np.concatenate([h_speed, v_speed])
    local = speed == 0
    speed[local] = np.where(rng.random(local.sum()) < 0.2, 30.0, 50.0)
    keep = ~local | (rng.random(src.size) > 0.03)
    src, dst, speed, local = src[keep], dst[keep], speed[keep], local[keep]
    one_way = local & (rng.random(src.size) < 0.05)
    src, dst, speed = (
        np.concatenate([src, dst[~one_way]]),
        np.concatenate([dst, src[~one_way]]),
        np.concatenate([speed, speed[~one_way]]),
    )
    length = haversine_m(lon[src], lat[src], lon[dst], lat[dst]) * rng.uniform(1.0, 1.2, src.size)
    return RoadGraph(
        lon=lon,
        lat=lat,
        src=src.astype(np.int32),
        dst=dst.astype(np.int32),
        length_m=length,
        time_s=length / (speed / 3.6),
        ferry=np.zeros(src.size, dtype=bool),
        headway_s=np.full(src.size, np.nan),
        ferry_share=np.zeros(src.size),
        source="synthetic national grid",
    )


def bench_roads(locations, ferries, n_locations: int) -> dict:
    from optimizer.travel import TravelSettings
    from optimizer.travel.roads import road_matrix

    started = time.perf_counter()
    graph = synthetic_national_graph()
    generate_s = time.perf_counter() - started
    ids = list(locations)[:n_locations]
    points = [locations[i] for i in ids]
    island = {i: ferries[i] for i in ids if i in ferries}
    arrays_mb = sum(getattr(graph, k).nbytes for k in ("lon", "lat", "src", "dst", "length_m",
                                                        "time_s", "ferry", "headway_s",
                                                        "ferry_share")) / 2**20  # fmt: skip

    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    minutes, metres = road_matrix(graph, ids, points, island, TravelSettings())
    matrix_s, matrix_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    off = ~np.eye(len(ids), dtype=bool)
    return {
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "graph_arrays_mb": round(arrays_mb, 1),
        "generate_s": round(generate_s, 2),
        "locations": len(ids),
        "matrix_s": round(matrix_s, 2),
        "matrix_cpu_s": round(matrix_cpu_s, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "matrix_peak_traced_mb": round(peak / 2**20, 1),
        "process_max_rss_mb": round(_max_rss_mb(), 1),
        "median_trip_min": float(np.median(minutes[off])),
        "median_trip_km": float(np.median(metres[off]) / 1000),
    }


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def markdown(results: dict) -> str:
    c, r = results["crowfly"], results["roads_synthetic"]
    rows = [
        (f"crowfly matrix, build (median of {c['runs']})", f"{c['locations']} locations",
         f"{c['build_s_median'] * 1000:.1f} ms"),
        ("crowfly matrix, cached load (median)", f"{c['locations']} locations",
         f"{c['cached_load_s_median'] * 1000:.1f} ms"),
        ("roads matrix, synthetic national graph",
         f"{r['nodes']:,} nodes, {r['edges']:,} edges, {r['locations']} x {r['locations']}",
         f"{r['matrix_s']:.1f} s wall, {r['matrix_cpu_s']:.1f} s CPU"),
        ("roads matrix, peak traced memory", "numpy/scipy allocations during routing",
         f"{r['matrix_peak_traced_mb']:.0f} MB"),
        ("roads benchmark, process peak RSS",
         f"graph arrays {r['graph_arrays_mb']:.0f} MB included",
         f"{r['process_max_rss_mb']:.0f} MB"),
    ]  # fmt: skip
    lines = ["| measure | size | result |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {v} |" for a, b, v in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs for the crowfly medians")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    locations, ferries = national_locations()
    results = {
        "command": "python -m benchmarks.travel_bench",
        "machine": machine(),
        "crowfly": bench_crowfly(locations, ferries, args.runs),
        "roads_synthetic": bench_roads(locations, ferries, n_locations=360),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    print(f"\nwrote {args.out}")
    return results


if __name__ == "__main__":
    main()
