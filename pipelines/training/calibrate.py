"""Per-type alert thresholds calibrated on validation wells to a false-alarm budget.

The validation wells' decisions (class probabilities every stride, from a replay through the
live path) are run through the live alert logic at every threshold of a grid (whole streams
at once: ``pipelines.live.alerting.stream_alerts``, held equal to its ``step``); the
false-alarm budget is shared by all types and spent where it catches the most accidents, or
warns of them earliest (``calibrate_fast``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from pipelines.live.alerting import DEFAULT_HOLD_S, AlertPolicy, AlertState, step, stream_alerts
from pipelines.live.streaming import Decision
from pipelines.telemetry import Accident, Alert, ns_to_datetime
from pipelines.training.evaluate import evaluate

log = logging.getLogger(__name__)
# 0.30 ... 0.975, then finer near 1: the paper's detector scores normal windows up to 0.99
GRID = (*(round(0.30 + 0.025 * i, 3) for i in range(28)), 0.99, 0.995, 0.998, 0.999)
EARLY_WEIGHT = 0.5  # an accident warned of EARLY_MIN ahead counts this much more than a late one


def alerts_from_decisions(decisions: dict[str, list[Decision]], policy: AlertPolicy) -> list[Alert]:
    alerts: list[Alert] = []
    for well_id, well_decisions in decisions.items():
        state = AlertState()
        for d in well_decisions:
            fired = step(
                state,
                policy,
                time_ns=d.time_ns,
                probabilities=d.probabilities,
                rig_state=d.rig_state,
                blocked=d.blocked,
            )
            if fired is not None:
                alerts.append(
                    Alert(well_id, ns_to_datetime(d.time_ns), fired, d.probabilities[fired])
                )
    return alerts


def decision_arrays(
    decisions: dict[str, list[Decision]], types: list[str]
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray], list[frozenset[str]]]]:
    """Replayed decisions (per well, in time order) as the arrays ``calibrate_fast`` takes."""
    out = {}
    for well_id, rows in decisions.items():
        times = np.array([d.time_ns for d in rows], dtype=np.int64)
        probs = {t: np.array([d.probabilities.get(t, 0.0) for d in rows]) for t in types}
        out[well_id] = (times, probs, [d.blocked for d in rows])
    return out


def type_alerts(
    decisions: dict[str, tuple[np.ndarray, dict[str, np.ndarray], list[frozenset[str]]]],
    accident_type: str,
    threshold: float,
    *,
    k: int,
    n: int,
    cooldown_s: float,
    hold_s: float = 0.0,
) -> list[Alert]:
    """The alerts of one type alone on every well of ``decisions`` (well -> times, class ->
    scores, types gated out per decision): what the live alert logic raises when every other
    type's threshold is out of reach (``alerting.stream_alerts``; the rig-state gating is in
    the types gated out)."""
    policy = AlertPolicy(
        thresholds={accident_type: threshold},
        k=k,
        n=n,
        cooldown_s=cooldown_s,
        hold_s={accident_type: hold_s},
    )
    alerts: list[Alert] = []
    for well_id, (times, probs, blocked) in decisions.items():
        scores = {accident_type: probs[accident_type]}
        for i, _ in stream_alerts(policy, times, scores, blocked=blocked):
            alerts.append(Alert(well_id, ns_to_datetime(int(times[i])), accident_type, 1.0))
    return alerts


def typed_alerts(
    alerts: list[Alert], accidents: list[Accident], accident_type: str
) -> tuple[int, int]:
    """How many of ``alerts`` (all of ``accident_type``) fall inside a detection window of an
    accident of that type (right), and how many only inside windows of other types (wrong)."""
    right = wrong = 0
    for alert in alerts:
        types = {
            acc.type
            for acc in accidents
            if acc.well_id == alert.well_id and acc.window[0] <= alert.time <= acc.window[1]
        }
        if accident_type in types:
            right += 1
        elif types:
            wrong += 1
    return right, wrong


@dataclass
class _Point:
    """One threshold of one type on the validation wells."""

    threshold: float
    false_alarms: int
    detected: int
    # accidents of the type first alerted at least EARLY_MIN before their start, or before
    # the crew began to react where the record says when (evaluate's ``in_time``)
    in_time: int
    alerts: list[Alert]

    def value(self, early_weight: float) -> float:
        return self.detected + early_weight * self.in_time


def calibrate_fast(
    decisions: dict[str, tuple[np.ndarray, dict[str, np.ndarray], list[frozenset[str]]]],
    accidents: list[Accident],
    monitored: dict[str, tuple[datetime, datetime]],
    types: list[str],
    *,
    budget_per_day: float,
    k: int,
    n: int,
    cooldown_s: float,
    mistype_share: float = 0.3,
    early_weight: float = EARLY_WEIGHT,
    hold_s: dict[str, float] = DEFAULT_HOLD_S,
) -> tuple[dict[str, float], list[Alert]]:
    """Per-type thresholds from decision arrays (well -> times, class -> probabilities, types
    gated out per decision as ``alerting.gated_out`` gives them).

    A threshold is admissible for a type when its alerts inside other types' accident
    windows stay below ``mistype_share`` of those inside its own (an alert of the wrong type
    is not a false alarm by docs/domain.md §5, but it misleads as much). Every type starts at its
    lowest admissible threshold without false alarms (a type that raises some at every
    admissible threshold starts at its quietest one, and those are paid from the budget
    first); the budget's false alarms (one shared count for all types: ``budget_per_day`` x
    the days monitored outside accident windows, rounded down) are then spent, one step at a
    time, where they gain the most per false alarm: an accident caught counts 1, one warned
    of in time ``early_weight`` more: at least ``EARLY_MIN`` before its start (precursors
    are what the system is for), or before the crew began to react where the record says
    when (the simulator's manifest does for kicks, losses and twist-offs: warning before the
    driller would notice). Also returns the alerts all chosen thresholds raise together
    (each type judged alone, then merged in time order)."""
    cooldown = timedelta(seconds=cooldown_s)
    curves: dict[str, list[_Point]] = {}
    days = 0.0
    for accident_type in types:
        curve: list[_Point] = []
        for threshold in GRID:
            alerts = type_alerts(
                decisions,
                accident_type,
                threshold,
                k=k,
                n=n,
                cooldown_s=cooldown_s,
                hold_s=hold_s.get(accident_type, 0.0),
            )
            metrics = evaluate(alerts, accidents, monitored, cooldown=cooldown)
            days = metrics["monitored_days_outside_windows"] or 0.0
            right, wrong = typed_alerts(alerts, accidents, accident_type)
            if wrong <= mistype_share * right:
                row = metrics["per_type"].get(accident_type, {})
                curve.append(
                    _Point(
                        threshold,
                        metrics["false_alarms"],
                        row.get("detected", 0),
                        row.get("in_time", 0),
                        alerts,
                    )
                )
            if metrics["false_alarms"] == 0 and wrong == 0:
                break  # higher thresholds only lose accidents
        curves[accident_type] = curve

    def start(curve: list[_Point]) -> _Point | None:
        # the lowest threshold without false alarms, else the quietest (then most valuable)
        clean = next((pt for pt in curve if pt.false_alarms == 0), None)
        if clean is not None or not curve:
            return clean
        return min(curve, key=lambda pt: (pt.false_alarms, -pt.value(early_weight)))

    chosen = {t: start(curves[t]) for t in types}

    def cost(pt: _Point | None) -> tuple[int, float]:
        return (pt.false_alarms, pt.value(early_weight)) if pt is not None else (0, 0.0)

    budget = int(budget_per_day * days)
    spare = budget - sum(cost(chosen[t])[0] for t in types)
    if spare < 0:
        log.warning(
            "%d validation false alarms at the quietest admissible thresholds, over the "
            "budget of %d",
            budget - spare,
            budget,
        )
    while spare > 0:
        # most value per false alarm, then fewest false alarms, then highest threshold
        best: tuple[tuple[float, int, float], str, _Point] | None = None
        for t in types:
            fa_now, value_now = cost(chosen[t])
            for pt in curves[t]:
                extra, gain = pt.false_alarms - fa_now, pt.value(early_weight) - value_now
                key = (gain / max(extra, 1), -extra, pt.threshold)
                if 0 < extra <= spare and gain > 0 and (best is None or key > best[0]):
                    best = (key, t, pt)
        if best is None:
            break
        (_, minus_extra, _), t, pt = best
        spare += minus_extra
        chosen[t] = pt
    thresholds: dict[str, float] = {}
    chosen_alerts: list[Alert] = []
    for t in types:
        point = chosen[t]
        thresholds[t] = point.threshold if point is not None else GRID[-1]
        if point is not None:
            chosen_alerts.extend(point.alerts)
        log.info(
            "threshold %s: %.3f (%d validation false alarms)",
            t,
            thresholds[t],
            point.false_alarms if point else 0,
        )
    chosen_alerts.sort(key=lambda a: a.time)
    return thresholds, chosen_alerts
