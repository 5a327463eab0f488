"""Alert logic: thresholds, k-of-n persistence (held for a type's own time), rig-state gating
and cool-down per type.

Per-well state is an explicit dataclass updated by ``step(state, decision) -> type | None``,
so the live stream and a backtest apply exactly the same logic. ``stream_alerts`` is the same
logic over a whole stream of decisions at once, for calibration.
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


# --------------------------------------------------------------------------- whole streams
# Calibration replays every validation well at every threshold of a grid: ~160 wells x 24 h
# at one decision per 10 s, per type and threshold, takes over ten minutes through ``step``
# (~25 ms a well-day) and seconds through the arrays below (under 1 ms). They are
# ``candidate`` and ``step`` over a whole stream at once, and the tests hold them equal to
# ``step`` decision by decision on random streams.


def candidates(
    policy: AlertPolicy, probabilities: dict[str, np.ndarray], allowed: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """``candidate`` for every decision of a stream: per accident type of ``probabilities``
    (class -> score per decision), where it gets the vote. ``allowed``: per type, where it
    may vote (its rig state allowed and not blocked); a type missing from it may everywhere.
    Of types over their thresholds the widest margin wins, the first of them on a tie."""
    types = [t for t in probabilities if t != NORMAL]
    if not types:
        return {}
    margins = np.stack(
        [np.asarray(probabilities[t], dtype=float) - policy.threshold(t) for t in types]
    )
    for row, accident_type in zip(margins, types, strict=True):
        ok = row >= 0  # False where the score is NaN, as in ``candidate``
        if accident_type in allowed:
            ok &= allowed[accident_type]
        row[~ok] = -np.inf
    best = np.argmax(margins, axis=0)  # the first of equal margins
    voted = margins.max(axis=0) > -np.inf
    return {t: voted & (best == j) for j, t in enumerate(types)}


def vote_alerts(
    times_ns: np.ndarray, votes: np.ndarray, *, k: int, n: int, cooldown_s: float, hold_s: float
) -> np.ndarray:
    """The indices of the decisions at which one type alerts, given where it gets the vote:
    ``step`` for that type (voted in k of the last n decisions, that without a break for
    ``hold_s``, and once per episode: a decision that would alert within ``cooldown_s`` of
    the last one that would have, alerting or not, continues its episode)."""
    votes = np.asarray(votes, dtype=bool)
    if not votes.any():
        return np.empty(0, dtype=np.int64)
    times = np.asarray(times_ns, dtype=np.int64)
    idx = np.arange(votes.size)
    csum = np.concatenate([[0], np.cumsum(votes)])
    persist = csum[idx + 1] - csum[np.maximum(idx + 1 - n, 0)] >= k
    ready = votes & persist
    if hold_s:
        starts = persist & ~np.concatenate([[False], persist[:-1]])
        run_start = np.maximum.accumulate(np.where(starts, idx, 0))
        ready &= times - times[run_start] >= hold_s * 1e9
    at = np.flatnonzero(ready)
    if at.size == 0:
        return at
    return at[np.concatenate([[True], np.diff(times[at]) > cooldown_s * 1e9])]


def stream_alerts(
    policy: AlertPolicy,
    times_ns: np.ndarray,
    probabilities: dict[str, np.ndarray],
    *,
    blocked: list[frozenset[str]] | None = None,
    rig_states: list[str] | None = None,
) -> list[tuple[int, str]]:
    """(index, type) of every alert ``step`` raises over a stream of decisions (in time
    order, from a fresh ``AlertState``): ``probabilities`` class -> score per decision,
    ``blocked`` the types gated out per decision. Without ``rig_states`` the policy's rig
    state gating is left to ``blocked``, which holds it already where ``gated_out`` gave it
    with the policy's gating."""
    allowed: dict[str, np.ndarray] = {}
    for accident_type in (t for t in probabilities if t != NORMAL):
        ok = (
            np.array([accident_type not in b for b in blocked], dtype=bool)
            if blocked is not None
            else np.ones(len(times_ns), dtype=bool)
        )
        gating = policy.gating.get(accident_type)
        if rig_states is not None and gating is not None:
            ok &= np.array([state in gating for state in rig_states], dtype=bool)
        allowed[accident_type] = ok
    fired = [
        (int(i), accident_type)
        for accident_type, votes in candidates(policy, probabilities, allowed).items()
        for i in vote_alerts(
            times_ns,
            votes,
            k=policy.k,
            n=policy.n,
            cooldown_s=policy.cooldown_s,
            hold_s=policy.hold_s.get(accident_type, 0.0),
        )
    ]
    return sorted(fired)  # a decision votes for one type at most: one alert at most
