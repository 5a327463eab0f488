import numpy as np

from models.channels import ACCIDENT_TYPES
from pipelines.live.rules import RULES, SPEC, rule_decisions, rule_type

INDEX = {name: i for i, name in enumerate(SPEC.names())}


STEADY = {
    "RIG__share_connection__window_300": 0.0,
    "MFIA__rchange__window_300": 0.0,
    "MFIA__std__window_300": 10.0,
}


def features(values: dict[str, float]) -> np.ndarray:
    """A feature row with steady pumps and no connection, plus ``values``."""
    out = np.full(len(INDEX), np.nan)
    for name, value in {**STEADY, **values}.items():
        out[INDEX[name]] = value
    return out


def test_there_is_one_rule_per_accident_type() -> None:
    assert set(RULES) == set(ACCIDENT_TYPES)


def test_flow_out_above_flow_in_with_a_pit_gain_is_a_kick() -> None:
    f = features(
        {
            "MFIA__mean__window_300": 2500.0,
            "FLOWDIFF__mean__window_300": 300.0,
            "TVA__change__window_300": 1.2,
        }
    )
    assert rule_type(f, INDEX) == "kick"


def test_flow_out_below_flow_in_with_pit_loss_is_lost_circulation() -> None:
    f = features(
        {
            "MFIA__mean__window_300": 2500.0,
            "FLOWDIFF__mean__window_300": -400.0,
            "TVA__change__window_300": -1.5,
        }
    )
    assert rule_type(f, INDEX) == "lost_circulation"


def test_a_pit_gain_during_a_connection_is_not_a_kick() -> None:
    f = features(
        {
            "MFIA__mean__window_300": 2500.0,
            "FLOWDIFF__mean__window_300": 300.0,
            "TVA__change__window_300": 1.2,
            "RIG__share_connection__window_300": 0.2,
        }
    )
    assert rule_type(f, INDEX) is None


def test_missing_channels_never_fire_a_rule() -> None:
    assert rule_type(np.full(len(INDEX), np.nan), INDEX) is None


def test_rule_decisions_lie_on_the_live_grid_and_sum_to_one(sim_wells) -> None:
    batch = sim_wells[0].to_batch().select(slice(0, 3600))
    decisions = rule_decisions(batch, stride_s=10.0)
    assert len(decisions) == 360
    assert all(abs(sum(d.probabilities.values()) - 1.0) < 1e-12 for d in decisions)
