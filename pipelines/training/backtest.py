"""Backtests replay stored telemetry through the live path (``StreamEngine.feed``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from models.artifact import ModelArtifact
from pipelines.live.streaming import AlertEvent, Decision, StreamEngine
from pipelines.telemetry import Accident, Alert, TelemetryBatch, chunks
from pipelines.training.evaluate import evaluate

log = logging.getLogger(__name__)
NS = 1_000_000_000
# The held-out seeds of docs/detection.md: models are judged on them, never tuned on them.
HELDOUT_SEEDS = frozenset({2, 3, 4, 5})


def seeds_arg(text: str) -> list[int]:
    """``7,8,9`` or ``7-16`` (or both, comma-separated) as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()) or (hi and int(hi) < int(lo)):
            raise ValueError(f"{text!r}: expected seeds like 7,8,9 or 7-16")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def training_wells(model: ModelArtifact, *, calibration: bool = True) -> set[str]:
    """The wells the model's metadata says it was trained on (and with ``calibration``,
    the validation wells either detector's thresholds were calibrated on)."""
    seen: set[str] = set()
    keys = ("training", "calibration", "calibration_analogue") if calibration else ("training",)
    for key in keys:
        seen |= set(model.meta.get(key, {}).get("wells", []))
        seen |= set(model.meta.get(key, {}).get("train_wells", []))
    return seen


def replay(
    engine: StreamEngine, well_id: str, batch: TelemetryBatch, *, batch_seconds: float = 60.0
) -> tuple[list[AlertEvent], list[Decision]]:
    alerts: list[AlertEvent] = []
    decisions: list[Decision] = []
    for part in chunks(batch, batch_seconds):
        result = engine.feed(well_id, part)
        alerts.extend(result.alerts)
        decisions.extend(result.decisions)
    return alerts, decisions


@dataclass
class BacktestResult:
    metrics: dict
    alerts: list[AlertEvent]
    decisions: dict[str, list[Decision]]  # per well, in time order
    monitored: dict[str, tuple[datetime, datetime]]


def backtest(
    model: ModelArtifact,
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    *,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
) -> BacktestResult:
    """Replay every well through a fresh engine; per-event metrics and the alerts raised."""
    engine = StreamEngine(model, k=k, n=n, cooldown_s=cooldown_s)
    all_alerts: list[AlertEvent] = []
    decisions: dict[str, list[Decision]] = {}
    monitored = {}
    for i, (well_id, batch) in enumerate(sorted(wells.items()), start=1):
        if len(batch) == 0:
            continue
        alerts, decisions[well_id] = replay(engine, well_id, batch)
        all_alerts.extend(alerts)
        monitored[well_id] = (batch.start, batch.end)
        log.info("backtest %d/%d %s: %d alerts", i, len(wells), well_id, len(alerts))
    metrics = evaluate(
        [Alert(a.well_id, a.time, a.type, a.probability) for a in all_alerts],
        [a for a in accidents if a.well_id in monitored],
        monitored,
        cooldown=timedelta(seconds=cooldown_s),
    )
    return BacktestResult(metrics, all_alerts, decisions, monitored)


# --------------------------------------------------------------------------- held-out evaluation


def shifted_profile(profile: Any, rng: np.random.Generator) -> Any:
    """A well unlike the training fleet: noisier, odd sensor calibration, other hydraulics.

    ``profile`` is a ``pipelines.simulate.WellProfile``; every change leaves it plausible.
    """
    u = rng.uniform
    return replace(
        profile,
        noise=float(np.clip(profile.noise * u(1.2, 1.8), 0.5, 3.0)),
        flow_lpm=float(np.clip(profile.flow_lpm * u(0.75, 1.3), 1200.0, 4500.0)),
        spp_kpa=float(np.clip(profile.spp_kpa * u(0.8, 1.25), 7000.0, 32000.0)),
        rpm=float(np.clip(profile.rpm * u(0.7, 1.3), 50.0, 190.0)),
        wob_kn=float(np.clip(profile.wob_kn * u(0.7, 1.3), 40.0, 220.0)),
        friction=float(np.clip(profile.friction * u(0.8, 1.5), 0.05, 0.3)),
        flow_out_bias=float(u(0.9, 1.1)),
        return_lag_s=float(u(5.0, 45.0)),
        dropout_rate=float(u(1.5, 3.0)),
        gas_pct=float(np.clip(profile.gas_pct * u(0.5, 3.0), 0.05, 5.0)),
    )


