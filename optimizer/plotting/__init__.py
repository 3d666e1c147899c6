"""Matplotlib figures of a plan, one function per module, each returning its Axes.

- :func:`~optimizer.plotting.status_map.plot_status_map`: the municipalities coloured by
  progress (:mod:`optimizer.plan.progress`), province borders on top;
- :func:`~optimizer.plotting.person_week_routes.plot_person_week_routes`: one person's day
  routes in one ISO week;
- :func:`~optimizer.plotting.timeline.plot_timeline`: a Gantt chart, one row per person;
- :func:`~optimizer.plotting.travel_per_month.plot_travel_per_month`: travel per month of
  one or more plans;
- :func:`~optimizer.plotting.workload.plot_workload`: a measure per person of one or more
  plans.

Maps are drawn in EPSG:28992 (metres). Colours come from :mod:`optimizer.plan.progress`, the
same as the HTML report's.
"""

from optimizer.plotting.person_week_routes import busiest_week, plot_person_week_routes
from optimizer.plotting.status_map import plot_status_map
from optimizer.plotting.timeline import plot_timeline
from optimizer.plotting.travel_per_month import plot_travel_per_month
from optimizer.plotting.workload import plot_workload

__all__ = [
    "busiest_week",
    "plot_person_week_routes",
    "plot_status_map",
    "plot_timeline",
    "plot_travel_per_month",
    "plot_workload",
]
