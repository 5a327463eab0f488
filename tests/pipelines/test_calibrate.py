"""Calibration: the alert logic of one type alone over replayed decisions, and per-type
thresholds to a false-alarm budget spent where it catches most accidents, earliest."""

from datetime import timedelta

import numpy as np

from pipelines.telemetry import datetime_to_ns

NS = 1_000_000_000


def test_one_type_alone_alerts_in_calibration_as_the_live_alert_logic_does() -> None:
    """``type_alerts`` over decision arrays raises what ``step`` raises over the same live
    decisions when no other type reaches its threshold (gated types kept to their rig
    states by the types ``gated_out`` blocks, as the live stream blocks them)."""
    from models.rigstate import RigState
    from pipelines.live.alerting import AlertPolicy, gated_out
    from pipelines.live.streaming import Decision
    from pipelines.training.calibrate import alerts_from_decisions, decision_arrays, type_alerts

    rng = np.random.default_rng(11)
    for accident_type in ("kick", "washout", "bit_balling"):
        decisions: dict[str, list[Decision]] = {}
        for well in range(4):
            m = 3000
            times = 1_700_000_000 * NS + np.cumsum(rng.integers(8, 13, m)) * NS
            codes = np.repeat(rng.choice([1, 2, 5, 7, 8], m // 90 + 1), 90)[:m].astype(np.int8)
            blocked = gated_out(times, codes, np.arange(m))
            p = np.round(np.cumsum(rng.normal(0, 0.03, m)) % 1.0, 2)
            decisions[f"W{well}"] = [
                Decision(
                    int(times[i]),
                    {"normal": 1.0 - p[i], accident_type: float(p[i])},
                    RigState(int(codes[i])).label,
                    blocked[i],
                )
                for i in range(m)
            ]
        arrays = decision_arrays(decisions, [accident_type])
        for k, n, cooldown_s, hold_s in [(1, 1, 1800.0, 0.0), (3, 5, 600.0, 0.0), (3, 5, 60, 300)]:
            policy = AlertPolicy(
                thresholds={accident_type: 0.7},
                k=k,
                n=n,
                cooldown_s=cooldown_s,
                hold_s={accident_type: hold_s},
            )
            live = [(a.well_id, a.time) for a in alerts_from_decisions(decisions, policy)]
            got = type_alerts(
                arrays, accident_type, 0.7, k=k, n=n, cooldown_s=cooldown_s, hold_s=hold_s
            )
            assert [(a.well_id, a.time) for a in got] == live and live


def test_alerts_are_counted_right_inside_their_types_window_and_wrong_inside_anothers() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident, Alert
    from pipelines.training.calibrate import typed_alerts

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    accidents = [
        Accident("W", "kick", t0 + timedelta(hours=5), t0 + timedelta(hours=6)),
        Accident("W", "lost_circulation", t0 + timedelta(hours=12), t0 + timedelta(hours=13)),
    ]
    alerts = [
        Alert("W", t0 + timedelta(hours=4), "kick", 0.9),  # 1 h before the kick: right
        Alert("W", t0 + timedelta(hours=12, minutes=10), "kick", 0.9),  # in the losses: wrong
        Alert("W", t0 + timedelta(hours=20), "kick", 0.9),  # outside both: a false alarm
        Alert("V", t0 + timedelta(hours=5), "kick", 0.9),  # another well: a false alarm
    ]
    assert typed_alerts(alerts, accidents, "kick") == (1, 1)


def test_the_false_alarm_budget_is_shared_and_spent_where_it_catches_most_accidents() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.calibrate import calibrate_fast

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    step_ns = 30 * 1_000_000_000
    times = datetime_to_ns(t0) + np.arange(20 * 2880) * step_ns  # 20 days, every 30 s
    hours = (times - times[0]) / 3.6e12
    p = {"kick": np.zeros(times.size), "washout": np.zeros(times.size)}
    accidents = []

    def bump(kind: str, at_h: float, value: float, accident: bool) -> None:
        p[kind][(hours >= at_h) & (hours < at_h + 0.2)] = value
        if accident:
            start = t0 + timedelta(hours=at_h)
            accidents.append(Accident("W", kind, start, start + timedelta(minutes=30)))

    bump("kick", 24, 0.9, True)  # found at any threshold
    bump("kick", 72, 0.5, True)  # the two weak kicks cost one false alarm ...
    bump("kick", 120, 0.5, True)
    bump("kick", 300, 0.55, False)  # ... this one
    bump("washout", 48, 0.9, True)
    bump("washout", 168, 0.45, True)  # the weak washout costs one false alarm too
    bump("washout", 400, 0.5, False)
    decisions = {"W": (times, p, [frozenset()] * times.size)}
    monitored = {"W": (t0, t0 + timedelta(days=20))}

    def calibrate(budget: float) -> dict[str, float]:
        thresholds, _ = calibrate_fast(
            decisions, accidents, monitored, ["kick", "washout"],
            budget_per_day=budget, k=1, n=1, cooldown_s=1800.0,
        )  # fmt: skip
        return thresholds

    # no false alarm allowed: both types above their normal bumps
    assert calibrate(0.0) == {"kick": 0.575, "washout": 0.525}
    # one false alarm in the ~19 days outside accident windows: spent on kick (2 accidents
    # for it), not washout (1); of equal thresholds the highest
    assert calibrate(0.06) == {"kick": 0.5, "washout": 0.525}
    # two: both
    assert calibrate(0.11) == {"kick": 0.5, "washout": 0.45}


def test_a_type_alarming_at_every_threshold_starts_at_its_quietest_and_pays_from_the_budget() -> (
    None
):
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.calibrate import GRID, calibrate_fast

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = datetime_to_ns(t0) + np.arange(20 * 2880) * 30 * 1_000_000_000  # 20 days, 30 s
    hours = (times - times[0]) / 3.6e12
    p = {"kick": np.zeros(times.size), "washout": np.zeros(times.size)}
    accidents = []
    for kind, at_h, value, accident in [
        ("kick", 24, 0.9995, True),
        ("kick", 200, 0.997, False),  # normal windows scored near 1, as the paper's
        ("kick", 300, 0.9995, False),  # detector does: no threshold is free of them
        ("washout", 48, 0.9, True),
        ("washout", 168, 0.45, True),  # the weak washout costs one false alarm
        ("washout", 400, 0.5, False),
    ]:
        p[kind][(hours >= at_h) & (hours < at_h + 0.2)] = value
        if accident:
            start = t0 + timedelta(hours=at_h)
            accidents.append(Accident("W", kind, start, start + timedelta(minutes=30)))
    decisions = {"W": (times, p, [frozenset()] * times.size)}
    monitored = {"W": (t0, t0 + timedelta(days=20))}

    def calibrate(budget: float) -> tuple[dict[str, float], int]:
        thresholds, alerts = calibrate_fast(
            decisions, accidents, monitored, ["kick", "washout"],
            budget_per_day=budget, k=1, n=1, cooldown_s=1800.0,
        )  # fmt: skip
        return thresholds, len(alerts)

    assert GRID[-3:] == (0.995, 0.998, 0.999)
    # the one false alarm of the budget pays for the kick's quietest threshold, none is left
    # for the weak washout; the kick's alerts are among those the thresholds raise
    assert calibrate(0.06) == ({"kick": 0.998, "washout": 0.525}, 3)
    # two: the washout's too
    assert calibrate(0.11) == ({"kick": 0.998, "washout": 0.45}, 5)


def test_the_false_alarm_budget_buys_earlier_warnings_when_every_accident_is_caught() -> None:
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.calibrate import calibrate_fast

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = datetime_to_ns(t0) + np.arange(20 * 2880) * 30 * 1_000_000_000  # 20 days, 30 s
    hours = (times - times[0]) / 3.6e12
    p = np.zeros(times.size)
    p[(hours >= 23.8) & (hours < 24.0)] = 0.5  # the precursor: 12 min before the start
    p[(hours >= 24.0) & (hours < 24.5)] = 0.9  # the kick itself
    p[(hours >= 300.0) & (hours < 300.1)] = 0.55  # a normal look-alike
    start = t0 + timedelta(hours=24)
    accidents = [Accident("W", "kick", start, start + timedelta(minutes=30))]
    decisions = {"W": (times, {"kick": p}, [frozenset()] * times.size)}
    monitored = {"W": (t0, t0 + timedelta(days=20))}

    def calibrate(budget: float, early_weight: float) -> float:
        thresholds, _ = calibrate_fast(
            decisions, accidents, monitored, ["kick"], budget_per_day=budget,
            k=1, n=1, cooldown_s=1800.0, early_weight=early_weight,
        )  # fmt: skip
        return thresholds["kick"]

    assert calibrate(0.0, 0.5) == 0.575  # no false alarm to spend: alerts at the start
    assert calibrate(0.06, 0.5) == 0.5  # one: spent on the warning 12 min ahead
    assert calibrate(0.06, 0.0) == 0.575  # unless earliness is worth nothing


def test_the_budget_also_buys_a_warning_before_the_crew_noticed_where_that_is_known() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from pipelines.telemetry import Accident
    from pipelines.training.calibrate import calibrate_fast

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    times = datetime_to_ns(t0) + np.arange(20 * 2880) * 30 * 1_000_000_000  # 20 days, 30 s
    hours = (times - times[0]) / 3.6e12
    p = np.zeros(times.size)
    start = t0 + timedelta(hours=24)
    p[(hours >= 24.02) & (hours < 24.1)] = 0.5  # the influx, from 1 min after the start
    p[(hours >= 24.1) & (hours < 24.5)] = 0.9  # the flow check the crew began 4 min after
    p[(hours >= 300.0) & (hours < 300.1)] = 0.55  # a normal look-alike
    kick = Accident("W", "kick", start, start + timedelta(minutes=30))
    decisions = {"W": (times, {"kick": p}, [frozenset()] * times.size)}
    monitored = {"W": (t0, t0 + timedelta(days=20))}

    def calibrate(accident: Accident) -> float:
        thresholds, _ = calibrate_fast(
            decisions, [accident], monitored, ["kick"], budget_per_day=0.06,
            k=1, n=1, cooldown_s=1800.0,
        )  # fmt: skip
        return thresholds["kick"]

    # without the crew's reaction time a warning 1 min after the start is worth nothing more
    assert calibrate(kick) == 0.575
    # with it, the warning 3 min before the crew noticed is worth the one false alarm
    assert calibrate(replace(kick, noticed=start + timedelta(minutes=4))) == 0.5
