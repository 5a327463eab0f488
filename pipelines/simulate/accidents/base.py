"""What every accident type provides, and the state an accident carries while simulated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pipelines.simulate.rig import Rig


@dataclass
class Episode:
    """One accident being simulated: its times (s from the first sample) and parameters.

    ``t`` holds at least "pre" (precursor start), "on" (onset) and "end" (end of the event);
    each type adds the moments of its own reaction ("notice", "shut", ...) that its overlay
    needs. ``prm`` holds the parameters the type drew from the severity.
    """

    type: str
    severity: float
    op: str
    t: dict[str, float] = field(default_factory=dict)
    prm: dict[str, float] = field(default_factory=dict)


class Overlays:
    """Accident overlays on the physics: multipliers, additions and overrides per second."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tq_mult = np.ones(n)
        self.tq_bit = np.ones(n)
        self.drag = np.ones(n)
        self.str_wt = np.ones(n)
        self.spp_mult = np.ones(n)
        self.mfo_mult = np.ones(n)
        self.tq_osc = np.zeros(n)
        self.erratic = np.zeros(n)
        self.hk_add = np.zeros(n)
        self.overpull = np.zeros(n)
        self.spp_add = np.zeros(n)
        self.loss = np.zeros(n)
        self.gain = np.zeros(n)
        self.mfo_add = np.zeros(n)
        self.gas_add = np.zeros(n)
        self.chkp = np.zeros(n)
        self.wob_add = np.zeros(n)
        self.tq_set = np.full(n, np.nan)
        self.rpm_set = np.full(n, np.nan)


Prepare = Callable[[Rig, Episode], int]
React = Callable[[Rig, Episode, int], None]
Overlay = Callable[[Overlays, Episode, Rig, np.random.Generator], None]


@dataclass(frozen=True)
class AccidentType:
    """Everything the generic simulator needs to know about one accident type.

    The simulation of an accident runs in three steps, each one a function of the type:

    1. ``prepare(rig, ep)``, before the rig is brought to the onset: draws the type's
       parameters into ``ep.prm`` from the severity, lays any precursor that lives in the
       drilling itself (ROP, WOB) over ``rig.rop_mult`` / ``rig.wob_mult``, and returns how
       many seconds drilling goes on after the onset if the accident starts while drilling.
    2. ``react(rig, ep, until)``, with the rig at the onset: renders the event and the
       crew's reaction as rig operations, records their moments in ``ep.t`` (at least
       "end") and leaves the rig on bottom, ready to drill. ``until`` is where the next
       accident's precursor starts (or the end of the well).
    3. ``overlay(fx, ep, rig, rng)``, once all operations are rendered: lays the precursor
       and event signatures over the physics.
    """

    name: str  # one of models.channels.ACCIDENT_TYPES
    precursor_s: tuple[int, int]  # range of the precursor's length
    event_max_s: int  # longest event, onset to end
    reaction_max_s: int  # longest reaction after the end
    onset_ops: tuple[tuple[str, float], ...]  # operations it may start in, with weights
    prepare: Prepare
    react: React
    overlay: Overlay
    # the precursor lives in the drilling just before the onset (ROP, torque, drag, flow):
    # the rig keeps drilling stands and connections for its whole duration
    drilling_precursor: bool = True
    # the stands drilled towards the onset are all rotary (no slide sections)
    rotary_approach: bool = False
