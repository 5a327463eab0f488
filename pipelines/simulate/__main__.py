"""``python -m pipelines.simulate``: the same CLI as ``drillwatch simulate``."""

from pipelines.simulate.cli import main

raise SystemExit(main())
