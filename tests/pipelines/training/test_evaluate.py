from datetime import UTC, datetime, timedelta

import pytest

from pipelines.telemetry import Accident, Alert
from pipelines.training.evaluate import evaluate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_per_event_recall_lead_time_and_false_alarms_per_day() -> None:
    accidents = [
        Accident("W1", "kick", at(600), at(630)),
        Accident("W1", "stuck_pipe", at(1200), None),  # end unknown: start + 30 min
        Accident("W2", "kick", at(300), at(320)),
    ]
    alerts = [
        Alert("W1", at(590), "kick"),  # detected, 10 min lead
        Alert("W1", at(1225), "pack_off"),  # detected, wrong type, -25 min lead
        Alert("W1", at(100), "washout"),  # false alarm
        Alert("W1", at(110), "washout"),  # same episode: not counted again
        Alert("W2", at(200), "lost_circulation"),  # inside [s - 2 h, e]: counts as detection
    ]
    monitored = {"W1": (at(0), at(1440)), "W2": (at(0), at(1440))}
    m = evaluate(alerts, accidents, monitored)
    assert m["recall"] == 1.0
    assert m["type_accuracy"] == pytest.approx(1 / 3)
    assert m["per_type"]["kick"]["median_lead_min"] == pytest.approx(55.0)  # (10 + 100) / 2
    assert m["per_type"]["kick"]["early"] == 2  # both warned of >= 5 min ahead
    assert m["per_type"]["stuck_pipe"]["early"] == 0  # alerted 25 min after its start
    assert m["per_type"]["kick"]["leads_min"] == [10.0, 100.0]  # what pooling runs needs
    assert m["leads_min"] == [-25.0, 10.0, 100.0]
    assert m["false_alarms"] == 1
    # W1 windows: 150+30 min and 120+30 min; W2: 120+20 min, out of 2 days.
    outside_days = (2 * 1440 - (150 + 150 + 140)) / 1440
    assert m["false_alarms_per_day"] == pytest.approx(1 / outside_days)


def test_a_false_alarm_while_an_accident_of_its_type_develops_is_counted_apart() -> None:
    from pipelines.training.evaluate import format_table

    # a washout whose precursor began 4 h before its start; its window opens 2 h before
    washout = Accident("W1", "washout", at(600), at(620), precursor_start=at(360))
    alerts = [
        Alert("W1", at(460), "washout"),  # 140 min ahead: outside the window, but developing
        Alert("W1", at(200), "washout"),  # before its precursor: plainly false
        Alert("W1", at(470), "kick"),  # another type during the precursor: plainly false
    ]
    m = evaluate(alerts, [washout], {"W1": (at(0), at(1440))})
    assert m["false_alarms"] == 3
    assert m["false_alarms_developing"] == 1
    assert "of them 1 while an accident of their type was already developing" in format_table(m)
    # without a recorded precursor nothing is known to be developing
    m = evaluate(alerts, [Accident("W1", "washout", at(600), at(620))], {"W1": (at(0), at(1440))})
    assert m["false_alarms_developing"] == 0


def test_a_warning_is_measured_against_when_the_crew_noticed_where_that_is_known() -> None:
    from pipelines.training.evaluate import format_table

    accidents = [
        Accident("W1", "kick", at(600), at(640), noticed=at(603)),  # alerted 1 min after
        Accident("W1", "kick", at(900), at(940), noticed=at(902)),  # alerted 4 min before
        Accident("W1", "stuck_pipe", at(1200), at(1230)),  # no reaction time recorded
    ]
    alerts = [
        Alert("W1", at(604), "kick"),
        Alert("W1", at(898), "kick"),
        Alert("W1", at(1190), "stuck_pipe"),
    ]
    m = evaluate(alerts, accidents, {"W1": (at(0), at(1440))})
    kick = m["per_type"]["kick"]
    assert kick["ahead_of_crew_min"] == [-1.0, 4.0]
    assert kick["median_ahead_of_crew_min"] == pytest.approx(1.5)
    assert kick["median_lead_min"] == pytest.approx((-4.0 + 2.0) / 2)
    assert m["per_type"]["stuck_pipe"]["median_ahead_of_crew_min"] is None
    # in time: before the crew reacted (the second kick, only 2 min before its start), or at
    # least 5 min before the start (the stuck pipe); the first kick is neither
    assert kick["early"] == 0 and kick["in_time"] == 1
    assert m["per_type"]["stuck_pipe"]["in_time"] == 1
    assert m["in_time"] == 2
    assert m["ahead_of_crew_min"] == [-1.0, 4.0]
    lines = format_table(m).splitlines()
    assert lines[0].endswith("ahead of crew")
    assert lines[1].startswith("kick") and lines[1].endswith("1.5")
    assert lines[2].startswith("stuck_pipe") and lines[2].endswith("-")
    # a record without reaction times keeps the table as it was
    plain = evaluate(alerts, [Accident("W1", "kick", at(600), at(640))], {"W1": (at(0), at(1440))})
    assert "ahead of crew" not in format_table(plain)


def test_an_undetected_accident_lowers_recall() -> None:
    m = evaluate([], [Accident("W1", "kick", at(600), at(630))], {"W1": (at(0), at(1440))})
    assert m["recall"] == 0.0
    assert m["per_type"]["kick"]["detected"] == 0


def test_the_table_lists_every_type_and_the_false_alarm_rate() -> None:
    from pipelines.training.evaluate import format_table

    accidents = [Accident("W1", "kick", at(600), at(630))]
    m = evaluate([Alert("W1", at(590), "kick")], accidents, {"W1": (at(0), at(1440))})
    text = format_table(m, "held-out")
    assert text.splitlines()[0] == "held-out"
    assert any(line.startswith("kick") and "1.00" in line for line in text.splitlines())
    assert "false alarms: 0" in text


def test_held_out_sets_are_new_wells_and_the_shifted_set_has_other_profiles() -> None:
    from pipelines.training.backtest import simulated_dataset

    plain, plain_acc = simulated_dataset(2, hours=2, seed=5)
    shifted, _ = simulated_dataset(2, hours=2, seed=5, shifted=True)
    assert set(plain).isdisjoint(shifted)
    assert all(w.startswith("SHIFT-5-") for w in shifted)
    assert all(a.well_id in plain for a in plain_acc)
    # the simulator's precursor starts come along (none: the start itself)
    assert all(a.precursor_start is not None and a.precursor_start <= a.start for a in plain_acc)
