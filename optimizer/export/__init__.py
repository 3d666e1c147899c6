"""Exporters: each reads a plan and writes one format.

- :mod:`optimizer.export.ics`: one RFC 5545 calendar per team member and trainer;
- :mod:`optimizer.export.caldav`: keeps each person's CalDAV calendar equal to the plan.
"""