def simulated_dataset(
    n_wells: int, *, hours: float, seed: int, shifted: bool = False
) -> tuple[dict[str, TelemetryBatch], list[Accident]]:
    """Wells and accidents from the simulator, in memory (``shifted``: profiles moved away
    from the ones ``simulate_fleet`` draws, with well ids ``SHIFT-<seed>-<i>``)."""
    from pipelines.simulate import random_profile, simulate_fleet, simulate_well
    from pipelines.telemetry import ns_to_datetime

    if shifted:
        start = ns_to_datetime(1_767_225_600 * NS) + timedelta(hours=seed)
        sims = []
        for i in range(n_wells):
            rng = np.random.default_rng([seed, i, 7])
            profile = shifted_profile(random_profile(f"SHIFT-{seed}-{i:02d}", rng), rng)
            sims.append(simulate_well(profile, start=start, hours=hours, seed=seed * 1000 + i))
    else:
        sims = simulate_fleet(n_wells, hours=hours, seed=seed)
    wells = {w.profile.well_id: TelemetryBatch.from_frame(w.frame) for w in sims}
    accidents = [
        Accident(a.well_id, a.type, a.start, a.end, a.precursor_start, a.noticed)
        for w in sims
        for a in w.accidents
    ]
    return wells, accidents


def heldout_sets(
    *, seeds: tuple[int, ...] = (2,), wells: int = 8, hours: float = 24.0, shifted: bool = True
) -> dict[str, tuple[dict[str, TelemetryBatch], list[Accident]]]:
    """Held-out simulated sets: ``fleet-<seed>`` and (with ``shifted``) ``shifted-<seed>``."""
    sets: dict[str, tuple[dict[str, TelemetryBatch], list[Accident]]] = {}
    for seed in seeds:
        sets[f"fleet-{seed}"] = simulated_dataset(wells, hours=hours, seed=seed)
        if shifted:
            sets[f"shifted-{seed}"] = simulated_dataset(wells, hours=hours, seed=seed, shifted=True)
    return sets


