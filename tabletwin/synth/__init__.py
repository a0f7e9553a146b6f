"""Synthesis models: generators behind one interface (``fit`` / ``sample(n, seed, conditions)``),
constraints, related tables, rebalancing, fresh foreign keys."""
