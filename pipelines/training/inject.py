"""Accident signatures laid over real, normal telemetry: training data that looks like the field.

A real well's quiet hours carry everything a simulator does not: its sensors' noise and
quantisation, pit transfers, pump start-ups, connections and the crew's habits. Laying a
physics-consistent signature over them, with randomised magnitude, onset shape and duration,
teaches a detector the accident against a real background instead of a simulated one.

Each injector changes only the channels the well sends (a kick on a well without flow out
shows in its pit and gas alone) and returns the :class:`~pipelines.telemetry.Accident` it
laid, whose ``start`` is when the signature becomes plain (the labelled start of a real
event is when the crew recognised it, not the first litre) and ``precursor_start`` its first
sign.

* **kick**: an influx grows (volume ~ t^p) into the pit; flow out rises by the influx rate
  while the pumps run, gas rises behind it, standpipe pressure sags slightly, a drilling
  break raises the rate of penetration; the influx goes on with the pumps off.
* **lost circulation**: the pit drains smoothly, flow out falls by the loss rate, pressure
  sags.
* **pack-off**: standpipe pressure climbs in steps with spikes, flow out falls, torque turns
  erratic, overpull on pick-ups; with the pumps off the pressure stays trapped.
* **stuck pipe**: torque and drag build, then the string stops: rotary speed to nothing with
  the torque held near its limit, the block still, hookload pulled over the string's weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from pipelines.telemetry import Accident, TelemetryBatch, ns_to_datetime

NS = 1_000_000_000
L_MIN_PER_M3_S = 60_000.0  # m³/s -> L/min


@dataclass(frozen=True)
class Injected:
    batch: TelemetryBatch
    accident: Accident


def _ramp(t_s: np.ndarray, duration_s: float, power: float) -> np.ndarray:
    """0 before the onset, (t / duration)^power during it, 1 after."""
    return np.clip(t_s / duration_s, 0.0, 1.0) ** power


def _level(values: np.ndarray | None, q: float = 0.5) -> float:
    if values is None:
        return float("nan")
    good = values[np.isfinite(values)]
    return float(np.quantile(good, q)) if good.size else float("nan")


def _pumping(channels: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Per sample, whether the pumps run (pressure or flow in above 30 % of their usual)."""
    for name in ("MFIA", "SPPA"):
        values = channels.get(name)
        if values is not None and np.isfinite(values).any():
            ref = _level(values, 0.9)
            return np.nan_to_num(values, nan=0.0) > 0.3 * ref
    return np.ones(n, dtype=bool)


def kick(batch: TelemetryBatch, onset_ns: int, well_id: str, rng: np.random.Generator) -> Injected:
    ch = {k: v.copy() for k, v in batch.channels.items()}
    t_s = (batch.times_ns - onset_ns) / NS
    duration = rng.uniform(10, 90) * 60.0
    power = rng.uniform(1.0, 2.5)
    # m³ by the end of the influx's growth: from a slow seep a pit totalizer would not flag
    # to a gain that fills the trip tank in minutes (log-uniform: small kicks are common)
    gain = float(np.exp(rng.uniform(np.log(0.3), np.log(6.0))))
    grow = _ramp(t_s, duration, power)
    rate = gain / duration  # m³/s at full flow; the influx keeps going after the ramp
    volume = gain * grow + rate * np.clip(t_s - duration, 0.0, None)
    influx = np.where(t_s < 0, 0.0, np.where(t_s < duration, gain * power / duration, rate))
    influx = influx * np.where(t_s < duration, np.clip(t_s / duration, 0, 1) ** (power - 1), 1)
    pumping = _pumping(ch, len(batch))
    if "TVA" in ch:
        ch["TVA"] = ch["TVA"] + volume
    flow_in = _level(ch.get("MFIA"), 0.9)
    typical_flow = flow_in if np.isfinite(flow_in) and flow_in > 100 else 2500.0
    if "MFOA" in ch:
        ch["MFOA"] = ch["MFOA"] + influx * L_MIN_PER_M3_S * pumping
    if "MFOP" in ch:
        paddle = _level(ch["MFOP"], 0.5)
        extra = influx * L_MIN_PER_M3_S / typical_flow * rng.uniform(0.5, 1.5)
        ch["MFOP"] = ch["MFOP"] + np.where(pumping, paddle * extra, 0.3 * paddle * extra)
    if "GASA" in ch:
        lag = rng.uniform(0, 0.5) * duration
        factor = rng.uniform(1.5, 10.0)
        quiet = max(_level(ch["GASA"], 0.25), 0.05)
        ch["GASA"] = ch["GASA"] + quiet * (factor - 1) * _ramp(t_s - lag, duration, 1.0)
    if "SPPA" in ch:
        ch["SPPA"] = ch["SPPA"] * (1 - rng.uniform(0, 0.05) * grow)
    if "ROPA" in ch:
        brk = (t_s >= 0) & (t_s < duration)
        ch["ROPA"] = ch["ROPA"] * np.where(brk, rng.uniform(1.2, 2.0), 1.0)
    plain = onset_ns + int(duration * NS * rng.uniform(0.4, 0.8))
    return _done(batch, ch, well_id, "kick", onset_ns, plain, onset_ns + int(duration * NS))


