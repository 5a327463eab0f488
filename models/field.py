"""The field detector: gradient boosting over the transferable signs of :mod:`models.signs`.

The window classifier learns accidents from the simulator's channels; on real rigs, whose
levels, sampling and channel sets differ, it fires on pit transfers and misses kicks. The
field detector sees only signs measured against the well's own last half hour, was trained
on real normal drilling with accident signatures laid over it (plus simulated wells), and
speaks for the types it knows (kick, lost circulation, pack-off, stuck pipe).

Its probabilities are mapped onto the classifier's scale (``onto``): each type's calibrated
field threshold lands on the classifier's threshold of that type, so one alert logic serves
both. For the types it knows, the field score decides, and the classifier's score counts
only where the signs agree (the field score is at least ``AGREE`` of its threshold): on a
simulated well the two agree; on a real pit transfer the signs say no and the classifier's
lost circulation stays quiet. Types the field detector does not know are the classifier's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xgboost as xgb

from models.signs import NAMES
from models.trees import TreeEnsemble, predict_rows

FIELD_FILE = "field_{type}.ubj"
AGREE = 0.5  # the classifier's vote for a field type counts when the signs reach this share

# The signs each type may look at: what its physics moves. A booster that may not see torque
# cannot call a kick from a connection's torque, nor a stuck pipe from the pumps stopping.
TYPE_SIGNS: dict[str, tuple[str, ...]] = {
    "kick": (
        "pit_d5",
        "pit_d10",
        "pit_d20",
        "pit_steady10",
        "pit_jump10",
        "pit_z10",
        "gas_ratio",
        "gas_d10",
        "fout_rel",
        "fout_d5",
        "fdiff_rel",
        "pumps",
        "off_s",
        "spp_rel",
        "rop_rel",
    ),
    "lost_circulation": (
        "pit_d5",
        "pit_d10",
        "pit_d20",
        "pit_steady10",
        "pit_jump10",
        "pit_z10",
        "fout_rel",
        "fout_d5",
        "fdiff_rel",
        "pumps",
        "off_s",
        "spp_rel",
        "spp_d2",
    ),
    "pack_off": (
        "spp_rel",
        "spp_d2",
        "spp_rough",
        "spp_held",
        "pumps",
        "off_s",
        "fout_rel",
        "fout_d5",
        "fdiff_rel",
        "tq_rel",
        "tq_peak",
        "tq_rough",
        "hk_over",
    ),
    "stuck_pipe": (
        "tq_rel",
        "tq_peak",
        "tq_rough",
        "rpm_now",
        "rpm_lost",
        "hk_over",
        "block_moved",
        "pumps",
        "spp_held",
    ),
}


_COLUMNS = {
    t: np.array([NAMES.index(f"sign__{s}") for s in signs]) for t, signs in TYPE_SIGNS.items()
}


def columns_of(accident_type: str) -> np.ndarray:
    """Indices into ``models.signs.NAMES`` of the signs a type's booster reads."""
    return _COLUMNS[accident_type]


@dataclass
class FieldDetector:
    boosters: dict[str, xgb.Booster]  # one binary booster per accident type it knows
    thresholds: dict[str, float]  # per accident type, on its own probability
    _trees: dict[str, TreeEnsemble] = field(default_factory=dict, repr=False, compare=False)

    @property
    def types(self) -> list[str]:
        return list(self.boosters)

    def predict(self, signs: np.ndarray) -> dict[str, np.ndarray]:
        """Each type's probability per sign row (``models.signs.NAMES`` columns)."""
        if signs.ndim != 2 or signs.shape[1] != len(NAMES):
            raise ValueError(f"field detector: sign rows must have {len(NAMES)} columns")
        if signs.shape[0] == 0:
            return {t: np.empty(0) for t in self.boosters}
        return {
            t: predict_rows(b, signs[:, columns_of(t)], self._trees, t).reshape(-1)
            for t, b in self.boosters.items()
        }

    def combine(
        self, probs: np.ndarray, classes: list[str], thresholds: dict[str, float], signs: np.ndarray
    ) -> np.ndarray:
        """The classifier's ``probs`` (rows x ``classes``) with every type this detector
        knows decided by the signs: its score mapped onto the classifier's threshold, the
        classifier's own score kept only where the signs agree."""
        out = probs.copy()
        for name, score in self.predict(signs).items():
            if name not in classes:
                continue
            k = classes.index(name)
            own = self.thresholds.get(name, 1.0)
            mapped = onto(score, own, thresholds.get(name, 0.5))
            agree = score >= AGREE * own
            out[:, k] = np.maximum(mapped, np.where(agree, probs[:, k], 0.0))
        return out


def onto(p: np.ndarray, own: float, target: float) -> np.ndarray:
    """Monotone piecewise-linear map of probabilities sending ``own`` to ``target`` (and 0 to
    0, 1 to 1): passing the field threshold means passing the classifier's."""
    own = min(max(own, 1e-6), 1 - 1e-6)
    low = p * (target / own)
    high = target + (p - own) * ((1 - target) / (1 - own))
    return np.where(p < own, low, high)
