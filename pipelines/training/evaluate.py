"""Per-event detection metrics (docs/domain.md §5): recall, type accuracy, false alarms, lead.

An accident with start s and end e (s + 30 min if unknown) is detected by an alert in
[s - 2 h, e]; lead time is s minus the first such alert. Alerts outside every detection
window are false alarms, counted per 24 h of monitored time outside the windows, with the
repeats of one episode (same well and type within the cool-down) counted once; those raised
while an accident of their type was already developing (its recorded precursor under way,
its start more than 2 h away) are also counted apart. ``early`` counts the accidents warned
of at least ``EARLY_MIN`` before their start. Where the record says when the crew began to
react (the simulator's manifest does for kicks, losses and twist-offs), ``ahead of crew``
is that moment minus the first alert: whether the warning came before the driller noticed.
``in_time`` counts the accidents warned of either way: ``EARLY_MIN`` before their start, or
before the crew began to react.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np

from pipelines.telemetry import Accident, Alert

EARLY_MIN = 5.0  # a warning at least this long before the start is what the system is for
_ROWS = ("hit", "right", "lead", "crew", "in_time")  # what is kept per accident


def evaluate(
    alerts: list[Alert],
    accidents: list[Accident],
    monitored: dict[str, tuple[datetime, datetime]],
    *,
    cooldown: timedelta = timedelta(minutes=30),
) -> dict:
    """Metrics overall and per type. ``monitored``: well -> (first, last) time replayed."""
    by_well: dict[str, list[Alert]] = defaultdict(list)
    for alert in sorted(alerts, key=lambda a: a.time):
        by_well[alert.well_id].append(alert)
    per_type: dict[str, dict[str, list]] = defaultdict(lambda: {key: [] for key in _ROWS})
    for acc in accidents:
        lo, hi = acc.window
        hits = [a for a in by_well.get(acc.well_id, []) if lo <= a.time <= hi]
        row = per_type[acc.type]
        row["hit"].append(bool(hits))
        if hits:
            row["right"].append(hits[0].type == acc.type)
            row["lead"].append((acc.start - hits[0].time).total_seconds() / 60.0)
            before_crew = acc.noticed is not None and hits[0].time < acc.noticed
            if acc.noticed is not None:
                row["crew"].append((acc.noticed - hits[0].time).total_seconds() / 60.0)
            row["in_time"].append(row["lead"][-1] >= EARLY_MIN or before_crew)
    # False alarms: alerts outside every window of their well, episodes counted once.
    false_alarms = 0
    fa_by_type: dict[str, int] = defaultdict(int)
    fa_developing = 0
    outside_seconds = 0.0
    for well, (first, last) in monitored.items():
        mine = [a for a in accidents if a.well_id == well]
        windows = [a.window for a in mine]
        last_episode: dict[str, datetime] = {}
        for alert in by_well.get(well, []):
            if any(lo <= alert.time <= hi for lo, hi in windows):
                continue
            prev = last_episode.get(alert.type)
            last_episode[alert.type] = alert.time
            if prev is not None and alert.time - prev <= cooldown:
                continue
            false_alarms += 1
            fa_by_type[alert.type] += 1
            fa_developing += any(a.type == alert.type and a.developing(alert.time) for a in mine)
        covered = 0.0
        for lo, hi in windows:
            lo_c, hi_c = max(lo, first), min(hi, last)
            if hi_c > lo_c:
                covered += (hi_c - lo_c).total_seconds()
        outside_seconds += max(0.0, (last - first).total_seconds() - covered)
    days = outside_seconds / 86400.0

    def summarise(rows: dict[str, list]) -> dict:
        n = len(rows["hit"])
        return {
            "accidents": n,
            "detected": int(sum(rows["hit"])),
            "recall": (sum(rows["hit"]) / n) if n else None,
            "type_accuracy": (float(np.mean(rows["right"])) if rows["right"] else None),
            "median_lead_min": (float(np.median(rows["lead"])) if rows["lead"] else None),
            "early": int(sum(lead >= EARLY_MIN for lead in rows["lead"])),
            "in_time": int(sum(rows["in_time"])),
            # every detected accident's lead, so runs over other wells can be pooled
            "leads_min": sorted(round(float(lead), 2) for lead in rows["lead"]),
            # minutes before the crew began to react, where the record says when it did
            "median_ahead_of_crew_min": (float(np.median(rows["crew"])) if rows["crew"] else None),
            "ahead_of_crew_min": sorted(round(float(m), 2) for m in rows["crew"]),
        }

    everything: dict[str, list] = {key: [] for key in _ROWS}
    for rows in per_type.values():
        for key in everything:
            everything[key].extend(rows[key])
    result = summarise(everything)
    result.update(
        {
            "false_alarms": false_alarms,
            "monitored_days_outside_windows": days,
            "false_alarms_per_day": (false_alarms / days) if days > 0 else None,
            "false_alarms_by_type": dict(fa_by_type),
            # of them, raised while an accident of their type was already developing on the
            # well (its recorded precursor under way, the start more than LOOKBACK away)
            "false_alarms_developing": fa_developing,
            "per_type": {t: summarise(rows) for t, rows in sorted(per_type.items())},
        }
    )
    return result


def format_table(metrics: dict, title: str = "") -> str:
    """Plain-text per-type table of ``evaluate`` output (for docs and the command line)."""

    def fmt(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [title] if title else []
    crew = any(row.get("ahead_of_crew_min") for row in metrics["per_type"].values())
    lines.append(
        f"{'type':<18}{'events':>7}{'recall':>8}{'type acc':>10}{'lead min':>10}"
        + (f"{'ahead of crew':>15}" if crew else "")
    )
    for name, row in [*metrics["per_type"].items(), ("all", metrics)]:
        lines.append(
            f"{name:<18}{row['accidents']:>7}{fmt(row['recall'], '.2f'):>8}"
            f"{fmt(row['type_accuracy'], '.2f'):>10}{fmt(row['median_lead_min'], '.1f'):>10}"
            + (f"{fmt(row.get('median_ahead_of_crew_min'), '.1f'):>15}" if crew else "")
        )
    lines.append(
        f"false alarms: {metrics['false_alarms']} in "
        f"{metrics['monitored_days_outside_windows']:.2f} days outside windows = "
        f"{fmt(metrics['false_alarms_per_day'], '.2f')}/24 h {metrics['false_alarms_by_type']}"
    )
    if metrics.get("false_alarms_developing"):
        lines.append(
            f"  of them {metrics['false_alarms_developing']} while an accident of their type "
            "was already developing on the well (precursor under way, start > 2 h away)"
        )
    return "\n".join(lines)
