"""Statistics: the indicator registry, year-end statistics tables, the dashboard and per-org roll-ups."""
