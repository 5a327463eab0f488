"""Alert logic: thresholds, k-of-n persistence, rig-state gating and cool-down per type.

Per-well state is an explicit dataclass updated by ``step(state, decision) -> type | None``,
so the live stream and a backtest apply exactly the same logic.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from models.artifact import NORMAL

# Accident types that only make sense in some rig states; others are allowed everywhere.
DEFAULT_GATING: dict[str, frozenset[str]] = {
    "washout": frozenset(
        {"rotary_drilling", "slide_drilling", "reaming", "back_reaming", "circulating"}
    ),
    "bit_balling": frozenset({"rotary_drilling", "slide_drilling"}),
}


@dataclass(frozen=True)
class AlertPolicy:
    thresholds: dict[str, float]
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    gating: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_GATING))
    default_threshold: float = 0.6

    def threshold(self, accident_type: str) -> float:
        return self.thresholds.get(accident_type, self.default_threshold)


@dataclass
class AlertState:
    recent: deque[str | None] = field(default_factory=deque)
    episode_last_ns: dict[str, int] = field(default_factory=dict)


def candidate(policy: AlertPolicy, probabilities: dict[str, float], rig_state: str) -> str | None:
    """The accident type this single decision votes for, if any."""
    best, best_margin = None, 0.0
    for accident_type, p in probabilities.items():
        if accident_type == NORMAL:
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
) -> str | None:
    """Feed one decision; returns the accident type to alert on, or None.

    An alert needs the same type voted in k of the last n decisions. While that keeps
    holding, or within the cool-down after it last held, the episode is one alert.
    """
    vote = candidate(policy, probabilities, rig_state)
    state.recent.append(vote)
    while len(state.recent) > policy.n:
        state.recent.popleft()
    if vote is None or sum(1 for v in state.recent if v == vote) < policy.k:
        return None
    last = state.episode_last_ns.get(vote)
    state.episode_last_ns[vote] = time_ns
    if last is not None and time_ns - last <= policy.cooldown_s * 1e9:
        return None
    return vote
