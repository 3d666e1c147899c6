"""The one way to ask for travel: :func:`build_travel_matrix`, with an on-disk cache.

A matrix is keyed by everything it depends on: the location ids in order and their
coordinates, the ferries, the model, the settings, and for the ``roads`` model the graph
file's identity (resolved path, size, modification time). It is stored as
``travel-<model>-<key>.npz`` in the cache folder, written to a temporary file first and then
renamed, so a crashed or concurrent run never leaves half a file. A cache file that cannot be
read is ignored and rewritten. The roads model also caches the frozen arrays of its graph
(``roadgraph-<key>.npz``), since parsing a national GraphML takes minutes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

from optimizer.domain import FerryLink, Organisation, Point, TravelMatrix, base_id
from optimizer.errors import TravelError
from optimizer.travel.crowfly import crowfly_matrix
from optimizer.travel.settings import TravelSettings

log = logging.getLogger(__name__)

MODELS = ("crowfly", "roads")
CACHE_VERSION = 1


def build_travel_matrix(
    locations: Mapping[str, Point],
    *,
    ferries: Mapping[str, FerryLink] = {},  # noqa: B006 - read only
    model: str = "crowfly",
    settings: TravelSettings | None = None,
    cache_dir: Path | None = None,
) -> TravelMatrix:
    """Integer travel minutes and metres between every pair of ``locations``.

    ``locations`` maps ids (organisation codes, ``base:<person id>``) to WGS84 points; the
    matrix's ids are its keys in order. ``ferries`` maps the id of a location on an island to
    its ferry. ``model`` is ``crowfly`` (default) or ``roads`` (needs ``settings.graph``).
    With ``cache_dir`` the matrix is read from, or written to, that folder.
    """
    settings = settings or TravelSettings()
    ids, points = _validated(locations, ferries, model)
    graph_id = _graph_identity(settings.graph) if model == "roads" else None
    key = cache_key(ids, points, ferries, model, settings, graph_id)
    path = None if cache_dir is None else Path(cache_dir) / f"travel-{model}-{key[:32]}.npz"
    if path is not None:
        cached = _load_matrix(path, ids, model)
        if cached is not None:
            return cached

    if model == "crowfly":
        minutes, metres = crowfly_matrix(points, [ferries.get(i) for i in ids], settings)
    else:
        from optimizer.travel.roads import road_matrix

        graph = _road_graph(settings, graph_id, cache_dir)
        minutes, metres = road_matrix(graph, ids, points, ferries, settings)
    matrix = TravelMatrix(
        ids=ids,
        minutes=np.rint(minutes).astype(np.int32),
        metres=np.rint(metres).astype(np.int32),
        model=model,
    )
    if path is not None:
        _save_atomic(path, ids=np.array(ids), minutes=matrix.minutes, metres=matrix.metres)
    return matrix


def travel_locations(
    organisations: Mapping[str, Organisation],
    bases: Mapping[str, Point | str],
) -> tuple[dict[str, Point], dict[str, FerryLink]]:
    """The matrix's locations and ferries: every organisation's visit location, then every
    person's home base as ``base:<person id>``. A base is a point or an organisation code
    (its location, and its ferry if it lies on an island)."""
    locations = {code: org.location for code, org in organisations.items()}
    ferries = {code: org.ferry for code, org in organisations.items() if org.ferry is not None}
    for person, base in bases.items():
        bid = base_id(person)
        if isinstance(base, Point):
            locations[bid] = base
            continue
        org = organisations.get(base)
        if org is None:
            raise TravelError(f"home base of {person}: unknown municipality code {base!r}")
        locations[bid] = org.location
        if org.ferry is not None:
            ferries[bid] = org.ferry
    return locations, ferries


def cache_key(
    ids: tuple[str, ...],
    points: list[Point],
    ferries: Mapping[str, FerryLink],
    model: str,
    settings: TravelSettings,
    graph_id: dict | None = None,
) -> str:
    """SHA-256 (hex) of everything a matrix depends on."""
    payload = {
        "version": CACHE_VERSION,
        "model": model,
        "ids": list(ids),
        "points": [[p.lon, p.lat] for p in points],
        "ferries": {k: asdict(ferries[k]) for k in ids if k in ferries},
        "settings": settings.fingerprint(),
        "graph": graph_id,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _validated(
    locations: Mapping[str, Point], ferries: Mapping[str, FerryLink], model: str
) -> tuple[tuple[str, ...], list[Point]]:
    if model not in MODELS:
        raise TravelError(f"unknown travel model {model!r}; choose one of {', '.join(MODELS)}")
    if not locations:
        raise TravelError("no locations to build a travel matrix for")
    ids = tuple(locations)
    points = [locations[i] for i in ids]
    for lid, p in zip(ids, points, strict=True):
        ok = math.isfinite(p.lon) and math.isfinite(p.lat) and abs(p.lat) <= 90
        if not (ok and abs(p.lon) <= 180):
            raise TravelError(f"location {lid}: not a WGS84 longitude/latitude: {p}")
    unknown = sorted(set(ferries) - set(ids))
    if unknown:
        raise TravelError(f"ferries given for unknown locations: {', '.join(unknown)}")
    return ids, points


def _graph_identity(graph: Path | None) -> dict:
    if graph is None:
        raise TravelError(
            "the roads model needs a road graph: pass --graph (or set [travel] graph), or run "
            "`optimizer roads download` first"
        )
    path = Path(graph).expanduser().resolve()
    try:
        stat = path.stat()
    except OSError:
        return {"path": str(path), "missing": True}
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _road_graph(settings: TravelSettings, graph_id: dict | None, cache_dir: Path | None):
    from optimizer.travel.roads import RoadGraph, load_road_graph

    assert settings.graph is not None and graph_id is not None
    if cache_dir is None:
        return load_road_graph(Path(settings.graph))
    key = hashlib.sha256(json.dumps([CACHE_VERSION, graph_id]).encode()).hexdigest()
    path = Path(cache_dir) / f"roadgraph-{key[:32]}.npz"
    if not graph_id.get("missing") and path.is_file():
        try:
            return RoadGraph.load_npz(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("ignoring unreadable road graph cache %s: %s", path, exc)
    graph = load_road_graph(Path(settings.graph))
    _save_atomic(path, writer=graph.save_npz)
    return graph


def _load_matrix(path: Path, ids: tuple[str, ...], model: str) -> TravelMatrix | None:
    """The cached matrix at ``path`` if it is there, readable, and for these ids."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if tuple(str(i) for i in data["ids"]) != ids:
                return None
            return TravelMatrix(
                ids=ids, minutes=data["minutes"], metres=data["metres"], model=model
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("ignoring unreadable travel cache %s: %s", path, exc)
        return None


def _save_atomic(path: Path, *, writer=None, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            if writer is not None:
                writer(handle)
            else:
                np.savez(handle, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
