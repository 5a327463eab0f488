"""Per-type alert thresholds calibrated on validation wells to a false-alarm budget.

The validation wells' decisions (class probabilities every stride, from a replay through the
live path) are run through the same alert logic (``pipelines.alerting.step``) at every
threshold of a grid; each type gets the lowest threshold whose false alarms stay within its
share of the budget.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

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
            )
            if fired is not None:
                alerts.append(
                    Alert(well_id, ns_to_datetime(d.time_ns), fired, d.probabilities[fired])
                )
    return alerts


def calibrate_thresholds(
    decisions: dict[str, list[Decision]],
    accidents: list[Accident],
    monitored: dict[str, tuple[datetime, datetime]],
    types: list[str],
    *,
    budget_per_day: float,
    k: int,
    n: int,
    cooldown_s: float,
) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    share = budget_per_day / max(1, len(types))
    for accident_type in types:
        chosen = GRID[-1]
        for threshold in GRID:
            others = dict.fromkeys(types, NEVER)
            others[accident_type] = threshold
            policy = AlertPolicy(thresholds=others, k=k, n=n, cooldown_s=cooldown_s)
            metrics = evaluate(
                alerts_from_decisions(decisions, policy),
                accidents,
                monitored,
                cooldown=timedelta(seconds=cooldown_s),
            )
            days = metrics["monitored_days_outside_windows"] or 0.0
            if metrics["false_alarms"] <= int(share * days):
                chosen = threshold
                break
        thresholds[accident_type] = chosen
        log.info("threshold %s: %.3f", accident_type, chosen)
    return thresholds
