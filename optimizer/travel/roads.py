"""The ``roads`` travel model: fastest routes over an OpenStreetMap road network (osmnx).

Three steps, each a function:

1. **Get a graph.** :func:`download_drive_graph` fetches the Dutch drive network (motorway
   down to tertiary roads) inside the country's outline with osmnx, adds osmnx's speeds and
   travel times and the ferry links to the car islands, and saves GraphML.
   :func:`read_graph` loads such a GraphML, an osmnx GeoPackage, or an OSM XML file
   (``.osm``; ways tagged ``route=ferry`` become ferry edges).
2. **Freeze it** into plain arrays: :class:`RoadGraph` (nodes' coordinates; edges' metres,
   seconds and ferry flags), which can be cached as ``.npz``.
3. **Route.** :func:`road_matrix` snaps every location to its nearest node of the graph's
   largest strongly connected component (a KD-tree in RD New, EPSG:28992) and runs
   :func:`scipy.sparse.csgraph.dijkstra` once per distinct source node (``indices=``, in
   chunks to bound memory), never one call per pair.

Edge costs and units: a road edge costs its osmnx ``travel_time`` (seconds, free-flow speed
from ``maxspeed`` or the Dutch default of its highway type). A ferry edge costs its crossing
(OSM ``duration``, or ``length`` at ``ferry_speed_kmh``) plus ``ferry_wait_fraction`` times
its headway (OSM ``interval``, or ``default_ferry_headway_min``). Routes minimise time; among
equally fast routes the shorter one counts. Both are found in one Dijkstra run by the
lexicographic weight ``centiseconds * 2**26 + decimetres``, exact in float64 (every partial
sum is an integer below 2**53) for routes shorter than 6,710 km and 15 days.

A location reaches its node by an *access leg*: the straight line times ``circuity`` at
``speed_short_kmh``. A location on an island (one with a :class:`~optimizer.domain.FerryLink`)
may also be reached on foot from its mainland port as in the crowfly model (car left at the
port, fastest ferry, ``island_speed_kmh`` on the island); the faster way counts. Car-free
islands are only reached that way, and an island whose ferry is not in the graph too. The
destination's parking allowance is added to every trip.
"""

from __future__ import annotations

import logging
import math
import os
import re
import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from optimizer.domain import FerryLink, Point
from optimizer.errors import DataError, NetworkError, TravelError
from optimizer.travel.crowfly import (
    haversine_m,
    island_access,
    on_island_minutes,
    point_distance_m,
)
from optimizer.travel.settings import TravelSettings

log = logging.getLogger(__name__)

GRAPH_FILE = "nl_drive.graphml"
"""File name of the downloaded national drive graph inside ``data/roads/``."""

DRIVE_FILTER = (
    '["highway"~"^(motorway|trunk|primary|secondary|tertiary)(_link)?$"]'
    '["area"!~"yes"]["access"!~"^(private|no)$"]["motor_vehicle"!~"^(private|no)$"]'
    '["motorcar"!~"^(private|no)$"]'
)
"""Overpass way filter of the national drive network: motorway down to tertiary roads."""

NL_DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100,
    "motorway_link": 70,
    "trunk": 80,
    "trunk_link": 60,
    "primary": 80,
    "primary_link": 50,
    "secondary": 80,
    "secondary_link": 50,
    "tertiary": 60,
    "tertiary_link": 40,
    "unclassified": 60,
    "residential": 30,
    "living_street": 15,
    "service": 15,
    "ferry": 20,
}
"""Speeds (km/h) of edges without a ``maxspeed``: the Dutch general limits by road type."""

FERRY_WAY_TAGS = ("route", "duration", "interval")
"""OSM way tags osmnx must keep (beside its defaults) to recognise ferries in XML."""

