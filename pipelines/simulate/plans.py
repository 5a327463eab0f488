"""Accident plans: which accident types start when, for random and for explicit schedules."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.channels import ACCIDENT_TYPES
from pipelines.simulate.accidents import TYPES
from pipelines.simulate.core import MIN

# Normal operations stop max(precursor, APPROACH_MIN_S) + TAIL_MAX_S before an onset (the
# precursor counts only where it lives in the drilling): the approach drills stands from
# there, so that a drilling precursor falls on drilling and the onset in its operation.
APPROACH_MIN_S = 15 * MIN
TAIL_MAX_S = 40 * MIN
SLOT_MARGIN_S = 10 * MIN  # keeps random accidents clear of their slot's edges


@dataclass
class Plan:
    type: str
    onset: int  # s from the first sample
    precursor: int  # s
    severity: float | None = None  # None: drawn when simulated
    op: str | None = None  # operation at the onset; None: drawn from the type's onset_ops


class Deck:
    """Accident types dealt from shuffled decks, so every type comes up evenly."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.cards: list[str] = []

    def take(self, ok: Callable[[str], bool]) -> str | None:
        if len(self.cards) < len(ACCIDENT_TYPES):
            self.cards.extend(str(c) for c in self.rng.permutation(np.array(ACCIDENT_TYPES)))
        for i, card in enumerate(self.cards):
            if ok(card):
                return self.cards.pop(i)
        return None


def _before_need(kind: str) -> int:
    low = TYPES[kind].precursor_s[0]
    return max(low, APPROACH_MIN_S) + TAIL_MAX_S


def _after_need(kind: str, last: bool) -> int:
    spec = TYPES[kind]
    if last:
        return spec.event_max_s
    return spec.event_max_s + spec.reaction_max_s + 10 * MIN


def slot_plans(n: int, count: int, rng: np.random.Generator, deck: Deck) -> list[Plan]:
    """Up to ``count`` accidents, one per equal slot of the well, never overlapping."""
    plans: list[Plan] = []
    if count <= 0:
        return plans
    slot = n / count
    for j in range(count):
        s0, s1 = j * slot + SLOT_MARGIN_S, (j + 1) * slot - SLOT_MARGIN_S
        last = j == count - 1
        if last:
            s1 = n - MIN

        def fits(kind: str, s0: float = s0, s1: float = s1, last: bool = last) -> bool:
            return _before_need(kind) + _after_need(kind, last) <= s1 - s0

        kind = deck.take(fits)
        if kind is None:
            continue
        lo = s0 + _before_need(kind)
        hi = s1 - _after_need(kind, last)
        onset = int(rng.uniform(lo, hi))
        pmin, pmax = TYPES[kind].precursor_s
        pre = int(min(rng.uniform(pmin, pmax), onset - s0))
        plans.append(Plan(kind, onset, max(pre, 0)))
    return plans


def min_gap(kind: str) -> int:
    """Shortest onset-to-onset spacing after an accident of this type (explicit plans)."""
    spec = TYPES[kind]
    return spec.event_max_s + min(spec.reaction_max_s, 45 * MIN) + 10 * MIN


def resolve_plans(
    accidents: Sequence[tuple[str, float]], n: int, rng: np.random.Generator
) -> list[Plan]:
    """Explicit (type, onset offset s) -> plans with drawn precursor lengths; validated."""
    items: list[tuple[int, str, int]] = []
    for i, item in enumerate(accidents):
        try:
            kind, offset = item
        except (TypeError, ValueError):
            raise ValueError(
                f"accidents[{i}]: expected (type, onset seconds), got {item!r}"
            ) from None
        if kind not in ACCIDENT_TYPES:
            raise ValueError(
                f"accidents[{i}]: unknown accident type {kind!r} "
                f"(one of {', '.join(ACCIDENT_TYPES)})"
            )
        if not isinstance(offset, int | float) or not math.isfinite(offset):
            raise ValueError(f"accidents[{i}]: onset {offset!r} is not a number of seconds")
        onset = round(offset)
        if not 0 <= onset < n:
            raise ValueError(f"accidents[{i}]: onset {offset} s is outside the well (0..{n - 1} s)")
        items.append((onset, kind, i))
    items.sort()
    plans: list[Plan] = []
    for k, (onset, kind, i) in enumerate(items):
        earliest = 0
        if k:
            prev_onset, prev_kind, prev_i = items[k - 1]
            gap = min_gap(prev_kind)
            need = prev_onset + gap
            if onset < need:
                raise ValueError(
                    f"accidents[{i}]: {kind} at {onset} s overlaps accidents[{prev_i}] "
                    f"({prev_kind} at {prev_onset} s); leave at least {gap} s after a {prev_kind}"
                )
            earliest = need
        pmin, pmax = TYPES[kind].precursor_s
        pre = int(min(rng.uniform(pmin, pmax), onset - earliest))
        plans.append(Plan(kind, onset, max(pre, 0)))
    return plans
