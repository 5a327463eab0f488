"""A rule baseline: fixed physical thresholds on window features, the floor any learned
detector must beat.

Every rule reads the named window features (``models.features``) of one decision; the first
rule that holds names the decision's type (probability 1). Decisions then go through the
same alert logic (k-of-n, gating, cool-down) as the models', so the comparison is fair.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from models.artifact import NORMAL
from models.channels import ACCIDENT_TYPES
from models.features import CALCULATORS, FeatureSpec, decision_ends, features_at, prepare
from models.rigstate import RigState
from pipelines.live.streaming import Decision
from pipelines.telemetry import TelemetryBatch

log = logging.getLogger(__name__)

SPEC = FeatureSpec(windows=(300, 1800), calculators=CALCULATORS)  # levels included
Row = Callable[[str], float]


def _steady(f: Row) -> bool:
    """No connection in the last 5 min and pumps steady: flow and hookload transients of
    normal operations are not accidents."""
    steady_pumps = abs(f("MFIA__rchange__window_300")) < 0.03
    steady_pumps = steady_pumps and f("MFIA__std__window_300") < 0.03 * f("MFIA__mean__window_300")
    return f("RIG__share_connection__window_300") == 0.0 and steady_pumps


def _kick(f: Row) -> bool:
    pumping = f("MFIA__mean__window_300") > 300.0 and _steady(f)
    gain = f("FLOWDIFF__mean__window_300") > 0.05 * f("MFIA__mean__window_300")
    pit = f("TVA__change__window_300") > 0.5
    flowing_pumps_off = f("MFIA__mean__window_300") < 100.0 and f("MFOA__mean__window_300") > 150
    return (pumping and gain and pit) or (flowing_pumps_off and pit)


def _lost_circulation(f: Row) -> bool:
    loss = f("FLOWDIFF__mean__window_300") < -0.08 * f("MFIA__mean__window_300")
    pumping = f("MFIA__mean__window_300") > 300.0 and _steady(f)
    return pumping and loss and f("TVA__change__window_300") < -0.5


def _pack_off(f: Row) -> bool:
    return _steady(f) and f("SPPA__rchange__window_300") > 0.1


def _stuck_pipe(f: Row) -> bool:
    torque_up = f("TQA__max__window_300") > 1.3 * f("TQA__mean__window_1800")
    rpm_lost = f("RPMA__change__window_300") < -30.0
    overpull = f("HKLA__max__window_300") > f("HKLA__mean__window_1800") + 200.0
    quiet = f("RIG__share_connection__window_300") == 0.0
    return quiet and ((torque_up and rpm_lost) or (overpull and torque_up))


def _washout(f: Row) -> bool:
    return f("SPPFLOW__rchange__window_1800") < -0.06 and abs(f("TVA__change__window_1800")) < 1.0


def _twist_off(f: Row) -> bool:
    torque_lost = f("TQA__change__window_300") < -0.3 * f("TQA__mean__window_1800")
    rotating = f("RPMA__min__window_300") > 20.0  # string kept turning: not a stop
    quiet = f("RIG__share_connection__window_300") == 0.0
    return quiet and rotating and torque_lost and f("HKLA__change__window_300") < -50.0


def _bit_balling(f: Row) -> bool:
    return (
        f("ROPWOB__rchange__window_1800") < -0.4
        and f("WOBA__change__window_1800") >= 0.0
        and f("TQA__change__window_1800") < 0.0
    )


RULES: dict[str, Callable[[Row], bool]] = {
    "twist_off": _twist_off,
    "stuck_pipe": _stuck_pipe,
    "kick": _kick,
    "lost_circulation": _lost_circulation,
    "pack_off": _pack_off,
    "washout": _washout,
    "bit_balling": _bit_balling,
}


def rule_type(row: np.ndarray, index: dict[str, int]) -> str | None:
    """The first rule that holds for one feature row (missing features never hold)."""

    def f(name: str) -> float:
        value = row[index[name]]
        return float(value) if np.isfinite(value) else np.nan

    with np.errstate(invalid="ignore"):
        for accident_type, rule in RULES.items():
            if rule(f):
                return accident_type
    return None


def rule_decisions(batch: TelemetryBatch, stride_s: float = 10.0) -> list[Decision]:
    """Rule decisions on the live grid (batch features equal the live ones)."""
    prepared = prepare(batch.times_ns, batch.channels, SPEC)
    ends = decision_ends(batch.times_ns, stride_s)
    rows = features_at(prepared, ends, SPEC)
    index = {name: i for i, name in enumerate(SPEC.names())}
    out = []
    for r, end in enumerate(ends):
        fired = rule_type(rows[r], index)
        probabilities = {NORMAL: 0.0 if fired else 1.0}
        probabilities.update({t: 1.0 if t == fired else 0.0 for t in ACCIDENT_TYPES})
        rig = RigState(int(prepared.states[end])).label
        out.append(Decision(int(batch.times_ns[end]), probabilities, rig))
    return out


def totalizer_decisions(
    batch: TelemetryBatch, stride_s: float = 10.0, *, gain_m3: float = 1.0
) -> list[Decision]:
    """The pit-volume totalizer alarm rigs already have: a kick when the active pit gained
    ``gain_m3`` in 10 minutes (its last minute against the minute 10 minutes before, the
    ``pit_d10`` sign). It catches kicks, and every pit transfer too."""
    from models.signs import SIGNS, sign_rows

    ends = decision_ends(batch.times_ns, stride_s)
    gains = sign_rows(batch.times_ns, batch.channels, ends)[:, SIGNS.index("pit_d10")]
    out = []
    for end, gain in zip(ends, gains, strict=True):
        fired = bool(np.isfinite(gain) and gain >= gain_m3)
        probabilities = {NORMAL: 0.0 if fired else 1.0}
        probabilities.update({t: 1.0 if fired and t == "kick" else 0.0 for t in ACCIDENT_TYPES})
        out.append(Decision(int(batch.times_ns[end]), probabilities, "unknown"))
    return out
