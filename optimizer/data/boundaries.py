"""CBS municipality and province boundaries ("gebiedsindelingen", CBS, Kadaster / PDOK).

A boundaries folder holds, for a year, either the two GeoJSON files
``gemeenten_<year>.geojson`` and ``provincies_<year>.geojson`` or one GeoPackage
``gebiedsindelingen_<year>.gpkg`` with the layers ``gemeente_gegeneraliseerd`` and
``provincie_gegeneraliseerd``. Both load into GeoDataFrames with the columns ``statcode``,
``statnaam`` and ``geometry`` in EPSG:4326 (WGS84 longitude/latitude, degrees), sorted by code.

:func:`download_boundaries` fetches the two layers from the PDOK WFS and writes the GeoJSON
files; without network it raises :class:`~optimizer.errors.NetworkError` saying where to put
the files instead.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import geopandas as gpd
import requests
import shapely
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from optimizer.data.paths import DATA_DIR_ENV, cache_boundaries_dir
from optimizer.errors import DataError, NetworkError

WGS84 = "EPSG:4326"
RD_NEW = "EPSG:28992"
"""Amersfoort / RD New: the Dutch metric grid, for distances and areas (metres)."""

MUNICIPALITY_LAYER = "gemeente_gegeneraliseerd"
PROVINCE_LAYER = "provincie_gegeneraliseerd"
WFS_URL = "https://service.pdok.nl/cbs/gebiedsindelingen/{year}/wfs/v1_0"
WFS_NAMESPACE = "gebiedsindelingen"
"""Namespace prefix of the feature types in the PDOK WFS capabilities."""
ATTRIBUTION = "CBS, Kadaster / PDOK (CC BY 4.0)"

EXPECTED_COUNTS = {2023: (342, 12)}
"""Municipalities and provinces per CBS year; :func:`expected_counts` falls back to 2023."""

NL_BOUNDS = (3.0, 50.5, 7.5, 53.8)
"""A box around the Netherlands (lon/lat degrees, min_lon, min_lat, max_lon, max_lat)."""

_COLUMN_ALIASES = {
    "statcode": ("statcode", "code", "gemeentecode", "provinciecode"),
    "statnaam": ("statnaam", "naam", "name", "gemeentenaam", "provincienaam"),
}


def geojson_names(year: int) -> tuple[str, str]:
    """File names of the municipality and province GeoJSON files of ``year``."""
    return f"gemeenten_{year}.geojson", f"provincies_{year}.geojson"


def geopackage_name(year: int) -> str:
    """File name of the GeoPackage alternative of ``year``."""
    return f"gebiedsindelingen_{year}.gpkg"


def expected_counts(year: int) -> tuple[int, int]:
    """(municipalities, provinces) that CBS counts for ``year`` (the 2023 counts if unknown)."""
    return EXPECTED_COUNTS.get(year, EXPECTED_COUNTS[2023])


# ---------------------------------------------------------------------------------------------
# Loading


def load_boundaries(folder: Path, year: int = 2023) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(municipalities, provinces) of ``year`` from ``folder``: columns statcode, statnaam,
    geometry; EPSG:4326; sorted by statcode. GeoJSON files win over the GeoPackage.

    Raises :class:`DataError` if the files are missing (naming the folder, the expected names
    and the three ways to provide them) or malformed (naming the file and the problem).
    """
    folder = Path(folder)
    municipal_name, province_name = geojson_names(year)
    municipal_path, province_path = folder / municipal_name, folder / province_name
    gpkg = folder / geopackage_name(year)
    if municipal_path.is_file() and province_path.is_file():
        municipalities = _read(municipal_path)
        provinces = _read(province_path)
        sources = (str(municipal_path), str(province_path))
    elif gpkg.is_file():
        municipalities = _read(gpkg, MUNICIPALITY_LAYER)
        provinces = _read(gpkg, PROVINCE_LAYER)
        sources = (f"{gpkg} layer {MUNICIPALITY_LAYER}", f"{gpkg} layer {PROVINCE_LAYER}")
    else:
        raise DataError(missing_message(folder, year))
    return _normalise(municipalities, sources[0]), _normalise(provinces, sources[1])


def missing_message(folder: Path, year: int) -> str:
    """The error text for a folder without boundaries: what is expected and how to get it."""
    municipal_name, province_name = geojson_names(year)
    state = "does not exist" if not folder.is_dir() else "lacks the files"
    return (
        f"no boundaries for {year}: the folder {folder} {state}. Expected {municipal_name} and "
        f"{province_name}, or {geopackage_name(year)} with the layers {MUNICIPALITY_LAYER} and "
        f"{PROVINCE_LAYER}. Provide them in one of three ways: set data.boundaries_dir in the "
        f"scenario file; set the environment variable {DATA_DIR_ENV} to a folder that has "
        f"them; or run `optimizer data download --year {year}` (writes to "
        f"{cache_boundaries_dir()})."
    )


