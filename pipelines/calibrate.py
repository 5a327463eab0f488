"""Per-type alert thresholds calibrated on validation wells to a false-alarm budget.

The validation wells' decisions (class probabilities every stride, from a replay through the
live path) are run through the same alert logic (``pipelines.alerting.step``) at every
threshold of a grid; each type gets the lowest threshold whose false alarms stay within its
share of the budget.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np

from pipelines.alerting import AlertPolicy, AlertState, step
from pipelines.batch import ns_to_datetime
from pipelines.evaluate import Accident, Alert, evaluate
from pipelines.streaming import Decision

log = logging.getLogger(__name__)
GRID = (*(round(0.30 + 0.025 * i, 3) for i in range(28)), 0.99)
NEVER = 2.0


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


def type_alert_times(
    times_ns: np.ndarray,
    p: np.ndarray,
    allowed: np.ndarray,
    threshold: float,
    *,
    k: int,
    n: int,
    cooldown_s: float,
) -> np.ndarray:
    """Alert times of one type alone, vectorised: exactly what ``alerting.step`` raises when
    every other type's threshold is out of reach (vote = p >= threshold in an allowed rig
    state; k votes among the last n; one alert per episode within the cool-down)."""
    vote = (p >= threshold) & allowed
    if not vote.any():
        return np.empty(0, dtype=np.int64)
    csum = np.concatenate([[0], np.cumsum(vote)])
    idx = np.arange(len(vote))
    recent = csum[idx + 1] - csum[np.maximum(idx + 1 - n, 0)]
    holds = np.flatnonzero(vote & (recent >= k))
    fired: list[int] = []
    last: int | None = None
    cooldown_ns = cooldown_s * 1e9
    for i in holds:
        t = int(times_ns[i])
        if last is None or t - last > cooldown_ns:
            fired.append(t)
        last = t
    return np.array(fired, dtype=np.int64)


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
) -> tuple[dict[str, float], list[Alert]]:
    """Per-type thresholds from decision arrays (well -> times, class -> probabilities, types
    gated out per decision as ``alerting.gated_out`` gives them): each type gets the lowest
    threshold of the grid whose false alarms stay within its share of the budget and whose
    alerts inside other types' accident windows stay below ``mistype_share`` of those inside
    its own (an alert of the wrong type is not a false alarm by BRIEF §5, but it misleads as
    much). Also returns the alerts all chosen thresholds raise together (each type judged
    alone, then merged in time order)."""
    share = budget_per_day / max(1, len(types))
    thresholds: dict[str, float] = {}
    chosen_alerts: list[Alert] = []
    for accident_type in types:
        per_threshold: list[list[Alert]] = []
        chosen = NEVER
        for threshold in GRID:
            alerts: list[Alert] = []
            for well_id, (times, probs, blocked) in decisions.items():
                allowed = np.array([accident_type not in b for b in blocked], dtype=bool)
                p = probs[accident_type]
                for t in type_alert_times(
                    times, p, allowed, threshold, k=k, n=n, cooldown_s=cooldown_s
                ):
                    alerts.append(Alert(well_id, ns_to_datetime(int(t)), accident_type, 1.0))
            metrics = evaluate(alerts, accidents, monitored, cooldown=timedelta(seconds=cooldown_s))
            per_threshold.append(alerts)
            days = metrics["monitored_days_outside_windows"] or 0.0
            right, wrong = typed_alerts(alerts, accidents, accident_type)
            if metrics["false_alarms"] <= int(share * days) and wrong <= mistype_share * right:
                chosen = threshold
                break
        thresholds[accident_type] = chosen if chosen != NEVER else GRID[-1]
        if chosen != NEVER:
            chosen_alerts.extend(per_threshold[-1])
        log.info("threshold %s: %.3f", accident_type, thresholds[accident_type])
    chosen_alerts.sort(key=lambda a: a.time)
    return thresholds, chosen_alerts