OVERPASS_HOST = "overpass-api.de"
_LENGTH_BITS = 26
_SCALE = float(2**_LENGTH_BITS)
_TIME_UNITS_PER_S = 100.0
_LENGTH_UNITS_PER_M = 10.0
_DIJKSTRA_CELLS = 8_000_000
"""Distances Dijkstra may hold at once (8 bytes each): sources per chunk = this / nodes."""


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph as arrays. Nodes: ``lon``/``lat`` in degrees. Edges ``src ->
    dst`` (node indices): ``length_m`` metres; ``time_s`` seconds (for a ferry the crossing
    alone, NaN if unknown); ``ferry`` flags ferry edges; ``headway_s`` a ferry's headway in
    seconds (NaN: unknown); ``ferry_share`` the part of its ferry way an edge covers (the
    wait for a departure is shared out over a way's edges like its crossing)."""

    lon: np.ndarray
    lat: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    ferry: np.ndarray
    headway_s: np.ndarray
    ferry_share: np.ndarray
    source: str = "road graph"

    @property
    def n_nodes(self) -> int:
        return int(self.lon.size)

    @property
    def n_edges(self) -> int:
        return int(self.src.size)

    def edge_seconds(self, settings: TravelSettings) -> np.ndarray:
        """Seconds to traverse each edge: travel time, or a ferry's crossing plus wait."""
        seconds = self.time_s.astype(float, copy=True)
        if self.ferry.any():
            f = self.ferry
            crossing = np.where(
                np.isnan(seconds[f]),
                self.length_m[f] / (settings.ferry_speed_kmh / 3.6),
                seconds[f],
            )
            headway = np.where(
                np.isnan(self.headway_s[f]),
                settings.default_ferry_headway_min * 60.0,
                self.headway_s[f],
            )
            wait = settings.ferry_wait_fraction * headway * self.ferry_share[f]
            seconds[f] = crossing + wait
        return seconds

    def save_npz(self, path) -> None:
        """Write the arrays to ``path`` (an ``.npz`` file name or a binary file)."""
        np.savez(
            path,
            **{k: getattr(self, k) for k in _ARRAYS},
            source=np.array(self.source),
        )

    @classmethod
    def load_npz(cls, path: Path) -> RoadGraph:
        """Read arrays written by :meth:`save_npz`."""
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in _ARRAYS}
            return cls(**arrays, source=str(data["source"]))


_ARRAYS = ("lon", "lat", "src", "dst", "length_m", "time_s", "ferry", "headway_s", "ferry_share")


# --------------------------------------------------------------------------- reading graphs


def load_road_graph(path: Path) -> RoadGraph:
    """Read a road graph file (GraphML, GeoPackage or OSM XML) into a :class:`RoadGraph`;
    any problem with the file is a :class:`TravelError` naming it."""
    graph = read_graph(path)
    return road_graph_from_networkx(graph, source=str(path))


def read_graph(path: Path) -> nx.MultiDiGraph:
    """An osmnx MultiDiGraph from ``.graphml``, ``.gpkg`` or ``.osm``/``.xml``, with speeds
    and travel times (added if the file lacks them)."""
    path = check_graph_file(path)
    readers = {".graphml": _read_graphml, ".gpkg": _read_geopackage, ".osm": graph_from_osm_xml}
    readers[".xml"] = graph_from_osm_xml
    suffix = path.suffix.lower()
    try:
        graph = readers[suffix](path)
    except TravelError:
        raise
    except Exception as exc:  # the readers of three libraries fail in many ways
        raise TravelError(
            f"{path}: not a readable road graph ({type(exc).__name__}: {exc})"
        ) from exc
    if graph.number_of_edges() == 0:
        raise TravelError(f"{path}: the road graph has no edges")
    return graph


GRAPH_SUFFIXES = (".graphml", ".gpkg", ".osm", ".xml")


def check_graph_file(path: Path | None) -> Path:
    """``path`` if it is a file of a known road graph format, else a :class:`TravelError`
    saying how to get one."""
    if path is None or not Path(path).is_file():
        raise TravelError(
            f"{path}: no road graph file here. Run `optimizer roads download` on a machine "
            "with internet (it writes data/roads/nl_drive.graphml), or pass --graph with a "
            ".graphml, .gpkg or .osm file"
        )
    path = Path(path)
    if path.suffix.lower() not in GRAPH_SUFFIXES:
        raise TravelError(
            f"{path}: unknown road graph format {path.suffix!r}; use .graphml, .gpkg or .osm"
        )
    return path


