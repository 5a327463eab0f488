"""What would another alert policy trade? Per-type holds and thresholds swept on validation
wells, through the live path.

    .venv/bin/python bench/policy_sweep.py --seeds 7,8,9 --hold washout=0,300,600,900
    .venv/bin/python bench/policy_sweep.py --seeds 7-16 --threshold kick=0.95,0.9,0.8,0.5

The wells of the given seeds (plain and profile-shifted, as ``drillwatch evaluate`` draws
them: 16 wells x 24 h per seed; pick seeds that are neither the model's training seed nor
the held-out seeds 2-5 of docs/detection.md) are replayed once through the live path with
the model (``pipelines.training.backtest.backtest``, about 1 min per seed); their decisions then go
through the alert logic again (``pipelines.training.calibrate.alerts_from_decisions``) with one
type's hold time or threshold set to each value, every other setting as the model and the
default policy have it. Per value it prints the per-event metrics of docs/domain.md §5 over all the
wells, and the type's own recall, type accuracy, median lead and how many of its accidents
were warned of at least 5 min ahead, and for kicks, losses and twist-offs the median minutes
the first alert came before the simulated crew began to react ("crew").
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from models.artifact import BUNDLED_DIR, load_model
from pipelines.live.alerting import model_policy
from pipelines.training.backtest import HELDOUT_SEEDS, heldout_sets, replay_sets, seeds_arg
from pipelines.training.calibrate import alerts_from_decisions
from pipelines.training.evaluate import EARLY_MIN, evaluate


def sweep_arg(text: str) -> tuple[str, list[float]]:
    """``TYPE=v1,v2,...``"""
    accident_type, _, values = text.partition("=")
    if not accident_type or not values:
        raise argparse.ArgumentTypeError(f"{text!r}: expected TYPE=v1,v2,...")
    return accident_type, [float(v) for v in values.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=seeds_arg, default=seeds_arg("7,8,9"))
    parser.add_argument("--wells", type=int, default=8, help="wells per set (two sets a seed)")
    parser.add_argument("--model", type=Path, default=BUNDLED_DIR)
    parser.add_argument("--detector", choices=("classifier", "analogue"), default=None)
    parser.add_argument("--hold", type=sweep_arg, action="append", default=[], metavar="T=S,..")
    parser.add_argument(
        "--threshold", type=sweep_arg, action="append", default=[], metavar="T=P,.."
    )
    args = parser.parse_args()
    if HELDOUT_SEEDS & set(args.seeds):
        parser.error(f"--seeds: {sorted(HELDOUT_SEEDS & set(args.seeds))} are the held-out seeds")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("pipelines.live.streaming").setLevel(logging.WARNING)
    logging.getLogger("pipelines.simulate").setLevel(logging.WARNING)
    model = load_model(args.model)
    if args.detector:
        model = model.with_detector(args.detector)
    unknown = {t for t, _ in args.hold + args.threshold} - set(model.classes[1:])
    if unknown:
        parser.error(f"--hold/--threshold: {sorted(unknown)} not among {model.classes[1:]}")
    decisions, accidents, monitored = replay_sets(
        model, heldout_sets(seeds=tuple(args.seeds), wells=args.wells)
    )
    base = model_policy(model, k=3, n=5, cooldown_s=1800.0)
    cooldown = timedelta(seconds=base.cooldown_s)
    print(f"model {model.version}; thresholds {base.thresholds}; holds {base.hold_s}")
    print(f"{'setting':<28} recall type-acc FA/24h (n) lead | type: recall acc lead >=5min [crew]")
    runs = [("hold", t, v) for t, values in args.hold for v in values]
    runs += [("threshold", t, v) for t, values in args.threshold for v in values]
    for what, accident_type, value in runs or [("threshold", "kick", base.threshold("kick"))]:
        if what == "hold":
            policy = replace(base, hold_s={**base.hold_s, accident_type: value})
        else:
            policy = replace(base, thresholds={**base.thresholds, accident_type: value})
        m = evaluate(
            alerts_from_decisions(decisions, policy), accidents, monitored, cooldown=cooldown
        )
        row = m["per_type"].get(accident_type, {})
        leads = row.get("leads_min", [])
        own = row.get("median_lead_min")
        crew = row.get("median_ahead_of_crew_min")
        print(
            f"{f'{accident_type} {what} {value:g}':<28} "
            f"{m['recall']:.2f}   {m['type_accuracy']:.2f}   {m['false_alarms_per_day']:.3f} "
            f"({m['false_alarms']}) {m['median_lead_min']:+.1f} | "
            f"{row.get('recall', 0):.2f} {row.get('type_accuracy', 0):.2f} "
            f"{'-' if own is None else f'{own:+.1f}'} "
            f"{sum(lead >= EARLY_MIN for lead in leads)}/{row.get('accidents', 0)}"
            f"{'' if crew is None else f' crew {crew:+.1f}'}"
            f"  false alarms {m['false_alarms_by_type']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
