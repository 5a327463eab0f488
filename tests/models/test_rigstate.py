import numpy as np

from models.rigstate import RigState, rig_states

NS = 1_000_000_000


def states_of(**channels: list[float]) -> list[RigState]:
    n = len(next(iter(channels.values())))
    times = np.arange(n, dtype=np.int64) * NS
    return [RigState(s) for s in rig_states(times, {k: np.array(v) for k, v in channels.items()})]


def test_on_bottom_with_pumps_and_rotation_is_rotary_drilling() -> None:
    got = states_of(
        HKLA=[900, 900],
        RPMA=[120, 120],
        MFIA=[2500, 2500],
        DBTM=[2000, 2000.01],
        DMEA=[2000, 2000.01],
    )
    assert got[-1] is RigState.ROTARY_DRILLING


def test_on_bottom_with_pumps_without_rotation_is_slide_drilling() -> None:
    got = states_of(
        HKLA=[900, 900],
        RPMA=[0, 0],
        TQA=[0, 0],
        MFIA=[2500, 2500],
        DBTM=[2000, 2000],
        DMEA=[2000, 2000],
    )
    assert got[-1] is RigState.SLIDE_DRILLING


def test_low_hookload_is_a_connection() -> None:
    got = states_of(HKLA=[300, 300], RPMA=[0, 0], MFIA=[0, 0], DBTM=[1990, 1990], DMEA=[2000, 2000])
    assert got[-1] is RigState.CONNECTION


def test_pulling_without_pumps_is_trip_out_and_lowering_is_trip_in() -> None:
    out = states_of(HKLA=[900] * 3, MFIA=[0] * 3, DBTM=[1500, 1499.5, 1499], DMEA=[2000] * 3)
    down = states_of(HKLA=[900] * 3, MFIA=[0] * 3, DBTM=[1500, 1500.5, 1501], DMEA=[2000] * 3)
    assert out[-1] is RigState.TRIP_OUT
    assert down[-1] is RigState.TRIP_IN


def test_rotating_and_pumping_while_pulling_off_bottom_is_back_reaming() -> None:
    got = states_of(
        HKLA=[900] * 3, RPMA=[80] * 3, MFIA=[2000] * 3, DBTM=[1500, 1499.8, 1499.6], DMEA=[2000] * 3
    )
    assert got[-1] is RigState.BACK_REAMING


def test_no_usable_channels_is_unknown() -> None:
    assert states_of(GASA=[0.1, 0.2])[-1] is RigState.UNKNOWN


def test_pressure_held_with_the_pumps_off_is_not_circulating() -> None:
    n = 120
    times = (np.arange(n) * 1_000_000_000).astype(np.int64)
    channels = {
        "MFIA": np.r_[np.full(60, 2500.0), np.zeros(60)],  # pumps stop at 60 s
        "SPPA": np.full(n, 1450.0),  # a pressure test keeps the standpipe pressured
        "HKLA": np.full(n, 900.0),
        "RPMA": np.zeros(n),
    }
    states = rig_states(times, channels)
    assert set(states[5:55]) == {RigState.CIRCULATING}
    assert RigState.CIRCULATING not in set(states[65:])
    # without a flow-in sensor the pressure is all there is to go by
    states = rig_states(times, {k: v for k, v in channels.items() if k != "MFIA"})
    assert set(states[65:]) == {RigState.CIRCULATING}
