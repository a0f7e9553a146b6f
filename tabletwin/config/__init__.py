"""The catalog (one YAML file that drives every asset) and the one registry of the gate's checks."""
