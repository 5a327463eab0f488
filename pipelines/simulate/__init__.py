"""Rig simulator: 1 Hz surface mud-logging telemetry for a fleet of wells, with accidents.

Each well is simulated as a sequence of rig operations (drilling stands, connections,
reaming, circulating, short trips, static periods), rendered per second into the ideal
operational state (bit and hole depth, block position, pump rate, rotary speed, weight on
bit, rate of penetration, slips). The surface channels are then derived from that state
with simple physics (hookload with drag, torque, standpipe pressure ~ flow^1.8, lagged
flow out, pit volume from the flow balance, background and connection gas), accident
precursors and events are laid over them (docs/domain.md §4), and finally noise, slow sensor drift
and dropouts are added. Everything is deterministic per seed.

Modules, in the order a well goes through them:

- ``profiles``: ``WellProfile``, the static differences between wells, and ``random_profile``.
- ``plans``: when which accident starts (random slots dealt from a deck, or explicit).
- ``rig``: the rig's operations, second by second (``Rig``).
- ``onset``: bringing the rig to an accident's onset in the operation it starts in.
- ``accidents``: one module per accident type (precursor, event, crew reaction, signature,
  timing), registered in ``accidents.TYPES``.
- ``physics``: the ideal surface channels; ``sensors``: noise, drift, resolution, dropouts.
- ``fleet``: seeds, one well end to end, fleets and the live-demo fleet.
- ``files``: CSV / Parquet / manifest output and reading accidents back; ``cli``: the CLI.

See ``docs/simulator.md`` for the activity codes, the accident signatures and their
precursor durations, the false-alarm bait in normal operations and how to run it.
"""

from __future__ import annotations

from pipelines.simulate.cli import main
from pipelines.simulate.core import Activity, SimAccident, SimWell
from pipelines.simulate.files import read_accidents_csv, with_precursors, write_fleet
from pipelines.simulate.fleet import demo_fleet, simulate_fleet, simulate_well
from pipelines.simulate.profiles import WellProfile, random_profile

__all__ = [
    "Activity",
    "SimAccident",
    "SimWell",
    "WellProfile",
    "demo_fleet",
    "main",
    "random_profile",
    "read_accidents_csv",
    "simulate_fleet",
    "simulate_well",
    "with_precursors",
    "write_fleet",
]