def heldout_metrics(
    model: ModelArtifact | None,
    *,
    seeds: tuple[int, ...] = (2,),
    wells: int = 8,
    hours: float = 24.0,
    shifted: bool = True,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
    offsets: tuple[float, ...] = (),
    report_dir: Path | None = None,
) -> dict[str, Any]:
    """Per-event metrics on simulated wells from seeds the model never saw, one entry per set
    plus ``all`` (every set pooled). ``model=None`` scores the rule baseline instead.

    ``offsets``: also the pooled metrics with every alert threshold moved by each offset
    (``operating_points``), from the same replayed decisions through the same alert logic —
    what a lower or higher threshold would trade. ``report_dir``: also write the backtest
    report of every set pooled there (``pipelines.training.report.write_report``: alerts.csv,
    metrics.json, a timeline per well, the confusion matrix)."""
    from pipelines.live.rules import rule_decisions

    sets = heldout_sets(seeds=seeds, wells=wells, hours=hours, shifted=shifted)
    seen = training_wells(model) if model is not None else set()
    out: dict[str, Any] = {}
    all_alerts: list[Alert] = []
    all_decisions: dict[str, list[Decision]] = {}
    all_accidents: list[Accident] = []
    all_monitored: dict[str, tuple[datetime, datetime]] = {}
    cooldown = timedelta(seconds=cooldown_s)
    for name, (set_wells, set_accidents) in sets.items():
        overlap = seen & set(set_wells)
        if overlap:
            raise ValueError(f"{name}: wells {sorted(overlap)} were used to train the model")
        if model is None:
            from models.channels import ACCIDENT_TYPES
            from pipelines.live.alerting import AlertPolicy
            from pipelines.training.calibrate import alerts_from_decisions

            policy = AlertPolicy(
                thresholds=dict.fromkeys(ACCIDENT_TYPES, 0.5), k=k, n=n, cooldown_s=cooldown_s
            )
            decisions = {w: rule_decisions(b) for w, b in set_wells.items() if len(b)}
            all_decisions.update(decisions)
            alerts = alerts_from_decisions(decisions, policy)
            monitored = {w: (b.start, b.end) for w, b in set_wells.items() if len(b)}
            out[name] = evaluate(alerts, set_accidents, monitored, cooldown=cooldown)
        else:
            result = backtest(model, set_wells, set_accidents, k=k, n=n, cooldown_s=cooldown_s)
            out[name] = result.metrics
            all_decisions.update(result.decisions)
            monitored = result.monitored
            alerts = [Alert(a.well_id, a.time, a.type, a.probability) for a in result.alerts]
        all_alerts.extend(alerts)
        all_accidents.extend(set_accidents)
        all_monitored.update(monitored)
    out["all"] = evaluate(all_alerts, all_accidents, all_monitored, cooldown=cooldown)
    if model is not None and offsets:
        from dataclasses import replace

        from pipelines.live.alerting import model_policy
        from pipelines.training.calibrate import alerts_from_decisions

        points = []
        base = model_policy(model, k=k, n=n, cooldown_s=cooldown_s)
        for offset in offsets:
            thresholds = {
                t: float(np.clip(v + offset, 0.05, 0.999)) for t, v in model.thresholds.items()
            }
            policy = replace(base, thresholds=thresholds)
            alerts = alerts_from_decisions(all_decisions, policy)
            m = evaluate(alerts, all_accidents, all_monitored, cooldown=cooldown)
            points.append({"offset": offset, **{key: m[key] for key in POINT_KEYS}})
        out["operating_points"] = points
    if report_dir is not None:
        from pipelines.training.report import write_report

        write_report(
            report_dir,
            metrics=out,
            alerts=all_alerts,
            accidents=all_accidents,
            decisions=all_decisions,
        )
    return out


POINT_KEYS = ("recall", "type_accuracy", "false_alarms_per_day", "median_lead_min")


def format_points(points: list[dict[str, Any]]) -> str:
    """The operating points as a small table."""
    lines = ["threshold offset  recall  type acc  FA/24h  lead min"]
    for p in points:
        cells = [
            "-"
            if p[key] is None
            else f"{p[key]:.2f}"
            if key != "median_lead_min"
            else f"{p[key]:.1f}"
            for key in POINT_KEYS
        ]
        lines.append(
            f"{p['offset']:+16.2f}  {cells[0]:>6}  {cells[1]:>8}  {cells[2]:>6}  {cells[3]:>8}"
        )
    return "\n".join(lines)


def replay_sets(
    model: ModelArtifact,
    sets: dict[str, tuple[dict[str, TelemetryBatch], list[Accident]]],
    *,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
    refuse: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict[str, list[Decision]], list[Accident], dict[str, tuple[datetime, datetime]]]:
    """Every set replayed through the live path: decisions per well, the accidents and the
    monitored spans, for the alert logic to be run on again (``refuse``: well ids that must
    not be among them, e.g. the model's training wells)."""
    decisions: dict[str, list[Decision]] = {}
    accidents: list[Accident] = []
    monitored: dict[str, tuple[datetime, datetime]] = {}
    for name, (set_wells, set_accidents) in sets.items():
        overlap = set(refuse) & set(set_wells)
        if overlap:
            raise ValueError(f"{name}: wells {sorted(overlap)} were used to train the model")
        result = backtest(model, set_wells, set_accidents, k=k, n=n, cooldown_s=cooldown_s)
        decisions.update(result.decisions)
        monitored.update(result.monitored)
        accidents += set_accidents
        log.info("replayed %s: %d wells, %d accidents", name, len(set_wells), len(set_accidents))
    return decisions, accidents, monitored


