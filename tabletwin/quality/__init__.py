"""The quality gate (every score a synthetic table must earn before publication), the source
profile, the Great Expectations suite and the HTML/JSON report."""