def graph_from_osm_xml(path: Path, *, simplify: bool = False) -> nx.MultiDiGraph:
    """Build a drive graph from an OSM XML file: every way becomes edges (one-way streets
    one direction only), ``route=ferry`` ways ferry edges, with speeds and travel times.
    Not simplified by default, so that every OSM node stays a place a location can snap to
    (simplifying keeps travel times exact: they are summed per merged edge)."""
    import osmnx as ox

    with _keep_way_tags(FERRY_WAY_TAGS):
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    return prepare_drive_graph(graph, simplify=simplify)


def prepare_drive_graph(graph: nx.MultiDiGraph, *, simplify: bool = True) -> nx.MultiDiGraph:
    """Mark ferry edges, add osmnx speeds (``maxspeed`` or the Dutch defaults) and travel
    times, then simplify (travel times and ferry crossings are summed, never averaged)."""
    import osmnx as ox

    _mark_ferries(graph)
    ox.routing.add_edge_speeds(graph, hwy_speeds=NL_DEFAULT_SPEEDS_KMH, fallback=50.0)
    ox.routing.add_edge_travel_times(graph)
    if simplify and not graph.graph.get("simplified"):
        graph = ox.simplify_graph(
            graph,
            edge_attrs_differ=["route"],
            edge_attr_aggs={
                "length": sum,
                "travel_time": sum,
                "ferry_crossing_s": sum,
                "ferry_headway_s": max,
                "ferry_share": sum,
            },
        )
    return graph


def add_ferry_edges(graph: nx.MultiDiGraph, ferries: Iterable[FerryLink]) -> list[str]:
    """Add both directions of each car ferry between the nodes nearest its two ports
    (osmnx's drive graphs leave ferries out); returns the islands linked. Car-free islands
    get no edge: there the car stays on the mainland (see :func:`road_matrix`)."""
    linked = []
    for ferry in {f.island: f for f in ferries if f.cars_allowed}.values():
        mainland, island = _nearest_graph_nodes(graph, [ferry.mainland, ferry.island_point])
        length = point_distance_m(ferry.mainland, ferry.island_point)
        attrs = {
            "highway": "ferry",
            "route": "ferry",
            "name": f"ferry {ferry.mainland_port} - {ferry.island_port}",
            "length": length,
            "speed_kph": length / 1000 / (ferry.crossing_min / 60),
            "travel_time": ferry.crossing_min * 60.0,
            "ferry_crossing_s": ferry.crossing_min * 60.0,
            "ferry_headway_s": ferry.headway_min * 60.0,
            "ferry_share": 1.0,
            "oneway": False,
        }
        graph.add_edge(mainland, island, **attrs, reversed=False)
        graph.add_edge(island, mainland, **attrs, reversed=True)
        linked.append(ferry.island)
    return linked


def _nearest_graph_nodes(graph: nx.MultiDiGraph, points: Sequence[Point]) -> list:
    """The nodes of an unprojected osmnx graph nearest to ``points`` (KD-tree in RD New)."""
    from pyproj import Transformer

    rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    nodes = list(graph.nodes)
    x, y = rd.transform([graph.nodes[n]["x"] for n in nodes], [graph.nodes[n]["y"] for n in nodes])
    px, py = rd.transform([p.lon for p in points], [p.lat for p in points])
    _, pos = cKDTree(np.column_stack([x, y])).query(np.column_stack([px, py]))
    return [nodes[i] for i in pos]


