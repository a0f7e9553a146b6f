"""Measures of a synthetic table against the real one: fidelity, privacy distances, relations
between tables, rare values copied. Pure functions of frames; the gate and model selection use them."""
