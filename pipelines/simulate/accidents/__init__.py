"""The accident types, one module each, registered by name.

Each module holds everything specific to its type: its timing, the parameters it draws
from the severity, its precursor, how the event unfolds and how the crew reacts, and its
signature on the surface channels (see ``base.AccidentType``). The rest of the simulator
only iterates over ``TYPES``.
"""

from __future__ import annotations

from models.channels import ACCIDENT_TYPES
from pipelines.simulate.accidents import (
    bit_balling,
    kick,
    lost_circulation,
    pack_off,
    stuck_pipe,
    twist_off,
    washout,
)
from pipelines.simulate.accidents.base import AccidentType, Episode, Overlays

_BY_NAME = {
    m.TYPE.name: m.TYPE
    for m in (bit_balling, kick, lost_circulation, pack_off, stuck_pipe, twist_off, washout)
}
if sorted(_BY_NAME) != sorted(ACCIDENT_TYPES):
    raise RuntimeError(f"accident modules {sorted(_BY_NAME)} != {sorted(ACCIDENT_TYPES)}")

# In the order of models.channels.ACCIDENT_TYPES, like every other part of drillwatch.
TYPES: dict[str, AccidentType] = {name: _BY_NAME[name] for name in ACCIDENT_TYPES}

__all__ = ["TYPES", "AccidentType", "Episode", "Overlays"]
