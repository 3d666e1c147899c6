"""Plans after solving: the independent validator, the KPIs and the plan folder.

- :mod:`optimizer.plan.validate` re-checks every rule of ``docs/rules.md`` from the raw
  :class:`~optimizer.domain.Problem` fields with its own code (it shares nothing with
  :mod:`optimizer.solve`), and says in words why a plan breaks a rule;
- :mod:`optimizer.plan.kpi` computes the measures of a plan (travel minutes and kilometres,
  visits per stage, deadline margin, evenings, workload balance);
- :mod:`optimizer.plan.io` writes a plan to a folder (Parquet, CSV, ``summary.json``),
  atomically, and reads it back exactly.
"""
