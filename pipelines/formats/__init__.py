"""File formats: WITS Level 0, WITSML 1.4.1.1, LAS 2.0, CSV/Parquet, units and mnemonic aliases."""
