"""The ``drillwatch`` command line (entry point ``service.cli:main``).

One module per command group: ``serve``, ``simulate``, ``train`` (train, calibrate),
``stream`` (stream, wits0), ``models``, ``imports`` (import telemetry, accidents),
``evaluate`` (backtest, evaluate), ``export``, ``features`` and ``db``; ``main`` builds the
parser. The commands parse, print and exit: database work goes through ``service``
(``registry``, ``imports``, ``history``) and model metadata through
``models.metadata.ModelMetadata``.
"""

from service.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