def lost_circulation(
    batch: TelemetryBatch, onset_ns: int, well_id: str, rng: np.random.Generator
) -> Injected:
    ch = {k: v.copy() for k, v in batch.channels.items()}
    t_s = (batch.times_ns - onset_ns) / NS
    duration = rng.uniform(10, 40) * 60.0
    power = rng.uniform(0.8, 2.0)
    loss = rng.uniform(1.0, 8.0)
    grow = _ramp(t_s, duration, power)
    rate = loss / duration
    pumping = _pumping(ch, len(batch))
    if "TVA" in ch:
        ch["TVA"] = ch["TVA"] - loss * grow
    if "MFOA" in ch:
        ch["MFOA"] = ch["MFOA"] - rate * L_MIN_PER_M3_S * pumping * (t_s >= 0) * (t_s < duration)
    if "MFOP" in ch:
        ch["MFOP"] = ch["MFOP"] * (1 - rng.uniform(0.1, 0.5) * grow * (t_s < duration))
    if "SPPA" in ch:
        ch["SPPA"] = ch["SPPA"] * (1 - rng.uniform(0, 0.06) * grow)
    plain = onset_ns + int(duration * NS * rng.uniform(0.3, 0.7))
    return _done(
        batch, ch, well_id, "lost_circulation", onset_ns, plain, onset_ns + int(duration * NS)
    )


def pack_off(
    batch: TelemetryBatch, onset_ns: int, well_id: str, rng: np.random.Generator
) -> Injected:
    ch = {k: v.copy() for k, v in batch.channels.items()}
    n = len(batch)
    t_s = (batch.times_ns - onset_ns) / NS
    duration = rng.uniform(3, 20) * 60.0
    hold = rng.uniform(5, 20) * 60.0
    grow = _ramp(t_s, duration, rng.uniform(1.0, 3.0))
    during = (t_s >= 0) & (t_s < duration + hold)
    pumping = _pumping(ch, n)
    if "SPPA" in ch:
        level = _level(ch["SPPA"], 0.5)
        rise = rng.uniform(0.08, 0.5) * grow
        spikes = rng.uniform(0.0, 0.25) * grow * np.abs(rng.standard_normal(n)) ** 2
        trapped = rng.uniform(0.2, 0.6) * level
        up = ch["SPPA"] * (1 + rise + spikes)
        ch["SPPA"] = np.where(
            during, np.where(pumping, up, np.maximum(ch["SPPA"], trapped)), ch["SPPA"]
        )
    for name in ("MFOA", "MFOP"):
        if name in ch:
            ch[name] = ch[name] * np.where(during, 1 - rng.uniform(0.05, 0.5) * grow, 1.0)
    if "TQA" in ch:
        level = max(_level(ch["TQA"], 0.5), 1.0)
        erratic = level * rng.uniform(0.1, 0.6) * grow * rng.standard_normal(n)
        ch["TQA"] = ch["TQA"] + np.where(during, level * 0.3 * grow + erratic, 0.0)
    if "HKLA" in ch:
        weight = _level(ch["HKLA"], 0.5)
        pulls = (rng.random(n) < 0.1) * weight * rng.uniform(0.05, 0.2)
        ch["HKLA"] = ch["HKLA"] + np.where(during, pulls * grow, 0.0)
    plain = onset_ns + int(duration * NS * rng.uniform(0.4, 0.9))
    end = onset_ns + int((duration + hold) * NS)
    return _done(batch, ch, well_id, "pack_off", onset_ns, plain, end)


