"""The backtest report people look at: alerts.csv, metrics.json, a timeline picture per well
and the confusion matrix of accident type against the type of its first alert."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib.image
import numpy as np

from pipelines.live.streaming import Decision
from pipelines.telemetry import Accident, Alert, datetime_to_ns
from pipelines.training.report import (
    confusion,
    per_sample_auc,
    plot_confusion,
    plot_timeline,
    write_alerts_csv,
    write_metrics_json,
    write_report,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CLASSES = ["normal", "stuck_pipe", "kick", "washout"]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def decisions(every_min: float, n: int, **inside: tuple[float, float, float]) -> list[Decision]:
    """``n`` decisions every ``every_min`` minutes from T0; ``inside[type] = (from_min, to_min,
    p)`` gives that type probability p from..to (inclusive) and 0.1 elsewhere."""
    out = []
    for i in range(n):
        t = i * every_min
        probs = dict.fromkeys(CLASSES[1:], 0.1)
        for kind, (lo, hi, p) in inside.items():
            if lo <= t <= hi:
                probs[kind] = p
        probs["normal"] = 1.0 - sum(probs.values())
        out.append(Decision(datetime_to_ns(at(t)), probs, "rotary_drilling"))
    return out


def read_png(path: Path) -> np.ndarray:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return matplotlib.image.imread(path)


def test_alerts_csv_lists_alerts_by_well_then_time_with_four_decimals(tmp_path: Path) -> None:
    alerts = [
        Alert("W2", at(5), "kick", 0.5),
        Alert("W1", at(30), "washout", 0.123456),
        Alert("W1", at(10), "stuck_pipe", 0.9),
    ]
    path = tmp_path / "alerts.csv"
    write_alerts_csv(alerts, path)
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["well", "time", "type", "probability"],
        ["W1", "2026-01-01T00:10:00+00:00", "stuck_pipe", "0.9000"],
        ["W1", "2026-01-01T00:30:00+00:00", "washout", "0.1235"],
        ["W2", "2026-01-01T00:05:00+00:00", "kick", "0.5000"],
    ]


def test_metrics_json_is_sorted_readable_and_keeps_times_as_text(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    write_metrics_json({"recall": 0.75, "as_of": T0, "per_type": {"kick": {"n": 2}}}, path)
    text = path.read_text()
    assert text.endswith("}\n")
    assert text.index('"as_of"') < text.index('"per_type"') < text.index('"recall"')
    assert json.loads(text) == {
        "as_of": "2026-01-01 00:00:00+00:00",
        "per_type": {"kick": {"n": 2}},
        "recall": 0.75,
    }


def test_the_confusion_matrix_counts_the_first_alert_in_each_detection_window() -> None:
    accidents = [
        Accident("W1", "kick", at(600), at(630)),
        Accident("W1", "stuck_pipe", at(1200)),  # no end: 30 min
        Accident("W2", "stuck_pipe", at(720), at(750)),
        Accident("W2", "blowout", at(2000)),  # a type the detector does not know
    ]
    alerts = [
        Alert("W1", at(540), "kick"),  # 1 h ahead, inside the 2-h look-back: first
        Alert("W1", at(610), "lost_circulation"),  # later in the same window: not counted
        Alert("W1", at(1000), "washout"),  # before the stuck pipe's look-back: too early
        Alert("W2", at(1210), "stuck_pipe"),  # another well
        Alert("W2", at(735), "pack_off"),  # the wrong type, but the first in its window
    ]
    names, matrix = confusion(accidents, alerts)
    split = names.index("|")
    rows, cols = names[:split], names[split + 1 :]
    assert rows == ["kick", "stuck_pipe", "blowout"]  # by name, unknown types last
    # the accidents' types, then other alerted types, then the misses
    assert cols == [*rows, "lost_circulation", "pack_off", "washout", "missed"]
    assert matrix.tolist() == [
        [1, 0, 0, 0, 0, 0, 0],  # kick: alerted as a kick
        [0, 0, 0, 0, 1, 0, 1],  # stuck pipe: W2's alerted as a pack-off, W1's missed
        [0, 0, 0, 0, 0, 0, 1],  # blowout: missed
    ]


def test_per_sample_auc_ranks_each_types_decisions_inside_its_accidents() -> None:
    per_well = {
        # kick likely while the kick is on: ranked perfectly
        "W1": decisions(10, 12, kick=(30, 60, 0.9)),
        # stuck pipe (no end: 30 min) unlikelier during it than anywhere else: ranked backwards
        "W2": decisions(10, 6, stuck_pipe=(0, 30, 0.05)),
    }
    accidents = [Accident("W1", "kick", at(30), at(60)), Accident("W2", "stuck_pipe", at(0))]
    auc = per_sample_auc(per_well, accidents, CLASSES)
    assert auc == {"stuck_pipe": 0.0, "kick": 1.0, "washout": None}  # washout: no positives


def test_a_timeline_is_a_wide_picture_of_one_well(tmp_path: Path) -> None:
    path = tmp_path / "timeline.png"
    plot_timeline(
        "W1",
        decisions(10, 24, kick=(100, 150, 0.8)),
        [Accident("W1", "kick", at(120), at(150))],
        [Alert("W1", at(110), "kick", 0.8)],
        path,
    )
    image = read_png(path)
    assert image.shape[:2] == (320, 1400)  # 14 x 3.2 in at 100 dpi
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 10  # drawn on


def test_the_confusion_picture_grows_with_its_rows_and_columns(tmp_path: Path) -> None:
    accidents = [Accident("W1", "kick", at(600), at(630)), Accident("W1", "washout", at(900))]
    path = tmp_path / "confusion.png"
    plot_confusion(accidents, [Alert("W1", at(590), "kick")], path)
    # rows: kick, washout; columns: kick, washout, missed
    assert read_png(path).shape[:2] == (220, 370)


def test_the_report_writes_every_file_and_returns_them_in_order(tmp_path: Path) -> None:
    out = tmp_path / "report" / "held-out"  # created as needed
    accidents = [Accident("W2", "kick", at(60), at(90))]
    alerts = [Alert("W2", at(50), "kick", 0.7), Alert("W1", at(20), "washout", 0.6)]
    per_well = {"W2": decisions(10, 12, kick=(50, 90, 0.7)), "W1": decisions(10, 12)}
    metrics = {"recall": 1.0, "false_alarms": 1}
    written = write_report(
        out, metrics=metrics, alerts=alerts, accidents=accidents, decisions=per_well
    )
    assert [p.name for p in written] == [
        "alerts.csv",
        "metrics.json",
        "timeline_W1.png",
        "timeline_W2.png",
        "confusion.png",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    with (out / "alerts.csv").open() as fh:
        assert [r["well"] for r in csv.DictReader(fh)] == ["W1", "W2"]
    for path in written[2:]:
        read_png(path)


def test_a_report_without_accidents_has_no_confusion_matrix(tmp_path: Path) -> None:
    written = write_report(
        tmp_path, metrics={}, alerts=[], accidents=[], decisions={"W1": decisions(10, 6)}
    )
    assert [p.name for p in written] == ["alerts.csv", "metrics.json", "timeline_W1.png"]
    assert not (tmp_path / "confusion.png").exists()
    with (tmp_path / "alerts.csv").open() as fh:
        assert fh.read().splitlines() == ["well,time,type,probability"]
