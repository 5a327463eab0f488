"""Simulating wells and fleets: seeds, accident schedules, and the pipeline of one well.

One well is simulated in stages, each with its own random stream spawned from the well's
seed, so that a change in one stage does not shift the draws of the others: the rig's
operations (with the accidents' events and reactions), the accident overlays, the physics,
the sensors, the dropouts, and the random accident plan.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from models.channels import CANONICAL
from pipelines.simulate.accidents import TYPES, Episode, Overlays
from pipelines.simulate.core import HOUR, MIN, SimAccident, SimWell
from pipelines.simulate.onset import run_accident
from pipelines.simulate.physics import physics
from pipelines.simulate.plans import (
    APPROACH_MIN_S,
    TAIL_MAX_S,
    Deck,
    Plan,
    resolve_plans,
    slot_plans,
)
from pipelines.simulate.profiles import WellProfile, random_profile
from pipelines.simulate.rig import Rig
from pipelines.simulate.sensors import dropouts, measure
from pipelines.telemetry import validate_well_id

logger = logging.getLogger(__name__)

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def check_utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{what}: {value!r} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def samples(hours: float) -> int:
    if not isinstance(hours, int | float) or not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"hours: {hours!r} must be a positive number")
    n = round(hours * HOUR)
    if n < 1:
        raise ValueError(f"hours: {hours!r} is less than one second")
    return n


def seed_seq(seed: int) -> np.random.SeedSequence:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: {seed!r} must be a non-negative integer")
    return np.random.SeedSequence(int(seed))


def run_well(
    profile: WellProfile, start: datetime, n: int, seed: int, plans: list[Plan] | None
) -> SimWell:
    """Simulate one well of ``n`` seconds; plans=None draws the accidents."""
    ops_ss, fx_ss, noise_ss, drop_ss, plan_ss = seed_seq(seed).spawn(5)
    if plans is None:
        rng = np.random.default_rng(plan_ss)
        count = math.floor(n / (8 * HOUR) + rng.random())
        plans = slot_plans(n, count, rng, Deck(rng))
    rig = Rig(profile, n, np.random.default_rng(ops_ss))
    episodes: list[Episode] = []
    plans = sorted(plans, key=lambda pl: pl.onset)
    for i, plan in enumerate(plans):
        until = n if i + 1 == len(plans) else plans[i + 1].onset - plans[i + 1].precursor
        need = plan.precursor if TYPES[plan.type].drilling_precursor else 0
        rig.normal_until(plan.onset - max(need, APPROACH_MIN_S) - TAIL_MAX_S)
        episodes.append(run_accident(rig, plan, until))
    rig.normal_until(n, final=True)
    rig.bit = np.minimum(rig.bit, rig.hole)

    fx = Overlays(n)
    fx_rng = np.random.default_rng(fx_ss)
    for ep in episodes:
        TYPES[ep.type].overlay(fx, ep, rig, fx_rng)
    quiet = [(ep.t["pre"], ep.t["end"]) for ep in episodes]
    ideal = physics(profile, rig, fx, np.random.default_rng(noise_ss), quiet)
    data = measure(profile, ideal, np.random.default_rng(noise_ss.spawn(1)[0]))
    dropouts(profile, data, np.random.default_rng(drop_ss))

    start = start.astimezone(UTC)
    index = pd.DatetimeIndex(
        pd.date_range(start=pd.Timestamp(start), periods=n, freq="s", unit="ns"), name="time"
    )
    frame = pd.DataFrame({name: data[name] for name in CANONICAL}, index=index, dtype=np.float64)
    last = start + timedelta(seconds=n - 1)
    accidents = []
    for ep in episodes:
        on = int(ep.t["on"])
        accidents.append(
            SimAccident(
                well_id=profile.well_id,
                type=ep.type,
                start=start + timedelta(seconds=on),
                end=min(start + timedelta(seconds=int(ep.t["end"])), last),
                precursor_start=start + timedelta(seconds=int(min(ep.t["pre"], on))),
                depth_m=round(float(rig.bit[min(on, n - 1)]), 2),
                severity=round(ep.severity, 3),
                operation=ep.op,
                noticed=(
                    start + timedelta(seconds=int(ep.t["notice"]))
                    if ep.t.get("notice", n) < n
                    else None
                ),
            )
        )
    return SimWell(profile=profile, frame=frame, accidents=accidents)


def simulate_well(
    profile: WellProfile,
    *,
    start: datetime,
    hours: float,
    seed: int,
    accidents: list[tuple[str, float]] | None = None,
) -> SimWell:
    """Simulate one well at 1 Hz from ``start`` for ``hours``.

    accidents: (type, onset offset in seconds from start); None = choose randomly (about
    one accident every 6-10 h, never overlapping, types spread evenly; 0 accidents allowed
    for short wells). Explicit precursors are drawn from the type's range but never reach
    back into the previous accident. Raises ValueError for unknown types, onsets outside
    the well, or onsets closer to the previous one than its longest event + reaction
    (capped at 45 min) + 10 min.
    """
    start = check_utc(start, "start")
    n = samples(hours)
    plans = None
    if accidents is not None:
        rng = np.random.default_rng(seed_seq(seed).spawn(6)[5])
        plans = resolve_plans(accidents, n, rng)
    return run_well(profile, start, n, seed, plans)


def _well_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def _fleet_plans(n_wells: int, n: int, seed: int) -> list[list[Plan]]:
    rng = np.random.default_rng([seed, 0xF1EE7])
    deck = Deck(rng)
    jitter = (rng.permutation(n_wells) + rng.random(n_wells)) / n_wells
    return [
        slot_plans(n, math.floor(n / (8 * HOUR) + jitter[i]), rng, deck) for i in range(n_wells)
    ]


def iter_fleet(
    n_wells: int, *, hours: float, seed: int, start: datetime | None, prefix: str
) -> Iterator[SimWell]:
    if isinstance(n_wells, bool) or not isinstance(n_wells, int) or n_wells < 1:
        raise ValueError(f"n_wells: {n_wells!r} must be a positive integer")
    n = samples(hours)
    seed_seq(seed)
    validate_well_id(f"{prefix}-{seed}-00")
    first = DEFAULT_EPOCH + timedelta(hours=seed) if start is None else check_utc(start, "start")
    plans = _fleet_plans(n_wells, n, seed)
    for i in range(n_wells):
        well_id = f"{prefix}-{seed}-{i:02d}"
        profile = random_profile(well_id, np.random.default_rng([seed, i, 1]))
        t0 = time.perf_counter()
        well = run_well(profile, first, n, _well_seed(seed, i), plans[i])
        logger.info(
            "simulated %s (%d/%d): %.1f h, %d accidents, %.2f s",
            well_id, i + 1, n_wells, n / HOUR, len(well.accidents), time.perf_counter() - t0,
        )  # fmt: skip
        yield well


def simulate_fleet(
    n_wells: int,
    *,
    hours: float,
    seed: int,
    start: datetime | None = None,
    prefix: str = "SIM",
) -> list[SimWell]:
    """Deterministic fleet: same arguments -> identical frames.

    Well ids are f"{prefix}-{seed}-{i:02d}"; the default start is 2026-01-01T00:00Z plus
    ``seed`` hours. Accident types are dealt from shuffled decks across the fleet, so every
    type occurs once the fleet holds about 60 well-hours.
    """
    return list(iter_fleet(n_wells, hours=hours, seed=seed, start=start, prefix=prefix))


def demo_fleet(
    n_wells: int, *, start: datetime, hours: float, seed: int, live_from: datetime
) -> list[SimWell]:
    """Wells for the live demo.

    Well 0 gets a kick with onset at live_from + 4 min (precursor from live_from), well 1
    (if any) a stuck pipe with onset at live_from + 9 min (precursor from live_from), the
    others normal operations only. Data run from ``start`` (moved back by less than 1 s
    if needed so that live_from falls on a whole second of the 1 s grid) to start + hours.
    Well ids are f"DEMO-{i:02d}".
    """
    if isinstance(n_wells, bool) or not isinstance(n_wells, int) or n_wells < 1:
        raise ValueError(f"n_wells: {n_wells!r} must be a positive integer")
    start = check_utc(start, "start")
    live_from = check_utc(live_from, "live_from")
    n = samples(hours)
    seed_seq(seed)
    lead = math.ceil((live_from - start).total_seconds())
    start = live_from - timedelta(seconds=lead)
    wells = []
    scenario = [("kick", 4 * MIN, 0.85), ("stuck_pipe", 9 * MIN, 0.8)]
    for i in range(n_wells):
        profile = random_profile(f"DEMO-{i:02d}", np.random.default_rng([seed, i, 2]))
        plans: list[Plan] = []
        if i < len(scenario):
            kind, after, severity = scenario[i]
            onset = lead + after
            if not 0 <= onset < n:
                raise ValueError(
                    f"live_from: {kind} onset at live_from + {after // MIN} min is outside "
                    f"the data ({start.isoformat()} + {hours} h)"
                )
            plans.append(Plan(kind, onset, min(after, onset), severity, "drill"))
        wells.append(run_well(profile, start, n, _well_seed(seed, 1000 + i), plans))
    return wells
