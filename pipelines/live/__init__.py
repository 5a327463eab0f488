"""The live path: per-well rolling windows, decisions, alert logic, rules and data quality."""
