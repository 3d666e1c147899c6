"""The objective's weights, in one place (DESIGN.md §1 "Objective", docs/rules.md).

The objective is a weighted sum in *travel-minute equivalents*; the weights make it
lexicographic in practice:

1. ``UNPLANNED_REQUIRED`` per required visit left unplanned: more than any travel a visit
   can save (a day's travel is at most a few hundred minutes);
2. travel minutes of every person, weight 1;
3. ``MOVED_PROPOSED`` per appointment that was proposed to an organisation and is moved;
4. ``EARLINESS_PER_DAY`` per day index of a route (earlier completion as a tie-breaker),
   small enough that over a whole plan it stays below one travel minute.

Optional visits (trainings not requested as required) cost ``UNPLANNED_OPTIONAL``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from optimizer.domain import Appointment, Visit

UNPLANNED_REQUIRED = 100_000.0
UNPLANNED_OPTIONAL = 5_000.0
MOVED_PROPOSED = 240.0
EARLINESS_PER_DAY = 1e-6


def unplanned_penalty(visit: Visit) -> float:
    """What leaving ``visit`` unplanned costs: ``UNPLANNED_REQUIRED`` or ``UNPLANNED_OPTIONAL``."""
    return UNPLANNED_REQUIRED if visit.required else UNPLANNED_OPTIONAL


def choice_cost(
    travel_min: float,
    day: int,
    visits: Sequence[str],
    starts: Sequence[int],
    previous: Mapping[str, Appointment],
) -> float:
    """The objective's cost of one model choice (a day route or a candidate): its travel, the
    disruption of moving appointments that were proposed, and the earliness tie-breaker."""
    cost = float(travel_min) + EARLINESS_PER_DAY * day
    for visit_id, start in zip(visits, starts, strict=True):
        before = previous.get(visit_id)
        if before is not None and before.status.communicated and before.start != start:
            cost += MOVED_PROPOSED
    return cost
