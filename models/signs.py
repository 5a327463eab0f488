"""Physical signs measured against the well's own recent behaviour: features that transfer.

The window features of :mod:`models.features` describe a window in the sensors' terms, and a
model trained on one rig's levels learns that rig. The signs here are what a drilling
engineer reads off the charts, each measured against the same well in its last half hour:

* the pit's gain over the last 5, 10 and 20 minutes, how steady it was (a kick or a loss fills
  or drains the pit smoothly; a transfer between pits jumps), and the pit's usual noise;
* gas against its own quiet level; flow out (meter or paddle) against its recent level and
  against flow in;
* standpipe pressure against its recent level, its roughness, and the pressure held with the
  pumps off; the pumps' state and how long they have been off;
* torque against its recent level, at its limit, and rough; rotary speed lost; hookload
  overpull; whether the block moved; rate of penetration against its recent level.

Every sign is ``NaN`` when the channels it needs are missing, so a well that sends only pit,
standpipe pressure, flow-out paddle and gas gets its pit, gas, flow and pump signs and no
others. Names are ``sign__<name>``: a model's column list is its exact specification.

``sign_rows`` is the one implementation: the live path calls it on each well's rolling buffer
and training on whole recordings, with the same decision samples. It needs the last
``SPAN_S`` seconds before each decision. ``describe`` turns a row into the evidence an
engineer reads with an alert ("pit +1.8 m³ in 10 min").
"""

from __future__ import annotations

import math

import numba
import numpy as np

NS = 1_000_000_000
SPAN_S = 1800.0  # every sign looks back at most this far
PUMPS_ON = 0.3  # pumps count as on while pressure (or flow in) is above this share of usual
_EPS = 1e-9

SIGNS: tuple[str, ...] = (
    "pit_d5",  # m³: the pit's last minute against the minute 5 min earlier
    "pit_d10",
    "pit_d20",
    "pit_steady10",  # |gain| / path length of 30-s means over 10 min: 1 = smooth, 0 = jumpy
    "pit_jump10",  # m³: largest step between consecutive 30-s means in 10 min (transfers)
    "pit_z10",  # the 10-min gain in units of the pit's own 1-min noise
    "gas_ratio",  # log of the last 3 min of gas against its quiet (lower quartile) level
    "gas_d10",  # log change of gas over 10 min
    "fout_rel",  # flow out (meter or paddle): last 2 min against its 30-min median, relative
    "fout_d5",  # flow out's relative change over 5 min
    "fdiff_rel",  # (flow out - flow in) / flow in: last 2 min against its 30-min median
    "pumps",  # standpipe pressure (or flow in) now against its usual pumping level
    "off_s",  # seconds since the pumps went off (0 while on; capped at SPAN_S)
    "spp_rel",  # standpipe pressure now against its 30-min median while pumping, relative
    "spp_d2",  # relative change of standpipe pressure over 2 min
    "spp_rough",  # standpipe pressure's spread over 2 min against its level
    "spp_held",  # with no flow in: pressure left against the usual pumping pressure
    "tq_rel",  # torque now against its 30-min median, relative
    "tq_peak",  # peak torque over 2 min against the 30-min 90th percentile
    "tq_rough",  # torque's spread over 2 min against its level
    "rpm_now",  # rotary speed now against its 30-min 90th percentile
    "rpm_lost",  # (highest speed over 5 min - speed now) / 30-min 90th percentile
    "hk_over",  # (highest hookload over 2 min - 30-min median) / median
    "block_moved",  # m: range of block position over 5 min
    "rop_rel",  # rate of penetration over 2 min against its 30-min median, relative
)
NAMES: tuple[str, ...] = tuple(f"sign__{s}" for s in SIGNS)
_INDEX = {name: i for i, name in enumerate(SIGNS)}


BIN_S = 30.0  # the signs are read off 30-s means: robust to irregular sampling and cheap
N_BINS = int(SPAN_S / BIN_S)
# the channels signs read, in the order of the kernel's columns; FDIFF is derived
_CHANNELS: tuple[str, ...] = (
    "TVA",
    "GASA",
    "MFOA",
    "MFOP",
    "MFIA",
    "SPPA",
    "TQA",
    "RPMA",
    "HKLA",
    "BPOS",
    "ROPA",
    "FDIFF",
)
(TVA, GAS, FOUT, PADDLE, FIN, SPP, TQ, RPM, HK, BPOS, ROP, FDIFF) = range(len(_CHANNELS))
(
    PIT_D5,
    PIT_D10,
    PIT_D20,
    PIT_STEADY10,
    PIT_JUMP10,
    PIT_Z10,
    GAS_RATIO,
    GAS_D10,
    FOUT_REL,
    FOUT_D5,
    FDIFF_REL,
    PUMPS,
    OFF_S,
    SPP_REL,
    SPP_D2,
    SPP_ROUGH,
    SPP_HELD,
    TQ_REL,
    TQ_PEAK,
    TQ_ROUGH,
    RPM_NOW,
    RPM_LOST,
    HK_OVER,
    BLOCK_MOVED,
    ROP_REL,
) = range(len(SIGNS))


