import numpy as np

from pipelines.live.quality import check

NS = 1_000_000_000


def well(n: int = 3600, step_s: float = 1.0, seed: int = 0) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    times = (1_767_225_600 + np.arange(n) * step_s).astype(np.int64) * NS
    channels = {
        "HKLA": 1200 + rng.normal(0, 3, n),
        "SPPA": 18000 + rng.normal(0, 50, n),
        "MFIA": 2500 + rng.normal(0, 5, n),
        "RPMA": 120 + rng.normal(0, 1, n),
    }
    return times, channels


def kinds(notices) -> list[tuple[str, str]]:
    return sorted({(n.kind, n.channel) for n in notices})


def test_clean_data_raises_no_notice() -> None:
    assert check("W", *well()) == []


def test_a_gap_in_the_samples_is_reported_with_its_length() -> None:
    times, channels = well()
    times[1800:] += 300 * NS
    notices = check("W", times, channels)
    assert kinds(notices) == [("gap", "*")]
    assert "301 s" in notices[0].detail


def test_a_sensor_stuck_at_one_value_is_a_flatline() -> None:
    times, channels = well()
    channels["SPPA"][600:2400] = 18123.0
    assert kinds(check("W", times, channels)) == [("flatline", "SPPA")]


def test_impossible_values_are_out_of_range() -> None:
    times, channels = well()
    channels["RPMA"][100:103] = 9999.0
    notices = check("W", times, channels)
    assert kinds(notices) == [("out_of_range", "RPMA")]
    assert notices[0].detail.startswith("3 value(s)")


def test_hookload_in_newtons_is_a_suspected_unit_error() -> None:
    times, channels = well()
    channels["HKLA"] = channels["HKLA"] * 1000.0
    assert ("unit_suspect", "HKLA") in kinds(check("W", times, channels))


def test_pressure_in_megapascal_is_a_suspected_unit_error() -> None:
    times, channels = well()
    channels["SPPA"] = channels["SPPA"] / 1000.0
    assert ("unit_suspect", "SPPA") in kinds(check("W", times, channels))


def test_flow_out_that_never_follows_flow_in_is_a_suspected_unit_error() -> None:
    times, channels = well()
    channels["MFOA"] = 2490 + np.random.default_rng(1).normal(0, 20, times.size)
    assert ("unit_suspect", "MFOA") not in kinds(check("W", times, channels))
    channels["MFOA"] = channels["MFOA"] / 100.0  # a paddle reading in % sent as L/min
    notices = [n for n in check("W", times, channels) if n.channel == "MFOA"]
    assert [n.kind for n in notices] == ["unit_suspect"]
    assert "left out of detection" in notices[0].detail
