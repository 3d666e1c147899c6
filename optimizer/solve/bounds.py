"""A lower bound on total travel that holds for every valid plan (not only the solver's model).

**Per-visit minimum attachment.** In any plan, every person's day is a closed walk home ->
visits -> home. Split each leg's minutes half to the place it leaves and half to the place it
reaches: a day's travel is then the sum over its stops of (minutes in + minutes out) / 2, plus
the halves at the home base (>= 0). A stop of visit ``v`` by a person of role ``r`` therefore
costs at least

    attach_r(v) = min over u, w of (t(u, v) + t(v, w)) / 2

where ``u`` and ``w`` range over every place such a person could come from or go to (every
visit location and every home base of that role). Summing over the people each visit needs (an
intake: one team member; a session: a team member and a trainer; a training: a trainer) gives a
bound that no plan can beat, whatever the rules.

It is weak (it assumes every visit has a neighbour at the nearest possible place), which the
benchmark reports beside the solver's own, much stronger bound (the LP relaxation of its
set-partitioning master, valid over the routes it enumerates).
"""

from __future__ import annotations

import numpy as np

from optimizer.domain import Problem, Role, Stage, base_id


def _attachment(problem: Problem, role: Role, visit_orgs: set[str]) -> dict[str, float]:
    """attach_r(v) for every organisation in ``visit_orgs`` (minutes)."""
    t = problem.travel
    places = [t.index[o] for o in sorted(visit_orgs)]
    places += [t.index[base_id(p.id)] for p in problem.people.values() if p.role is role]
    mins = t.minutes
    out: dict[str, float] = {}
    for org in visit_orgs:
        v = t.index[org]
        others = [i for i in places if i != v]
        if not others:
            out[org] = 0.0
            continue
        inbound = float(np.min(mins[others, v]))
        outbound = float(np.min(mins[v, others]))
        out[org] = (inbound + outbound) / 2
    return out


def attachment_bound(problem: Problem, *, only_planned: set[str] | None = None) -> float:
    """The per-visit minimum attachment bound on total travel minutes (see the module doc).

    ``only_planned`` restricts the sum to these visit ids (compare with a plan that leaves
    some visits unplanned).
    """
    visits = [v for v in problem.visits.values() if only_planned is None or v.id in only_planned]
    orgs = {v.org for v in problem.visits.values()}
    team = _attachment(problem, Role.TEAM, orgs)
    trainer = _attachment(problem, Role.TRAINER, orgs)
    total = 0.0
    for v in visits:
        if v.stage in (Stage.INTAKE, Stage.SESSION):
            total += team[v.org]
        if v.stage in (Stage.SESSION, Stage.TRAINING):
            total += trainer[v.org]
    return total
