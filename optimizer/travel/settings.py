"""Every setting of the travel models, documented in one place.

The ``crowfly`` model turns a great-circle distance into road metres with a circuity factor
and into minutes with a speed that grows with the trip's length (the *speed curve*)::

    road_km = circuity * great_circle_km
    speed   = speed_long_kmh - (speed_long_kmh - speed_short_kmh) * exp(-road_km / speed_scale_km)
    minutes = 60 * road_km / speed + parking_min        (parking only at a destination)

With the defaults a 5 km trip averages 39 km/h, 20 km 57 km/h, 50 km 73 km/h and 100 km and
more about 80 km/h (see ``docs/travel.md``). The driving minutes grow with the distance as long
as ``speed_short_kmh > (speed_long_kmh - speed_short_kmh) / e``; this is checked.

Islands (a location with a :class:`~optimizer.domain.FerryLink`) are reached from the
mainland port: the wait for a departure (``ferry_wait_fraction`` of the ferry's headway), the
crossing, and the stretch on the island. The stretch is driven (speed curve) when the car may
go along on the regular ferry, or walked/cycled/bussed at ``island_speed_kmh`` with the car
parked at the mainland port, in which case the fast (passenger) ferry is taken when there is
one. The faster of the two counts; car-free islands (Vlieland, Schiermonnikoog) only have the
second. Both models share these rules; the ``roads`` model also routes the car over ferry
edges of its road graph.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.errors import TravelError

if TYPE_CHECKING:
    from optimizer.scenario import Scenario


@dataclass(frozen=True, slots=True)
class TravelSettings:
    """Settings of both travel models; distances in metres or km, speeds in km/h, times in
    minutes (as named)."""

    circuity: float = 1.3
    """Road metres per great-circle metre (crowfly model, access legs and island stretches)."""
    speed_short_kmh: float = 30.0
    """Average driving speed the speed curve starts from for the very shortest trips."""
    speed_long_kmh: float = 80.0
    """Average driving speed of long trips (the curve's asymptote)."""
    speed_scale_km: float = 25.0
    """Road km over which the speed closes 63 % of the gap from short to long."""
    parking_min: float = 5.0
    """Parking and walking to the door, added once at the destination of every trip."""
    ferry_wait_fraction: float = 0.25
    """Part of the ferry's headway spent waiting for a departure: 0.5 is the average for a
    random arrival, 0 means timed to the departure, 1 the worst case. The default 0.25
    assumes what a planner does: the drive to the port is timed to the timetable, so the
    outbound wait is short and only the return (after a visit of fixed length) waits about
    half a headway; averaged over both directions, a quarter. With 0.5 a day trip from
    Groningen to Vlieland (90 min intake) no longer fits a 9-hour working day."""
    island_speed_kmh: float = 15.0
    """Speed on an island without the car (walking, cycling or the island bus)."""
    default_ferry_headway_min: float = 120.0
    """Headway of a ferry edge of a road graph that does not state one (OSM ``interval``)."""
    ferry_speed_kmh: float = 20.0
    """Crossing speed of an OSM ferry way without a ``duration`` tag."""
    max_snap_m: float = 5000.0
    """Roads model: a location farther than this from every road node is an error."""
    graph: Path | None = None
    """Roads model: the road graph file (``.graphml``, ``.gpkg`` or ``.osm``)."""

    def __post_init__(self) -> None:
        positive = (
            "circuity",
            "speed_short_kmh",
            "speed_long_kmh",
            "speed_scale_km",
            "island_speed_kmh",
            "ferry_speed_kmh",
            "max_snap_m",
        )
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise TravelError(f"travel setting {name} must be a positive number, not {value}")
        for name in ("parking_min", "default_ferry_headway_min"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise TravelError(f"travel setting {name} must be zero or more, not {value}")
        if self.circuity < 1:
            raise TravelError(f"travel setting circuity must be at least 1, not {self.circuity}")
        if not 0 <= self.ferry_wait_fraction <= 1:
            raise TravelError(
                f"travel setting ferry_wait_fraction must be in [0, 1], not "
                f"{self.ferry_wait_fraction}"
            )
        if self.speed_long_kmh < self.speed_short_kmh:
            raise TravelError("travel setting speed_long_kmh must not be below speed_short_kmh")
        if self.speed_short_kmh <= (self.speed_long_kmh - self.speed_short_kmh) / math.e:
            raise TravelError(
                "travel settings speed_short_kmh/speed_long_kmh: driving time would not grow "
                "with distance; need speed_short_kmh > (speed_long_kmh - speed_short_kmh) / e"
            )

    def fingerprint(self) -> dict[str, Any]:
        """The settings that change a matrix, for the cache key (the graph file is keyed
        separately by its identity)."""
        values = asdict(self)
        values.pop("graph")
        return values

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> TravelSettings:
        """The settings of a scenario's ``[travel]`` section: circuity and the road graph
        (``graph``, else for the roads model ``<cache root>/roads/nl_drive.graphml``, where
        ``optimizer roads download`` writes it)."""
        graph = scenario.path(scenario.travel.graph)
        if graph is None and scenario.travel.model == "roads":
            graph = default_graph_path()
        return cls(circuity=scenario.travel.circuity, graph=graph)

    def with_graph(self, graph: Path | None) -> TravelSettings:
        """A copy that reads the road graph from ``graph``."""
        return replace(self, graph=graph)


def default_roads_dir() -> Path:
    """Where ``optimizer roads download`` saves the graph: ``<cache root>/roads`` (the cache
    root is ``$OPTIMIZER_CACHE_DIR`` or ``./data``)."""
    from optimizer.data.paths import cache_root

    return cache_root() / "roads"


def default_graph_path() -> Path:
    """The downloaded national drive graph: ``<cache root>/roads/nl_drive.graphml``."""
    return default_roads_dir() / "nl_drive.graphml"
