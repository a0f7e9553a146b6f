"""A seeded, realistic retail-bank warehouse in DuckDB, for demos, tests and benchmarks.

`build_demo_warehouse` writes four related tables to schema ``main`` of a DuckDB file:

* ``customers``: names, emails, phones, SSNs and addresses (all PII), plus demographics whose
  dependencies a model should pick up: income is hump-shaped in age and depends on segment, the
  credit score follows log income and age.
* ``accounts``: 0-4 per customer; the type mix depends on the segment, balances on type and income.
* ``transactions``: heavy-tailed activity per account, a daily hour profile, lognormal amounts by
  merchant category, and fraud flags drawn from a logistic model of amount, channel and night hours.
* ``support_tickets``: free-text notes from templates, about 40% of which quote the customer's own
  full name, email or phone exactly as stored in ``customers`` (PII hidden in free text).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed and sizes give identical
table contents. Names come from Faker's word lists drawn with numpy (calling Faker per row is far too
slow). The bank's "today" is 2026-10-31: nothing happens after that day.

Pure (no Dagster): :mod:`.parameters` (the bank's fixed parameters), :mod:`.bank` (the seeded
tables, :func:`~tabletwin.demo.bank.demo_tables`) and :mod:`.load` (DuckDB file or PostgreSQL
schema: :func:`~tabletwin.demo.load.build_demo_warehouse`,
:func:`~tabletwin.demo.load.load_demo_postgres`).
"""
