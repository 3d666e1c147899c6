"""A small road network in real OSM XML, written by the tests themselves.

Mainland (lat 53.00 south row, 53.02 north row, lon 5.00 .. 5.10 every 0.02 degrees, about
1.34 km apart)::

    11 ──► 12 ──► 13 ──► 14 ──► 15 ──► 16 ~~~~ferry~~~~ 41 ~~~~ 21 ── 22 ── 23   (island)
    │             │                     │
    32            35                    34        north row: primary, 100 km/h, ONE-WAY east
    │             │                     │         connectors: residential, 30 km/h
    31            │                     33
    │             │                     │
    1 ──── 2 ──── 3 ──── 4 ──── 5 ──── 6          south row: secondary, 50 km/h from 1 to 4,
           │                    │                 80 km/h from 4 to 6 (one road: node 4
           37 ── 38             36                joins two ways with different speeds)
                                                  dead ends 2-37-38 and 5-36: residential

The ferry (16 - 41 - 21) has ``duration=00:45`` and no ``interval``; the island road 21-22-23
is tertiary at 60 km/h, with dead ends 23-24 (30 km/h) and 22-25 (15 km/h). Lengths are
great-circle metres between nodes (what osmnx computes), so a test can add up any route's
seconds by hand with :func:`route_seconds`.
"""

from __future__ import annotations

from pathlib import Path

import osmnx as ox

NODES: dict[int, tuple[float, float]] = {
    # south row
    1: (5.00, 53.00),
    2: (5.02, 53.00),
    3: (5.04, 53.00),
    4: (5.06, 53.00),
    5: (5.08, 53.00),
    6: (5.10, 53.00),
    # north row
    11: (5.00, 53.02),
    12: (5.02, 53.02),
    13: (5.04, 53.02),
    14: (5.06, 53.02),
    15: (5.08, 53.02),
    16: (5.10, 53.02),
    # shape points of the connectors and a dead end
    31: (5.00, 53.0066),
    32: (5.00, 53.0133),
    33: (5.10, 53.0066),
    34: (5.10, 53.0133),
    35: (5.04, 53.01),
    36: (5.08, 52.99),
    37: (5.02, 52.995),
    38: (5.025, 52.99),
    # ferry shape point and the island
    41: (5.10, 53.06),
    21: (5.10, 53.10),
    22: (5.12, 53.11),
    23: (5.14, 53.12),
    24: (5.16, 53.12),
    25: (5.12, 53.12),
}

WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (101, [1, 2, 3, 4], {"highway": "secondary", "maxspeed": "50", "name": "Zuidweg"}),
    (102, [4, 5, 6], {"highway": "secondary", "maxspeed": "80", "name": "Zuidweg"}),
    (
        103,
        [11, 12, 13, 14, 15, 16],
        {"highway": "primary", "maxspeed": "100", "oneway": "yes", "name": "Noordbaan"},
    ),
    (104, [1, 31, 32, 11], {"highway": "residential", "maxspeed": "30", "name": "Westlaan"}),
    (105, [6, 33, 34, 16], {"highway": "residential", "maxspeed": "30", "name": "Oostlaan"}),
    (106, [3, 35, 13], {"highway": "residential", "maxspeed": "30", "name": "Middenweg"}),
    (107, [5, 36], {"highway": "residential", "maxspeed": "30", "name": "Doodlopend"}),
    (108, [16, 41, 21], {"route": "ferry", "duration": "00:45", "name": "Veerdienst"}),
    (109, [21, 22, 23], {"highway": "tertiary", "maxspeed": "60", "name": "Eilandweg"}),
    (110, [2, 37, 38], {"highway": "residential", "maxspeed": "30", "name": "Hofje"}),
    (111, [23, 24], {"highway": "residential", "maxspeed": "30", "name": "Dorpsstraat"}),
    (112, [22, 25], {"highway": "residential", "maxspeed": "15", "name": "Duinpad"}),
]

FERRY_CROSSING_S = 45 * 60.0


def write_sample_osm(path: Path, *, ferry: bool = True) -> Path:
    """Write the network above as OSM XML (API 0.6) to ``path``; without the ferry way if
    ``ferry`` is False."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    lines += [
        f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        for nid, (lon, lat) in NODES.items()
    ]
    for wid, refs, tags in WAYS:
        if not ferry and tags.get("route") == "ferry":
            continue
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def segment_m(a: int, b: int) -> float:
    """Great-circle metres between two nodes, as osmnx measures an edge."""
    (lon1, lat1), (lon2, lat2) = NODES[a], NODES[b]
    return float(ox.distance.great_circle(lat1, lon1, lat2, lon2))


def route_m(nodes: list[int]) -> float:
    """Metres along a route of consecutive nodes."""
    return sum(segment_m(a, b) for a, b in zip(nodes, nodes[1:], strict=False))


def route_seconds(nodes: list[int], kmh: float) -> float:
    """Seconds along a route of consecutive nodes driven at ``kmh``."""
    return route_m(nodes) / (kmh / 3.6)