def _read(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one file (or one GeoPackage layer); any reading failure is a DataError."""
    where = f"{path} layer {layer}" if layer else str(path)
    if layer is not None:
        try:
            layers = {str(name) for name, _ in gpd.list_layers(path).to_numpy()}
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise DataError(f"{path}: not a readable GeoPackage: {exc}") from exc
        if layer not in layers:
            found = ", ".join(sorted(layers)) or "none"
            raise DataError(f"{path}: no layer {layer!r} (layers found: {found})")
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # DataSourceError, DataLayerError, ValueError, ...
        raise DataError(f"{where}: cannot be read as geodata: {exc}") from exc


def _normalise(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Columns statcode, statnaam, geometry in EPSG:4326, sorted by code; checks the codes."""
    try:
        geometry = frame.geometry
    except AttributeError:  # a GeoDataFrame without an active geometry column
        raise DataError(f"{source}: has no geometry column") from None
    lower = {str(c).lower(): c for c in frame.columns}
    picked = {}
    for target, aliases in _COLUMN_ALIASES.items():
        column = next((lower[a] for a in aliases if a in lower), None)
        if column is None:
            columns = ", ".join(str(c) for c in frame.columns if c != geometry.name)
            raise DataError(f"{source}: no {target!r} column (columns found: {columns or 'none'})")
        picked[target] = column
    out = gpd.GeoDataFrame(
        {
            "statcode": frame[picked["statcode"]].astype("string").str.strip(),
            "statnaam": frame[picked["statnaam"]].astype("string").str.strip(),
        },
        geometry=geometry.to_numpy(),
        crs=frame.crs,
    )
    if out.empty:
        raise DataError(f"{source}: contains no features")
    empty = out["statcode"].isna() | (out["statcode"] == "")
    if empty.any():
        row = int(empty.to_numpy().nonzero()[0][0]) + 1
        raise DataError(f"{source}: feature {row} has an empty statcode")
    duplicated = sorted(set(out.loc[out["statcode"].duplicated(), "statcode"]))
    if duplicated:
        raise DataError(f"{source}: statcode used more than once: {', '.join(duplicated)}")
    out["statnaam"] = out["statnaam"].fillna(out["statcode"])
    if out.crs is None:
        out = out.set_crs(WGS84)  # GeoJSON (RFC 7946) is WGS84 by definition
    elif not out.crs.equals(WGS84):
        out = out.to_crs(WGS84)
    _check_lonlat(out, source)
    out = out.sort_values("statcode", ignore_index=True)
    out["statcode"] = out["statcode"].astype(str)
    out["statnaam"] = out["statnaam"].astype(str)
    return out


def _check_lonlat(frame: gpd.GeoDataFrame, source: str) -> None:
    """Coordinates must look like longitude/latitude degrees around the Netherlands."""
    present = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if present.empty:
        return
    min_lon, min_lat, max_lon, max_lat = present.total_bounds
    lo_lon, lo_lat, hi_lon, hi_lat = NL_BOUNDS
    if min_lon < lo_lon - 1 or max_lon > hi_lon + 1 or min_lat < lo_lat - 1 or max_lat > hi_lat + 1:
        raise DataError(
            f"{source}: coordinates span lon {min_lon:.3f}..{max_lon:.3f}, lat "
            f"{min_lat:.3f}..{max_lat:.3f}, not the Netherlands: wrong or missing CRS "
            f"(metres of EPSG:28992 without a CRS?) or swapped axes"
        )


# ---------------------------------------------------------------------------------------------
# Checks (warnings for `optimizer data check`, not errors)


def geometry_problems(
    frame: gpd.GeoDataFrame, *, kind: str, prefix: str, expected: int | None
) -> list[str]:
    """Problems of one boundary layer, in words: missing, empty or invalid geometries, codes
    without the expected prefix (``GM``/``PV``), and a count different from ``expected``."""
    problems: list[str] = []
    if expected is not None and len(frame) != expected:
        problems.append(f"{len(frame)} {kind} features, CBS counts {expected}")
    for code, name, geometry in zip(
        frame["statcode"], frame["statnaam"], frame.geometry, strict=True
    ):
        label = f"{kind} {code} {name}"
        if not code.startswith(prefix):
            problems.append(f"{label}: code does not start with {prefix}")
        if geometry is None or geometry.is_empty:
            problems.append(f"{label}: no geometry")
        elif not geometry.is_valid:
            problems.append(f"{label}: invalid geometry ({shapely.is_valid_reason(geometry)})")
        elif geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{label}: geometry is a {geometry.geom_type}, not a polygon")
    return problems


# ---------------------------------------------------------------------------------------------
# Download


def wfs_url(year: int) -> str:
    """The PDOK WFS endpoint of the CBS gebiedsindelingen of ``year``."""
    return WFS_URL.format(year=year)


def getfeature_params(layer: str) -> dict[str, str]:
    """WFS 2.0 GetFeature query parameters for one layer, as GeoJSON in WGS84."""
    return {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeNames": f"{WFS_NAMESPACE}:{layer}",
        "outputFormat": "application/json",
        "srsName": WGS84,
    }


def getfeature_url(year: int, layer: str, *, base_url: str | None = None) -> str:
    """The complete GetFeature URL of ``layer`` (``base_url`` defaults to :func:`wfs_url`)."""
    request = requests.Request("GET", base_url or wfs_url(year), params=getfeature_params(layer))
    return str(request.prepare().url)


def download_boundaries(
    year: int,
    dest: Path,
    *,
    progress: bool = True,
    base_url: str | None = None,
    timeout: float = 60.0,
) -> list[Path]:
    """Download the municipality and province layers of ``year`` from PDOK into ``dest`` as
    ``gemeenten_<year>.geojson`` and ``provincies_<year>.geojson`` (statcode, statnaam,
    geometry; WGS84). Both layers are fetched and checked before either file is written;
    each file is written to a temporary name and renamed. ``timeout`` is in seconds.

    Raises :class:`NetworkError` when a layer cannot be fetched, :class:`DataError` when the
    answer is not usable boundary data.
    """
    dest = Path(dest)
    frames = []
    for layer in (MUNICIPALITY_LAYER, PROVINCE_LAYER):
        url = getfeature_url(year, layer, base_url=base_url)
        content = _fetch(url, layer, year, dest, progress=progress, timeout=timeout)
        frames.append(_parse_download(content, f"{layer} from {url}"))
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the boundaries folder {dest}: {exc.strerror}") from exc
    written = []
    for frame, name in zip(frames, geojson_names(year), strict=True):
        written.append(_write_atomically(frame, dest / name))
    return written


def _fetch(url: str, layer: str, year: int, dest: Path, *, progress: bool, timeout: float) -> bytes:
    """GET ``url`` with a progress bar; every failure becomes a NetworkError with advice."""
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers.get("Content-Length") or 0) or None
            buffer = io.BytesIO()
            with Progress(
                TextColumn(f"{layer} {year}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                disable=not progress,
            ) as bar:
                task = bar.add_task("download", total=total)
                for chunk in response.iter_content(chunk_size=1 << 16):
                    buffer.write(chunk)
                    bar.advance(task, len(chunk))
            return buffer.getvalue()
    except requests.RequestException as exc:
        raise NetworkError(_offline_message(url, year, dest, exc)) from exc


def _offline_message(url: str, year: int, dest: Path, exc: Exception) -> str:
    municipal_name, province_name = geojson_names(year)
    return (
        f"cannot download {url}: {exc.__class__.__name__}: {exc}. Without network, copy "
        f"{municipal_name} and {province_name} (or {geopackage_name(year)} with the layers "
        f"{MUNICIPALITY_LAYER} and {PROVINCE_LAYER}) into {dest}, or point "
        f"data.boundaries_dir in the scenario or the environment variable {DATA_DIR_ENV} at "
        f"a folder that has them."
    )


def _parse_download(content: bytes, source: str) -> gpd.GeoDataFrame:
    """Parse a GeoJSON answer; fix swapped lat/lon axes (WFS 2.0 EPSG:4326 axis order)."""
    try:
        frame = gpd.read_file(io.BytesIO(content), engine="pyogrio")
    except Exception as exc:
        start = content[:200].decode("utf-8", "replace")
        raise DataError(
            f"{source}: the answer is not GeoJSON ({exc}); it starts {start!r}"
        ) from exc
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    if not frame.empty and frame.crs.equals(WGS84):
        min_x, _, _, max_y = frame.total_bounds
        if min_x > 45 and max_y < 10:  # latitude first: swap to longitude/latitude
            frame = frame.set_geometry(
                shapely.transform(frame.geometry.to_numpy(), lambda c: c[:, ::-1])
            )
    return _normalise(frame, source)


def _write_atomically(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write ``frame`` as GeoJSON to a temporary file beside ``path``, then rename it."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.unlink(missing_ok=True)
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