def sign_rows(
    times_ns: np.ndarray, channels: dict[str, np.ndarray], ends: np.ndarray
) -> np.ndarray:
    """The signs (len(ends) x len(NAMES)) at decision samples ``ends`` of one well, from its
    samples in internal units (the ``SPAN_S`` before each decision are enough)."""
    out = np.full((len(ends), len(SIGNS)), np.nan)
    if len(ends) == 0:
        return out
    n = times_ns.shape[0]
    matrix = np.full((n, len(_CHANNELS)), np.nan)
    for j, name in enumerate(_CHANNELS[:-1]):
        values = channels.get(name)
        if values is not None:
            matrix[:, j] = values
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix[:, FDIFF] = (matrix[:, FOUT] - matrix[:, FIN]) / (np.abs(matrix[:, FIN]) + 100.0)
    _kernel(
        np.ascontiguousarray(times_ns, dtype=np.int64),
        matrix,
        np.asarray(ends, dtype=np.int64),
        out,
    )
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _mean_bins(b: np.ndarray, j: int, n: int, older: int) -> float:
    """Mean of channel ``j`` over ``n`` bins ending ``older`` bins before the newest."""
    stop = b.shape[0] - older
    s, k = 0.0, 0
    for i in range(max(stop - n, 0), stop):
        if math.isfinite(b[i, j]):
            s += b[i, j]
            k += 1
    return s / k if k else np.nan


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _log_ratio(a: float, b: float) -> float:
    """log(a / b), NaN unless both are positive (a gas sensor reading below zero)."""
    return math.log(a / b) if a > 0.0 and b > 0.0 else np.nan


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """The lower-index 25th, 50th and 90th percentiles of the finite values, from one sort
    (NaN with fewer than 3)."""
    good = values[np.isfinite(values)]
    if good.size < 3:
        return np.nan, np.nan, np.nan
    good = np.sort(good)
    last = good.size - 1
    return good[int(last * 0.25)], good[int(last * 0.5)], good[int(last * 0.9)]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _max_bins(h: np.ndarray, j: int, n: int) -> float:
    best = -np.inf
    for i in range(h.shape[0] - n, h.shape[0]):
        if math.isfinite(h[i, j]) and h[i, j] > best:
            best = h[i, j]
    return best if math.isfinite(best) else np.nan


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _spread(b: np.ndarray, cnt: np.ndarray, sq: np.ndarray, j: int) -> float:
    """Standard deviation of channel ``j``'s samples over the last 2 minutes (4 bins)."""
    total, s, s2 = 0.0, 0.0, 0.0
    for i in range(b.shape[0] - 4, b.shape[0]):
        if cnt[i, j] > 0:
            total += cnt[i, j]
            s += cnt[i, j] * b[i, j]
            s2 += cnt[i, j] * sq[i, j]
    if total < 3:
        return np.nan
    mean = s / total
    return math.sqrt(max(s2 / total - mean * mean, 0.0))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _kernel(
    times_ns: np.ndarray, x: np.ndarray, ends: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled; tested through sign_rows against a reference
    nb, nc = N_BINS, x.shape[1]
    span_ns = np.int64(SPAN_S * NS)
    bin_ns = np.int64(BIN_S * NS)
    b = np.empty((nb, nc))
    cnt = np.empty((nb, nc))
    sq = np.empty((nb, nc))
    h = np.empty((nb, nc))
    q25 = np.empty(nc)
    q50 = np.empty(nc)
    q90 = np.empty(nc)
    for r in range(ends.size):
        end = ends[r]
        t_end = times_ns[end]
        b[:] = 0.0
        cnt[:] = 0.0
        sq[:] = 0.0
        h[:] = -np.inf
        i = end
        while i >= 0 and times_ns[i] > t_end - span_ns:
            k = nb - 1 - (t_end - times_ns[i]) // bin_ns
            for j in range(nc):
                v = x[i, j]
                if math.isfinite(v):
                    b[k, j] += v
                    sq[k, j] += v * v
                    cnt[k, j] += 1.0
                    if v > h[k, j]:
                        h[k, j] = v
            i -= 1
        for k in range(nb):
            for j in range(nc):
                if cnt[k, j] > 0:
                    b[k, j] /= cnt[k, j]
                    sq[k, j] /= cnt[k, j]
                else:
                    b[k, j] = np.nan
                    sq[k, j] = np.nan
                    h[k, j] = np.nan
        for j in range(nc):
            q25[j], q50[j], q90[j] = _quantiles(b[:, j])
        _signs(out[r], b, cnt, sq, h, q25, q50, q90)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _signs(
    row: np.ndarray,
    b: np.ndarray,
    cnt: np.ndarray,
    sq: np.ndarray,
    h: np.ndarray,
    q25: np.ndarray,
    q50: np.ndarray,
    q90: np.ndarray,
) -> None:  # pragma: no cover - compiled
    nb = b.shape[0]
    now1 = np.empty(b.shape[1])
    now2 = np.empty(b.shape[1])
    for j in range(b.shape[1]):
        now1[j] = _mean_bins(b, j, 2, 0)
        now2[j] = _mean_bins(b, j, 4, 0)
    # pit: gains, how steady, the largest jump, the gain against the pit's own noise
    if math.isfinite(now1[TVA]):
        row[PIT_D5] = now1[TVA] - _mean_bins(b, TVA, 2, 10)
        row[PIT_D10] = now1[TVA] - _mean_bins(b, TVA, 2, 20)
        row[PIT_D20] = now1[TVA] - _mean_bins(b, TVA, 2, 40)
        ten = b[nb - 20 :, TVA]
        ten = ten[np.isfinite(ten)]
        if ten.size >= 4:
            path, jump = 0.0, 0.0
            for i in range(1, ten.size):
                step = abs(ten[i] - ten[i - 1])
                path += step
                jump = max(jump, step)
            row[PIT_STEADY10] = abs(ten[-1] - ten[0]) / (path + 1e-3)
            row[PIT_JUMP10] = jump
        minute = np.empty(nb // 2)
        for i in range(nb // 2):
            minute[i] = 0.5 * (b[2 * i, TVA] + b[2 * i + 1, TVA])
        minute = minute[np.isfinite(minute)]
        if minute.size >= 6:
            d = minute[1:] - minute[:-1]
            dev = np.abs(d - np.median(d))
            noise = np.median(dev) * 1.4826
            row[PIT_Z10] = row[PIT_D10] / (noise * math.sqrt(10.0) + 0.02)
    # gas against its quiet level
    if math.isfinite(now1[GAS]):
        floor = max(0.02, 0.1 * q50[GAS]) if math.isfinite(q50[GAS]) else 0.02
        row[GAS_RATIO] = _log_ratio(_mean_bins(b, GAS, 6, 0) + floor, q25[GAS] + floor)
        row[GAS_D10] = _log_ratio(now1[GAS] + floor, _mean_bins(b, GAS, 2, 20) + floor)
    # flow out: the meter if there is one, else the paddle
    for j, scale in ((FOUT, 100.0), (PADDLE, 5.0)):
        if math.isfinite(now2[j]) and math.isfinite(q50[j]):
            row[FOUT_REL] = (now2[j] - q50[j]) / (abs(q50[j]) + scale)
            row[FOUT_D5] = (now1[j] - _mean_bins(b, j, 2, 10)) / (abs(q50[j]) + scale)
            break
    if math.isfinite(now2[FDIFF]) and math.isfinite(q50[FDIFF]):
        row[FDIFF_REL] = now2[FDIFF] - q50[FDIFF]
    # pumps: standpipe pressure (else flow in) against its usual pumping level
    pump = SPP if math.isfinite(q90[SPP]) else FIN
    ref = q90[pump]
    if math.isfinite(ref) and ref > _EPS:
        level = b[nb - 1, pump] / ref
        if not math.isfinite(level):
            level = now1[pump] / ref
        row[PUMPS] = level
        if level > PUMPS_ON:
            row[OFF_S] = 0.0
        else:
            row[OFF_S] = SPAN_S
            for i in range(nb - 1, -1, -1):
                if b[i, pump] > PUMPS_ON * ref:
                    row[OFF_S] = (nb - 1 - i) * BIN_S
                    break
    ref = q90[SPP]
    if math.isfinite(ref) and ref > _EPS:
        col = b[:, SPP]
        pumping = col[col > PUMPS_ON * ref]
        med = np.median(pumping) if pumping.size >= 3 else ref
        now = b[nb - 1, SPP] if math.isfinite(b[nb - 1, SPP]) else now1[SPP]
        row[SPP_REL] = now / med - 1.0
        row[SPP_D2] = (now - _mean_bins(b, SPP, 1, 4)) / med
        row[SPP_ROUGH] = _spread(b, cnt, sq, SPP) / med
        if math.isfinite(q90[FIN]) and q90[FIN] > 50.0:
            row[SPP_HELD] = now1[SPP] / med if now1[FIN] < 0.1 * q90[FIN] else 0.0
    if math.isfinite(now1[TQ]) and math.isfinite(q50[TQ]):
        last = b[nb - 1, TQ] if math.isfinite(b[nb - 1, TQ]) else now1[TQ]
        row[TQ_REL] = (last - q50[TQ]) / (abs(q50[TQ]) + 1.0)
        row[TQ_PEAK] = _max_bins(h, TQ, 4) / (abs(q90[TQ]) + 1.0)
        row[TQ_ROUGH] = _spread(b, cnt, sq, TQ) / (abs(q50[TQ]) + 1.0)
    if math.isfinite(now1[RPM]) and math.isfinite(q90[RPM]):
        now = b[nb - 1, RPM] if math.isfinite(b[nb - 1, RPM]) else now1[RPM]
        row[RPM_NOW] = now / (abs(q90[RPM]) + 5.0)
        row[RPM_LOST] = (_max_bins(h, RPM, 10) - now) / (abs(q90[RPM]) + 5.0)
    if math.isfinite(now1[HK]) and math.isfinite(q50[HK]):
        row[HK_OVER] = (_max_bins(h, HK, 4) - q50[HK]) / (abs(q50[HK]) + 50.0)
    lo, hi = np.inf, -np.inf
    for i in range(nb - 10, nb):
        if math.isfinite(b[i, BPOS]):
            lo = min(lo, b[i, BPOS])
            hi = max(hi, b[i, BPOS])
    if hi >= lo:
        row[BLOCK_MOVED] = hi - lo
    if math.isfinite(now2[ROP]) and math.isfinite(q50[ROP]):
        row[ROP_REL] = (now2[ROP] - q50[ROP]) / (abs(q50[ROP]) + 1.0)


def _fmt(value: float, unit: str, digits: int = 1) -> str:
    return f"{value:+.{digits}f} {unit}".replace("-", "−")


def describe(row: np.ndarray) -> list[str]:
    """The signs present in one row, in words an engineer reads with an alert."""
    v = {name: float(row[i]) for i, name in enumerate(SIGNS)}
    out: list[str] = []

    def has(name: str) -> bool:
        return math.isfinite(v[name])

    if has("pit_d10") and abs(v["pit_d10"]) >= 0.3 and v.get("pit_steady10", 0.0) >= 0.5:
        out.append(f"pit {_fmt(v['pit_d10'], 'm³')} in 10 min, steadily")
    elif has("pit_d5") and abs(v["pit_d5"]) >= 0.3:
        out.append(f"pit {_fmt(v['pit_d5'], 'm³')} in 5 min")
    if has("gas_ratio") and v["gas_ratio"] >= math.log(2.0):
        out.append(f"gas ×{math.exp(v['gas_ratio']):.1f} its quiet level")
    if has("fdiff_rel") and abs(v["fdiff_rel"]) >= 0.05:
        out.append(f"flow out {v['fdiff_rel'] * 100:+.0f} % of flow in against its usual")
    elif has("fout_rel") and abs(v["fout_rel"]) >= 0.05:
        out.append(f"flow out {v['fout_rel'] * 100:+.0f} % against its last 30 min")
    if has("off_s") and v["off_s"] > 0 and has("pit_d5") and v["pit_d5"] >= 0.2:
        out.append(f"pit still gaining {v['off_s'] / 60:.0f} min after the pumps stopped")
    if has("spp_held") and v["spp_held"] >= 0.2:
        out.append(f"standpipe pressure held at {v['spp_held'] * 100:.0f} % with the pumps off")
    if has("spp_rel") and abs(v["spp_rel"]) >= 0.1 and v.get("pumps", 0.0) > PUMPS_ON:
        out.append(f"standpipe pressure {v['spp_rel'] * 100:+.0f} % against its last 30 min")
    if has("tq_peak") and v["tq_peak"] >= 1.3:
        out.append(f"torque peak ×{v['tq_peak']:.1f} its usual high")
    if has("rpm_lost") and v["rpm_lost"] >= 0.5 and has("rpm_now") and v["rpm_now"] < 0.2:
        out.append("rotation lost")
    if has("hk_over") and v["hk_over"] >= 0.1:
        out.append(f"overpull {v['hk_over'] * 100:.0f} % of the string's weight")
    return out
