"""Travel minutes and metres between visit locations and home bases.

:func:`build_travel_matrix` is the one interface (with an on-disk cache); the models are
``crowfly`` (:mod:`optimizer.travel.crowfly`, the default) and ``roads``
(:mod:`optimizer.travel.roads`, osmnx). Every setting lives in
:class:`~optimizer.travel.settings.TravelSettings`.
"""

from optimizer.travel.matrix import MODELS, build_travel_matrix, travel_locations
from optimizer.travel.settings import TravelSettings

__all__ = ["MODELS", "TravelSettings", "build_travel_matrix", "travel_locations"]
