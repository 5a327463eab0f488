"""Backtest outputs people look at: alerts.csv, metrics.json and pictures (a timeline per
well with accidents, detection windows, alerts and class probabilities; a confusion matrix
of accident type against the type of its first alert)."""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from models.artifact import NORMAL
from models.channels import ACCIDENT_TYPES
from pipelines.live.streaming import Decision
from pipelines.telemetry import Accident, Alert

log = logging.getLogger(__name__)
COLORS = {t: plt.get_cmap("tab10")(i) for i, t in enumerate(ACCIDENT_TYPES)}


def _num(value: datetime) -> float:
    """Matplotlib's date number of a tz-aware time (the axis is UTC)."""
    return float(mdates.date2num(value))


def write_alerts_csv(alerts: list[Alert], path: Path) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["well", "time", "type", "probability"])
        for a in sorted(alerts, key=lambda a: (a.well_id, a.time)):
            writer.writerow([a.well_id, a.time.isoformat(), a.type, f"{a.probability:.4f}"])


def write_metrics_json(metrics: dict, path: Path) -> None:
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True, default=str) + "\n")


def per_sample_auc(
    decisions: dict[str, list[Decision]], accidents: list[Accident], classes: list[str]
) -> dict[str, float | None]:
    """One-vs-rest AUC per accident type over decisions inside [start, end] vs normal ones."""
    from sklearn.metrics import roc_auc_score

    from pipelines.telemetry import datetime_to_ns

    labels: list[str] = []
    scores: list[list[float]] = []
    for well_id, ds in decisions.items():
        spans = [
            (
                datetime_to_ns(a.start),
                datetime_to_ns(a.end) if a.end else datetime_to_ns(a.start) + 1800 * 10**9,
                a.type,
            )
            for a in accidents
            if a.well_id == well_id
        ]
        for d in ds:
            label = next((t for lo, hi, t in spans if lo <= d.time_ns <= hi), NORMAL)
            labels.append(label)
            scores.append([d.probabilities.get(c, 0.0) for c in classes])
    out: dict[str, float | None] = {}
    y = np.array(labels)
    s = np.array(scores)
    for j, c in enumerate(classes):
        if c == NORMAL:
            continue
        positive = y == c
        if positive.any() and (~positive).any():
            out[c] = float(roc_auc_score(positive, s[:, j]))
        else:
            out[c] = None
    return out


def plot_timeline(
    well_id: str,
    decisions: list[Decision],
    accidents: list[Accident],
    alerts: list[Alert],
    path: Path,
) -> None:
    fig, ax = plt.subplots(figsize=(14, 3.2))
    if decisions:
        t = mdates.date2num(np.array([d.time_ns for d in decisions], dtype="datetime64[ns]"))
        types = [c for c in decisions[0].probabilities if c != NORMAL]
        for c in types:
            p = np.array([d.probabilities[c] for d in decisions])
            ax.plot(t, p, lw=0.8, color=COLORS.get(c, "grey"), label=c)
    for a in accidents:
        lo, hi = a.window
        ax.axvspan(_num(lo), _num(a.start), color=COLORS.get(a.type, "grey"), alpha=0.08)
        ax.axvspan(_num(a.start), _num(hi), color=COLORS.get(a.type, "grey"), alpha=0.3)
        ax.text(_num(a.start), 1.02, a.type, fontsize=8, va="bottom")
    for al in alerts:
        ax.axvline(_num(al.time), color=COLORS.get(al.type, "black"), ls="--", lw=1.2)
        ax.plot([_num(al.time)], [al.probability], marker="v", color="black", ms=7)
    ax.xaxis_date()
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    ax.set_title(
        f"{well_id}: accidents (shaded, light = 2 h detection look-back), alerts (dashed)",
        fontsize=10,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, title="p(type)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def confusion(accidents: list[Accident], alerts: list[Alert]) -> tuple[list[str], np.ndarray]:
    """Rows: true type; columns: type of the first alert in the window, or 'missed'."""
    types = sorted({a.type for a in accidents}, key=lambda t: (t not in ACCIDENT_TYPES, t))
    cols = [*types, "missed"]
    extra = sorted({al.type for al in alerts} - set(cols))
    cols = [*types, *extra, "missed"]
    m = np.zeros((len(types), len(cols)), dtype=int)
    for acc in accidents:
        lo, hi = acc.window
        hits = sorted(
            (al for al in alerts if al.well_id == acc.well_id and lo <= al.time <= hi),
            key=lambda al: al.time,
        )
        col = cols.index(hits[0].type) if hits else len(cols) - 1
        m[types.index(acc.type), col] += 1
    return [*types, "|", *cols], m


def plot_confusion(accidents: list[Accident], alerts: list[Alert], path: Path) -> None:
    names, m = confusion(accidents, alerts)
    split = names.index("|")
    rows, cols = names[:split], names[split + 1 :]
    fig, ax = plt.subplots(figsize=(1.0 + 0.9 * len(cols), 1.0 + 0.6 * len(rows)))
    ax.imshow(m, cmap="Blues")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(
                j,
                i,
                str(m[i, j]),
                ha="center",
                va="center",
                color="white" if m[i, j] > m.max() / 2 else "black",
            )
    ax.set_xticks(range(len(cols)), cols, rotation=40, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("first alert in the detection window")
    ax.set_ylabel("accident")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(
    out_dir: Path,
    *,
    metrics: dict,
    alerts: list[Alert],
    accidents: list[Accident],
    decisions: dict[str, list[Decision]],
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "alerts.csv", out_dir / "metrics.json"]
    write_alerts_csv(alerts, written[0])
    write_metrics_json(metrics, written[1])
    for well_id, ds in sorted(decisions.items()):
        path = out_dir / f"timeline_{well_id}.png"
        plot_timeline(
            well_id,
            ds,
            [a for a in accidents if a.well_id == well_id],
            [a for a in alerts if a.well_id == well_id],
            path,
        )
        written.append(path)
    if accidents:
        written.append(out_dir / "confusion.png")
        plot_confusion(accidents, alerts, written[-1])
    log.info("backtest report in %s (%d files)", out_dir, len(written))
    return written