def calibrate_on_validation(
    model: ModelArtifact,
    *,
    seeds: tuple[int, ...],
    wells: int = 8,
    hours: float = 24.0,
    budget_per_day: float = 0.1,
    mistype_share: float = 0.3,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
) -> dict[str, Any]:
    """Alert thresholds for the model's detector, calibrated on simulated validation wells
    (``seeds``: plain and profile-shifted sets, as ``heldout_sets`` draws them) replayed
    through the live path, with the live alert policy (k-of-n, gating, the model's holds)
    and ``pipelines.training.calibrate.calibrate_fast``'s objective and false-alarm budget.

    Returns the thresholds, the wells and days they were calibrated on, and the per-event
    metrics on those wells before (the model's thresholds) and after. Refuses the held-out
    seeds and wells the model was trained or calibrated on."""
    from pipelines.live.alerting import model_policy
    from pipelines.training.calibrate import alerts_from_decisions, calibrate_fast, decision_arrays

    held = sorted(HELDOUT_SEEDS & set(seeds))
    if held:
        raise ValueError(f"seeds {held} are the held-out seeds: calibrate on others")
    decisions, accidents, monitored = replay_sets(
        model,
        heldout_sets(seeds=seeds, wells=wells, hours=hours),
        k=k,
        n=n,
        cooldown_s=cooldown_s,
        refuse=training_wells(model, calibration=False),  # calibrating again on them is fine
    )
    policy = model_policy(model, k=k, n=n, cooldown_s=cooldown_s)
    types = list(model.classes[1:])
    thresholds, _ = calibrate_fast(
        decision_arrays(decisions, types),
        accidents,
        monitored,
        types,
        budget_per_day=budget_per_day,
        k=k,
        n=n,
        cooldown_s=cooldown_s,
        mistype_share=mistype_share,
        hold_s=policy.hold_s,
    )
    cooldown = timedelta(seconds=cooldown_s)
    before = evaluate(
        alerts_from_decisions(decisions, policy), accidents, monitored, cooldown=cooldown
    )
    after = evaluate(
        alerts_from_decisions(decisions, replace(policy, thresholds=thresholds)),
        accidents,
        monitored,
        cooldown=cooldown,
    )
    return {
        "thresholds": thresholds,
        "seeds": list(seeds),
        "wells": sorted(decisions),
        "budget_per_day": budget_per_day,
        "mistype_share": mistype_share,
        "before": before,
        "after": after,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.training.backtest --model DIR [--seeds 2,3] [--wells 8] [--hours 24]``:
    replay held-out simulated wells (plain and profile-shifted) and print per-type tables."""
    import argparse
    import json
    import sys

    from models.artifact import load_model
    from models.metadata import ModelMetadata
    from pipelines.training.evaluate import format_table

    parser = argparse.ArgumentParser(
        prog="drillwatch evaluate",
        description="Replay held-out simulated wells (new seeds; plain and profile-shifted) "
        "through the live path and print per-type per-event metrics. For labelled real "
        "wells instead: drillwatch evaluate --data DIR (well files + accidents.csv) or "
        "--wells W1,W2 (imported wells), with --model, --json and --out.",
    )
    parser.add_argument("--model", type=Path, help="model directory (default: the rules)")
    parser.add_argument("--seeds", default="2", help="held-out seeds: 2 or 2,3 or 2-5 (default 2)")
    parser.add_argument(
        "--wells",
        type=int,
        default=8,
        help="simulated wells per set (default 8); well ids (W1,W2) evaluate imported real "
        "wells instead",
    )
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--no-shifted", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the metrics here")
    parser.add_argument(
        "--out",
        type=Path,
        help="also write the backtest report of every set pooled to this directory "
        "(alerts.csv, metrics.json, timeline_<well>.png, confusion.png)",
    )
    parser.add_argument(
        "--detector",
        choices=("classifier", "analogue"),
        help="decide with this detector of the model (default: the model's own choice)",
    )
    parser.add_argument(
        "--sweep",
        help="comma-separated threshold offsets (e.g. -0.2,-0.1,0,0.05): pooled metrics with "
        "every alert threshold moved by each, from the same replay",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="store the metrics in the model's metadata.json as metrics.heldout",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    model = load_model(args.model) if args.model else None
    if model is not None and args.detector:
        model = model.with_detector(args.detector)
    label = f"{model.version}, {model.detector}" if model is not None else "rule baseline"
    try:
        seeds = tuple(seeds_arg(args.seeds))
    except ValueError as exc:
        parser.error(f"--seeds {exc}")
    try:
        offsets = tuple(float(x) for x in args.sweep.split(",")) if args.sweep else ()
    except ValueError:
        parser.error(f"--sweep: {args.sweep!r} is not a comma-separated list of numbers")
    if offsets and model is None:
        parser.error("--sweep needs --model")
    metrics = heldout_metrics(
        model,
        seeds=seeds,
        wells=args.wells,
        hours=args.hours,
        shifted=not args.no_shifted,
        offsets=offsets,
        report_dir=args.out,
    )
    for name, m in metrics.items():
        if name == "operating_points":
            sys.stdout.write(f"== operating points ({label}, all sets pooled)\n")
            sys.stdout.write(format_points(m) + "\n\n")
            continue
        sys.stdout.write(format_table(m, f"== {name} ({label})") + "\n\n")
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    if args.record:
        if model is None:
            parser.error("--record needs --model")
        command = "drillwatch evaluate " + " ".join(argv if argv is not None else sys.argv[2:])
        metadata = ModelMetadata.load(args.model)
        metadata.record_heldout(model.detector, {**metrics, "command": command})
        metadata.save(args.model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------- real wells


def real_metrics(
    model: ModelArtifact,
    wells: dict[str, TelemetryBatch],
    accidents: list[Accident],
    *,
    k: int = 3,
    n: int = 5,
    cooldown_s: float = 1800.0,
) -> tuple[dict[str, Any], BacktestResult]:
    """Per-event metrics of labelled real wells for the model (replayed through the live
    path), the rule baseline and the pit-volume totalizer alarm (1 m³ in 10 min, at once),
    each over the same wells; and the model's backtest."""
    from models.channels import ACCIDENT_TYPES
    from pipelines.live.alerting import AlertPolicy
    from pipelines.live.rules import rule_decisions, totalizer_decisions
    from pipelines.training.calibrate import alerts_from_decisions

    result = backtest(model, wells, accidents, k=k, n=n, cooldown_s=cooldown_s)
    cooldown = timedelta(seconds=cooldown_s)
    own = [a for a in accidents if a.well_id in result.monitored]
    out: dict[str, Any] = {model.version: result.metrics}
    floors = {
        "rule baseline": (rule_decisions, k, n),
        "pit totalizer": (totalizer_decisions, 1, 1),
    }
    for name, (decide, fk, fn) in floors.items():
        policy = AlertPolicy(
            thresholds=dict.fromkeys(ACCIDENT_TYPES, 0.5), k=fk, n=fn, cooldown_s=cooldown_s
        )
        decisions = {w: decide(b) for w, b in wells.items() if len(b)}
        alerts = alerts_from_decisions(decisions, policy)
        out[name] = evaluate(alerts, own, result.monitored, cooldown=cooldown)
    return out, result
