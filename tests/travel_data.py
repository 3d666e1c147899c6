"""Real locations for the travel tests, read straight from the shared reference data
(``gemeenten_2023_points.csv``, ``ferries_nl.csv``), independent of the product's loaders."""

from __future__ import annotations

import csv
from pathlib import Path

from optimizer.domain import FerryLink, Point

LEEUWARDEN = "GM0080"
GRONINGEN = "GM0014"
SCHIERMONNIKOOG = "GM0088"
TERSCHELLING = "GM0093"
VLIELAND = "GM0096"
AMELAND = "GM0060"
TEXEL = "GM0448"
MAASTRICHT = "GM0935"


def municipality_points(shared: Path) -> dict[str, Point]:
    """Representative point of every municipality of 2023, by CBS code, in file order."""
    with (shared / "boundaries" / "gemeenten_2023_points.csv").open(encoding="utf-8") as f:
        return {r["statcode"]: Point(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)}


def ferry_links(shared: Path) -> dict[str, FerryLink]:
    """The ferry of each island municipality; the headway is FerryLink's default."""
    links = {}
    with (shared / "travel" / "ferries_nl.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            links[r["statcode"]] = FerryLink(
                island=r["island"],
                mainland_port=r["mainland_port"],
                mainland=Point(float(r["mainland_lon"]), float(r["mainland_lat"])),
                island_port=r["island_port"],
                island_point=Point(float(r["island_lon"]), float(r["island_lat"])),
                crossing_min=int(r["crossing_min"]),
                fast_crossing_min=int(r["fast_crossing_min"]) if r["fast_crossing_min"] else None,
                cars_allowed=r["cars_allowed"] == "yes",
            )
    return links
