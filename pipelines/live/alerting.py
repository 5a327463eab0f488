"""Alert logic: thresholds, k-of-n persistence (held for a type's own time), rig-state gating
and cool-down per type.

Per-well state is an explicit dataclass updated by ``step(state, decision) -> type | None``,
so the live stream and a backtest apply exactly the same logic.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from models.artifact import NORMAL, ModelArtifact
from models.rigstate import RigState

# Accident types that only make sense in some rig states; others are allowed everywhere.
# A balled bit shows while drilling (ROP falls, WOB holds) and while circulating off bottom
# right after it, as the crew cleans it (flow and RPM raised, the SPP creep still there).
# Gated to drilling alone, balls the crew noticed within minutes of their start were seen by
# the model only in that cleaning circulation and never alerted (3 of 8 on the held-out
# seed 2; docs/experiments/, bit-balling gating).
DEFAULT_GATING: dict[str, frozenset[str]] = {
    "washout": frozenset(
        {"rotary_drilling", "slide_drilling", "reaming", "back_reaming", "circulating"}
    ),
    "bit_balling": frozenset({"rotary_drilling", "slide_drilling", "circulating"}),
}
# ... and only once the rig has stayed in those states this long: their signatures are trends
# at steady pumping and drilling, which pump start-ups, stops and connections imitate.
DEFAULT_STEADY_S: dict[str, float] = {"washout": 300.0, "bit_balling": 300.0}
# ... and a type whose accidents develop over hours alerts only once its k-of-n vote has held
# this long without a break: a washout's standpipe pressure falls for one to four hours
# before its start, and a vote that holds for minutes halfway through that decline is two
# hours early -- a false alarm by docs/domain.md §5, which also hides the accident itself
# behind its still running episode. Chosen on validation seeds (docs/experiments/, washout
# hold).
DEFAULT_HOLD_S: dict[str, float] = {"washout": 600.0}


@dataclass(frozen=True)
class AlertPolicy:
    thresholds: dict[str, float]
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    gating: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_GATING))
    steady_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STEADY_S))
    hold_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_HOLD_S))
    default_threshold: float = 0.6

    def threshold(self, accident_type: str) -> float:
        return self.thresholds.get(accident_type, self.default_threshold)


def model_policy(model: ModelArtifact, *, k: int, n: int, cooldown_s: float) -> AlertPolicy:
    """The alert policy of a model's selected detector: its thresholds and hold times (the
    default holds where the model sets none)."""
    holds = model.hold_s
    return AlertPolicy(
        thresholds=model.thresholds,
        k=k,
        n=n,
        cooldown_s=cooldown_s,
        hold_s=dict(DEFAULT_HOLD_S) if holds is None else holds,
    )


@dataclass
class AlertState:
    recent: deque[str | None] = field(default_factory=deque)
    episode_last_ns: dict[str, int] = field(default_factory=dict)
    # per type, since when its k-of-n vote has held without a break
    holding_since_ns: dict[str, int] = field(default_factory=dict)


def gated_out(
    times_ns: np.ndarray,
    states: np.ndarray,
    ends: np.ndarray,
    gating: dict[str, frozenset[str]] = DEFAULT_GATING,
    steady_s: dict[str, float] = DEFAULT_STEADY_S,
) -> list[frozenset[str]]:
    """Per decision sample (indices ``ends`` into the samples), the gated accident types it
    may not vote for: its rig state is not allowed, or the rig has not been in allowed
    states for ``steady_s`` (counted from the first sample given if none was outside)."""
    out: list[set[str]] = [set() for _ in range(len(ends))]
    codes = np.asarray(states)
    t = np.asarray(times_ns)
    idx = np.arange(codes.size)
    for accident_type, allowed in gating.items():
        inside = np.isin(codes, [RigState[label.upper()].value for label in allowed])
        # time of the most recent sample outside the allowed states (or the first sample)
        last_out = np.maximum.accumulate(np.where(inside, -1, idx))
        since = np.where(last_out >= 0, t[np.maximum(last_out, 0)], t[0])
        held_s = (t - since) / 1e9
        ok = inside & (held_s >= steady_s.get(accident_type, 0.0))
        for j, end in enumerate(np.asarray(ends, dtype=np.int64)):
            if not ok[end]:
                out[j].add(accident_type)
    return [frozenset(o) for o in out]


def candidate(
    policy: AlertPolicy,
    probabilities: dict[str, float],
    rig_state: str,
    blocked: frozenset[str] = frozenset(),
) -> str | None:
    """The accident type this single decision votes for, if any (``blocked``: types
    ``gated_out`` for this decision)."""
    best, best_margin = None, 0.0
    for accident_type, p in probabilities.items():
        if accident_type == NORMAL or accident_type in blocked:
            continue
        allowed = policy.gating.get(accident_type)
        if allowed is not None and rig_state not in allowed:
            continue
        margin = p - policy.threshold(accident_type)
        if margin >= 0 and (best is None or margin > best_margin):
            best, best_margin = accident_type, margin
    return best


def step(
    state: AlertState,
    policy: AlertPolicy,
    *,
    time_ns: int,
    probabilities: dict[str, float],
    rig_state: str,
    blocked: frozenset[str] = frozenset(),
) -> str | None:
    """Feed one decision; returns the accident type to alert on, or None.

    An alert needs the same type voted in k of the last n decisions, and that without a
    break for the type's ``hold_s`` (none by default). While it keeps holding, or within
    the cool-down after it last held, the episode is one alert.
    """
    vote = candidate(policy, probabilities, rig_state, blocked)
    state.recent.append(vote)
    while len(state.recent) > policy.n:
        state.recent.popleft()
    counts = Counter(state.recent)
    if policy.hold_s:
        since = state.holding_since_ns
        for held in [t for t in since if counts[t] < policy.k]:
            del since[held]
        for voted, count in counts.items():
            if voted is not None and count >= policy.k:
                since.setdefault(voted, time_ns)
    if vote is None or counts[vote] < policy.k:
        return None
    hold_s = policy.hold_s.get(vote, 0.0)
    if hold_s and time_ns - state.holding_since_ns[vote] < hold_s * 1e9:
        return None
    last = state.episode_last_ns.get(vote)
    state.episode_last_ns[vote] = time_ns
    if last is not None and time_ns - last <= policy.cooldown_s * 1e9:
        return None
    return vote