def stuck_pipe(
    batch: TelemetryBatch, onset_ns: int, well_id: str, rng: np.random.Generator
) -> Injected:
    ch = {k: v.copy() for k, v in batch.channels.items()}
    n = len(batch)
    t_s = (batch.times_ns - onset_ns) / NS
    build = rng.uniform(3, 20) * 60.0
    stuck_for = rng.uniform(10, 60) * 60.0
    grow = _ramp(t_s, build, rng.uniform(1.0, 3.0))
    stuck = (t_s >= build) & (t_s < build + stuck_for)
    during = (t_s >= 0) & (t_s < build + stuck_for)
    if "TQA" in ch:
        high = max(_level(ch["TQA"], 0.9), 2.0)
        limit = high * rng.uniform(1.4, 3.0)
        noise = rng.uniform(0.02, 0.2) * high * rng.standard_normal(n)
        building = ch["TQA"] + (limit - high) * grow + noise * grow
        ch["TQA"] = np.where(stuck, limit + noise, np.where(during, building, ch["TQA"]))
    if "RPMA" in ch:
        ch["RPMA"] = np.where(stuck, ch["RPMA"] * rng.uniform(0, 0.05), ch["RPMA"])
    if "HKLA" in ch:
        weight = _level(ch["HKLA"], 0.5)
        over = weight * rng.uniform(0.1, 0.5)
        pulls = np.clip(np.sin(t_s / rng.uniform(30, 120) * np.pi), 0, None)
        drag = weight * rng.uniform(0.02, 0.1) * grow
        ch["HKLA"] = ch["HKLA"] + np.where(stuck, over * pulls + drag, np.where(during, drag, 0))
    for name in ("BPOS", "DBTM"):
        if name in ch:
            first = int(np.searchsorted(t_s, build))
            if first < n:
                frozen = ch[name][first]
                ch[name] = np.where(stuck, frozen, ch[name])
    plain = onset_ns + int(build * NS)
    end = onset_ns + int((build + stuck_for) * NS)
    return _done(batch, ch, well_id, "stuck_pipe", onset_ns, plain, end)


INJECTORS: dict[str, Callable[[TelemetryBatch, int, str, np.random.Generator], Injected]] = {
    "kick": kick,
    "lost_circulation": lost_circulation,
    "pack_off": pack_off,
    "stuck_pipe": stuck_pipe,
}
# what each signature needs to be visible at all
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kick": (("TVA", "MFOA", "MFOP"),),
    "lost_circulation": (("TVA", "MFOA", "MFOP"),),
    "pack_off": (("SPPA",),),
    "stuck_pipe": (("TQA",), ("RPMA", "HKLA")),
}


def can_inject(accident_type: str, channels: dict[str, np.ndarray]) -> bool:
    """Whether a well sends what the signature shows in (one of each group of channels)."""
    present = {k for k, v in channels.items() if np.isfinite(v).any()}
    return all(any(c in present for c in group) for group in NEEDS[accident_type])


def _done(
    batch: TelemetryBatch,
    channels: dict[str, np.ndarray],
    well_id: str,
    accident_type: str,
    onset_ns: int,
    start_ns: int,
    end_ns: int,
) -> Injected:
    accident = Accident(
        well_id=well_id,
        type=accident_type,
        start=ns_to_datetime(start_ns),
        end=ns_to_datetime(end_ns) + timedelta(seconds=0),
        precursor_start=ns_to_datetime(onset_ns),
    )
    return Injected(TelemetryBatch(batch.times_ns, channels), accident)


def pit_transfer(
    batch: TelemetryBatch, onset_ns: int, well_id: str, rng: np.random.Generator
) -> TelemetryBatch:
    """A normal event that imitates a kick or a loss in the pit alone: mud moved into or out
    of the active pit (a transfer, a dump, a new batch of mud) -- fast, with nothing in flow
    out or gas. Taught as normal so that the pit's steadiness and the other signs decide."""
    ch = {k: v.copy() for k, v in batch.channels.items()}
    if "TVA" not in ch:
        return batch
    t_s = (batch.times_ns - onset_ns) / NS
    duration = rng.uniform(0.5, 8.0) * 60.0
    volume = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 15.0)
    ch["TVA"] = ch["TVA"] + volume * _ramp(t_s, duration, 1.0)
    return TelemetryBatch(batch.times_ns, ch)