def road_graph_from_networkx(graph: nx.MultiDiGraph, *, source: str = "road graph") -> RoadGraph:
    """Freeze an osmnx graph (nodes with ``x``/``y``, edges with ``length`` and
    ``travel_time``) into a :class:`RoadGraph`."""
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    try:
        lon = np.array([float(graph.nodes[n]["x"]) for n in nodes])
        lat = np.array([float(graph.nodes[n]["y"]) for n in nodes])
    except KeyError as exc:
        raise TravelError(f"{source}: a node has no coordinate {exc}") from exc
    rows = []
    for u, v, data in graph.edges(data=True):
        is_ferry = _is_ferry(data)
        try:
            length = _number(data["length"])
            seconds = (
                _number(data.get("ferry_crossing_s", math.nan))
                if is_ferry
                else _number(data["travel_time"])
            )
        except KeyError as exc:
            raise TravelError(f"{source}: edge {u}->{v} has no {exc} attribute") from exc
        headway = _number(data.get("ferry_headway_s", math.nan)) if is_ferry else math.nan
        share = _number(data.get("ferry_share", 1.0)) if is_ferry else 0.0
        rows.append((index[u], index[v], length, seconds, is_ferry, headway, share))
    columns = (np.array(c) for c in zip(*rows, strict=True))
    src, dst, length_m, time_s, ferry, headway_s, share = columns
    return RoadGraph(
        lon=lon,
        lat=lat,
        src=src.astype(np.int32),
        dst=dst.astype(np.int32),
        length_m=length_m.astype(float),
        time_s=time_s.astype(float),
        ferry=ferry.astype(bool),
        headway_s=headway_s.astype(float),
        ferry_share=share.astype(float),
        source=source,
    )


_FERRY_DTYPES = {"ferry_crossing_s": float, "ferry_headway_s": float, "ferry_share": float}


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    graph = ox.load_graphml(path, edge_dtypes=_FERRY_DTYPES)
    return _with_travel_times(graph)


def _read_geopackage(path: Path) -> nx.MultiDiGraph:
    import geopandas as gpd
    import osmnx as ox

    nodes = gpd.read_file(path, layer="nodes").set_index("osmid")
    edges = gpd.read_file(path, layer="edges").set_index(["u", "v", "key"])
    return _with_travel_times(ox.graph_from_gdfs(nodes, edges))


def _with_travel_times(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    if all("travel_time" in d for _, _, d in graph.edges(data=True)):
        return graph
    return prepare_drive_graph(graph, simplify=False)


def _mark_ferries(graph: nx.MultiDiGraph) -> None:
    """Give ferry edges ``highway=ferry``, their share of the way's length, the crossing
    (``duration``, shared out over the way's edges by length) and the way's headway
    (``interval``) in seconds."""
    way_length: dict[Any, float] = defaultdict(float)
    ferries = [d for _, _, d in graph.edges(data=True) if _is_ferry(d)]
    for data in ferries:
        if not data.get("reversed", False):
            way_length[str(data.get("osmid"))] += float(data["length"])
    for data in ferries:
        total = way_length.get(str(data.get("osmid")), 0.0)
        share = float(data["length"]) / total if total > 0 else 1.0
        data["highway"] = "ferry"
        data.setdefault("ferry_crossing_s", parse_osm_duration_s(data.get("duration")) * share)
        data.setdefault("ferry_headway_s", parse_osm_duration_s(data.get("interval")))
        data.setdefault("ferry_share", share)


def _is_ferry(data: Mapping[str, Any]) -> bool:
    route = data.get("route")
    return route == "ferry" or (isinstance(route, list) and "ferry" in route)


def _number(value: Any) -> float:
    """A float from an attribute that simplification may have turned into a list."""
    if isinstance(value, list):
        return float(sum(float(v) for v in value))
    return float(value)


_DURATION = re.compile(r"^\s*(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?\s*$")


def parse_osm_duration_s(value: Any) -> float:
    """Seconds of an OSM ``duration``/``interval`` value (``"mm"``, ``"hh:mm"``,
    ``"hh:mm:ss"``); NaN when absent or unreadable."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return math.nan
    match = _DURATION.match(str(value))
    if not match:
        return math.nan
    a, b, c = match.groups()
    if b is None:
        return int(a) * 60.0
    return int(a) * 3600.0 + int(b) * 60.0 + int(c or 0)


@contextmanager
def _keep_way_tags(tags: Iterable[str]) -> Iterator[None]:
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = saved + [t for t in tags if t not in saved]
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


# --------------------------------------------------------------------------- downloading


def download_drive_graph(
    outline, ferries: Iterable[FerryLink], dest: Path, *, file_name: str = GRAPH_FILE
) -> Path:
    """Download the drive network inside ``outline`` (a WGS84 shapely polygon) from the
    Overpass API with osmnx, prepare it, add the car ferries, keep the largest connected part
    and save GraphML to ``dest/file_name`` (atomically). Raises :class:`NetworkError` when the
    API cannot be reached. Takes long (tens of requests) and needs a few GB of memory."""
    import osmnx as ox
    import requests

    check_overpass_reachable()
    try:
        graph = ox.graph_from_polygon(
            outline,
            custom_filter=DRIVE_FILTER,
            simplify=False,
            retain_all=True,
            truncate_by_edge=True,
        )
    except (
        requests.RequestException,
        OSError,
        ox._errors.InsufficientResponseError,
        ox._errors.ResponseStatusCodeError,
    ) as exc:
        raise NetworkError(_offline_message(f"{type(exc).__name__}: {exc}")) from exc
    graph = prepare_drive_graph(graph)
    linked = add_ferry_edges(graph, ferries)
    log.info("ferries added to %s", ", ".join(linked) or "no island")
    graph = ox.truncate.largest_component(graph, strongly=False)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / file_name
    tmp = path.with_name(path.name + ".tmp")
    ox.save_graphml(graph, tmp)
    os.replace(tmp, path)
    return path


def outline_from_boundaries(path: Path, *, buffer_m: float = 1000.0):
    """The union of all polygons in a boundaries file (provinces or municipalities), grown by
    ``buffer_m`` metres (in RD New) so that roads along the generalised coast and border stay
    in; a WGS84 shapely (Multi)Polygon."""
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataError(f"{path}: cannot read the boundaries ({exc})") from exc
    if frame.empty or frame.crs is None:
        raise DataError(f"{path}: no polygons with a coordinate system in the boundaries file")
    grown = frame.to_crs(28992).union_all().buffer(buffer_m)
    return gpd.GeoSeries([grown], crs=28992).to_crs(4326).iloc[0]


def check_overpass_reachable(host: str = OVERPASS_HOST, timeout_s: float = 10.0) -> None:
    """Raise :class:`NetworkError` at once when the Overpass API's host cannot be reached,
    instead of letting osmnx retry for minutes."""
    try:
        with socket.create_connection((host, 443), timeout=timeout_s):
            pass
    except OSError as exc:
        raise NetworkError(_offline_message(f"cannot reach {host}: {exc}")) from exc


def _offline_message(detail: str) -> str:
    return (
        f"cannot download the road network from OpenStreetMap ({detail}). On a machine with "
        "internet run `optimizer roads download`, then copy data/roads/nl_drive.graphml here; "
        "or pass --graph with a .osm file; or use `--model crowfly`"
    )


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class _Option:
    """One way into the road graph for a location: a node and the extra minutes/metres
    between the location and that node (access leg, and for islands the ferry)."""

    node: int
    minutes: float
    metres: float


def road_matrix(
    graph: RoadGraph,
    ids: Sequence[str],
    points: Sequence[Point],
    ferries: Mapping[str, FerryLink],
    settings: TravelSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and metres (float n x n, asymmetric) between the locations over ``graph``.

    Each location has one or two ways into the graph (:class:`_Option`); a trip takes the
    fastest pair of them, or the direct trip on the island when both ends lie on the same
    one. Raises :class:`TravelError` naming a location that lies farther than
    ``max_snap_m`` from every node.
    """
    weights = _lexicographic_weights(graph, settings)
    matrix = _csr(graph, weights)
    snapper = _Snapper(graph, _largest_strong_component(matrix))
    options = _options(graph, ids, points, ferries, settings, snapper)

    nodes = np.array([o.node for opts in options for o in opts])
    unique, inverse = np.unique(nodes, return_inverse=True)
    route_min, route_m = _routes(matrix, unique)
    extra_min = np.array([o.minutes for opts in options for o in opts])
    extra_m = np.array([o.metres for opts in options for o in opts])
    all_min = extra_min[:, None] + route_min[np.ix_(inverse, inverse)] + extra_min[None, :]
    all_m = extra_m[:, None] + route_m[np.ix_(inverse, inverse)] + extra_m[None, :]

    minutes, metres = _best_pairs(options, all_min, all_m)
    _direct_on_islands(ids, points, ferries, settings, minutes, metres)
    unreachable = np.argwhere(~np.isfinite(minutes))
    if unreachable.size:
        i, j = unreachable[0]
        raise TravelError(f"{graph.source}: no road route from {ids[i]} to {ids[j]}")
    minutes += settings.parking_min
    np.fill_diagonal(minutes, 0.0)
    np.fill_diagonal(metres, 0.0)
    return minutes, metres


def _lexicographic_weights(graph: RoadGraph, settings: TravelSettings) -> np.ndarray:
    """Edge weights ``centiseconds * 2**26 + decimetres``: one Dijkstra run minimises time,
    then length."""
    time = np.rint(graph.edge_seconds(settings) * _TIME_UNITS_PER_S)
    length = np.rint(graph.length_m * _LENGTH_UNITS_PER_M)
    bad_length = ~np.isfinite(length) | (length < 0) | (length >= _SCALE)
    if np.any(bad_length) or np.any(~np.isfinite(time)) or np.any(time < 0):
        raise TravelError(f"{graph.source}: an edge has an invalid length or travel time")
    return np.maximum(time * _SCALE + length, 1.0)


def _csr(graph: RoadGraph, weights: np.ndarray) -> csr_matrix:
    """The adjacency matrix, keeping the cheapest of parallel edges."""
    n = graph.n_nodes
    key = graph.src.astype(np.int64) * n + graph.dst
    order = np.lexsort((weights, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    return csr_matrix((weights[keep], (graph.src[keep], graph.dst[keep])), shape=(n, n))


def _largest_strong_component(matrix: csr_matrix) -> np.ndarray:
    """Mask of the nodes from which every other node of the mask can be reached and back."""
    _, labels = connected_components(matrix, directed=True, connection="strong")
    return labels == np.bincount(labels).argmax()


class _Snapper:
    """Nearest node of the largest strongly connected component, in RD New metres."""

    def __init__(self, graph: RoadGraph, mask: np.ndarray) -> None:
        from pyproj import Transformer

        self._rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
        self.nodes = np.flatnonzero(mask)
        x, y = self._rd.transform(graph.lon[self.nodes], graph.lat[self.nodes])
        self._tree = cKDTree(np.column_stack([x, y]))
        ferry_nodes = np.unique(np.concatenate([graph.src[graph.ferry], graph.dst[graph.ferry]]))
        ferry_nodes = ferry_nodes[mask[ferry_nodes]]
        fx, fy = self._rd.transform(graph.lon[ferry_nodes], graph.lat[ferry_nodes])
        self._ferry_xy = np.column_stack([fx, fy])

    def snap(self, points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
        """Node index and straight-line metres of each point's nearest node."""
        x, y = self._rd.transform([p.lon for p in points], [p.lat for p in points])
        dist, pos = self._tree.query(np.column_stack([x, y]))
        return self.nodes[pos], dist

    def ferry_lands_near(self, point: Point, radius_m: float) -> bool:
        """Whether a ferry edge of the graph ends within ``radius_m`` of ``point``."""
        if not len(self._ferry_xy):
            return False
        x, y = self._rd.transform(point.lon, point.lat)
        return bool(
            np.min(np.hypot(self._ferry_xy[:, 0] - x, self._ferry_xy[:, 1] - y)) <= radius_m
        )


def _options(
    graph: RoadGraph,
    ids: Sequence[str],
    points: Sequence[Point],
    ferries: Mapping[str, FerryLink],
    settings: TravelSettings,
    snapper: _Snapper,
) -> list[list[_Option]]:
    """Per location, its ways into the graph: by road from its own point (not for car-free
    islands, nor islands whose ferry the graph lacks) and, for islands, on foot from the
    mainland port."""
    own_node, own_dist = snapper.snap(points)
    ports = [ferries[i].mainland if i in ferries else p for i, p in zip(ids, points, strict=True)]
    port_node, port_dist = snapper.snap(ports)
    result = []
    for k, (lid, point) in enumerate(zip(ids, points, strict=True)):
        ferry = ferries.get(lid)
        opts = []
        by_road = ferry is None or (
            ferry.cars_allowed and snapper.ferry_lands_near(ferry.island_point, settings.max_snap_m)
        )
        if by_road and own_dist[k] <= settings.max_snap_m:
            opts.append(_Option(int(own_node[k]), *_access_leg(own_dist[k], settings)))
        elif ferry is None:
            raise TravelError(_far_message(lid, point, own_dist[k], graph, settings))
        if ferry is not None:
            if port_dist[k] > settings.max_snap_m:
                raise TravelError(
                    _far_message(lid, ferry.mainland, port_dist[k], graph, settings)
                    + f" (its ferry port {ferry.mainland_port})"
                )
            leg_min, leg_m = _access_leg(port_dist[k], settings)
            foot = island_access(point, ferry, settings, by_car=False)
            opts.append(_Option(int(port_node[k]), leg_min + foot.minutes, leg_m + foot.metres))
        result.append(opts)
    return result


def _access_leg(straight_m: float, settings: TravelSettings) -> tuple[float, float]:
    """Minutes and metres between a location and its node (circuity, ``speed_short_kmh``)."""
    road_m = float(straight_m) * settings.circuity
    return road_m / 1000.0 / settings.speed_short_kmh * 60.0, road_m


def _far_message(lid: str, point: Point, dist: float, graph: RoadGraph, settings) -> str:
    return (
        f"location {lid} at ({point.lon:.5f}, {point.lat:.5f}) is {dist / 1000:.1f} km from "
        f"the nearest road of {graph.source} (more than max_snap_m = {settings.max_snap_m:.0f} "
        "m): wrong coordinates, or a graph that does not cover it"
    )


def _routes(matrix: csr_matrix, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and metres of the fastest routes between all ``nodes`` (inf: no route)."""
    chunk = max(1, _DIJKSTRA_CELLS // matrix.shape[0])
    rows = []
    for start in range(0, nodes.size, chunk):
        dist = dijkstra(matrix, directed=True, indices=nodes[start : start + chunk])
        rows.append(dist[:, nodes])
    combined = np.vstack(rows)
    time = np.floor(combined / _SCALE)
    length = combined - time * _SCALE
    return time / _TIME_UNITS_PER_S / 60.0, length / _LENGTH_UNITS_PER_M


def _best_pairs(
    options: list[list[_Option]], all_min: np.ndarray, all_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of locations the fastest pair of their options (rows and columns of
    ``all_*`` are the options in order)."""
    starts = np.cumsum([0] + [len(o) for o in options[:-1]])
    counts = np.array([len(o) for o in options])
    first, last = starts, starts + counts - 1
    minutes = all_min[np.ix_(first, first)].copy()
    metres = all_m[np.ix_(first, first)].copy()
    for a in (first, last):
        for b in (first, last):
            cand_min = all_min[np.ix_(a, b)]
            better = cand_min < minutes
            minutes = np.where(better, cand_min, minutes)
            metres = np.where(better, all_m[np.ix_(a, b)], metres)
    return minutes, metres


def _direct_on_islands(
    ids: Sequence[str],
    points: Sequence[Point],
    ferries: Mapping[str, FerryLink],
    settings: TravelSettings,
    minutes: np.ndarray,
    metres: np.ndarray,
) -> None:
    """Between two places on the same island the direct trip on it counts when faster."""
    on = [k for k, lid in enumerate(ids) if lid in ferries]
    for a in on:
        for b in on:
            fa, fb = ferries[ids[a]], ferries[ids[b]]
            if a == b or fa.island != fb.island:
                continue
            pa, pb = points[a], points[b]
            road_m = settings.circuity * float(haversine_m(pa.lon, pa.lat, pb.lon, pb.lat))
            direct = float(on_island_minutes(np.array(road_m), np.array(fa.cars_allowed), settings))
            if direct < minutes[a, b]:
                minutes[a, b], metres[a, b] = direct, road_m
