"""The rig simulator: determinism, shape of the data, accident signatures, files and CLI."""

from __future__ import annotations

import runpy
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.channels import ACCIDENT_TYPES, CANONICAL
from pipelines.simulate import (
    Activity,
    SimAccident,
    SimWell,
    WellProfile,
    demo_fleet,
    main,
    random_profile,
    read_accidents_csv,
    simulate_fleet,
    simulate_well,
    write_fleet,
)
from pipelines.simulate.accidents import TYPES

T0 = datetime(2026, 3, 1, tzinfo=UTC)
FLEET_SEED = 11


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def med(values: pd.Series) -> float:
    return float(values.dropna().median())


def seen(*values: float) -> bool:
    """All statistics could be computed (sensor dropouts can blank a whole window)."""
    return bool(np.isfinite(values).all())


@pytest.fixture(scope="module")
def fleet() -> list[SimWell]:
    return simulate_fleet(12, hours=12, seed=FLEET_SEED)


def accidents_of(fleet: list[SimWell], kind: str) -> list[tuple[SimWell, SimAccident]]:
    found = [(w, a) for w in fleet for a in w.accidents if a.type == kind]
    assert found, f"no {kind} in the fleet"
    return found


def profile() -> WellProfile:
    return random_profile("T-1", np.random.default_rng(3))


# ------------------------------------------------------------------ determinism and shape


def test_same_seed_gives_identical_fleet() -> None:
    a = simulate_fleet(3, hours=2, seed=5)
    b = simulate_fleet(3, hours=2, seed=5)
    for wa, wb in zip(a, b, strict=True):
        assert wa.profile == wb.profile
        pd.testing.assert_frame_equal(wa.frame, wb.frame)
        assert wa.accidents == wb.accidents


def test_different_seeds_give_different_fleets() -> None:
    a = simulate_fleet(2, hours=1, seed=1)
    b = simulate_fleet(2, hours=1, seed=2)
    assert a[0].profile != b[0].profile
    assert not a[0].frame.reset_index(drop=True).equals(b[0].frame.reset_index(drop=True))


def test_well_ids_and_default_start_follow_the_seed() -> None:
    wells = simulate_fleet(2, hours=0.1, seed=7, prefix="RIG")
    assert [w.well_id for w in wells] == ["RIG-7-00", "RIG-7-01"]
    assert wells[0].frame.index[0] == pd.Timestamp("2026-01-01T07:00:00Z")


def test_frame_has_every_canonical_channel_as_float64(fleet: list[SimWell]) -> None:
    for well in fleet[:3]:
        assert list(well.frame.columns) == list(CANONICAL)
        assert (well.frame.dtypes == np.float64).all()


def test_time_index_is_utc_one_second_and_strictly_increasing(fleet: list[SimWell]) -> None:
    index = fleet[0].frame.index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.name == "time"
    assert str(index.tz) == "UTC"
    steps = np.diff(index.asi8)
    assert (steps == 1_000_000_000).all()
    assert len(index) == 12 * 3600


def test_channels_stay_within_plausible_ranges(fleet: list[SimWell]) -> None:
    limits = {
        "DBTM": (0, 6000),
        "DMEA": (700, 6000),
        "BPOS": (-0.5, 36),
        "ROPA": (0, 250),
        "HKLA": (100, 3500),
        "WOBA": (-30, 600),
        "TQA": (0, 70),
        "RPMA": (0, 250),
        "SPPA": (0, 45000),
        "CHKP": (0, 10000),
        "MFIA": (0, 5000),
        "MFOA": (0, 8000),
        "MFOP": (0, 100),
        "TVA": (5, 150),
        "GASA": (0, 100),
    }
    for well in fleet:
        frame = well.frame
        for name, (lo, hi) in limits.items():
            values = frame[name].dropna()
            assert values.between(lo, hi).all(), (well.well_id, name, values.min(), values.max())
        codes = set(frame["ACTC"].dropna().astype(int))
        assert codes <= {int(a) for a in Activity}
        both = frame[["DBTM", "DMEA"]].dropna()
        assert (both["DBTM"] <= both["DMEA"] + 1e-6).all()
        assert (np.diff(frame["DMEA"].dropna().to_numpy()) >= 0).all()


def test_rig_runs_through_all_its_operations(fleet: list[SimWell]) -> None:
    seen = set()
    for well in fleet:
        seen |= set(well.frame["ACTC"].dropna().astype(int))
    assert seen == {int(a) for a in Activity}


def test_drilling_moves_the_block_down_as_the_hole_deepens(fleet: list[SimWell]) -> None:
    checked = 0
    for well in fleet[:3]:
        frame = well.frame
        drilling = (frame["ACTC"] == Activity.ROTARY_DRILLING).to_numpy()
        run_id = np.cumsum(np.r_[True, drilling[1:] != drilling[:-1]])
        for _, run in frame[drilling].groupby(run_id[drilling]):
            run = run.dropna(subset=["DMEA", "BPOS"])
            if len(run) < 300:
                continue
            deeper = run["DMEA"].iloc[-1] - run["DMEA"].iloc[0]
            lower = run["BPOS"].iloc[0] - run["BPOS"].iloc[-1]
            assert deeper > 0
            assert deeper == pytest.approx(lower, abs=0.3)
            checked += 1
    assert checked > 10


def test_connections_set_slips_with_hookload_at_block_weight(fleet: list[SimWell]) -> None:
    well = fleet[0]
    frame = well.frame
    conn = frame[(frame["ACTC"] == Activity.CONNECTION)].dropna(subset=["HKLA"])
    assert conn["HKLA"].min() < well.profile.block_weight_kn + 40
    drilling = frame[frame["ACTC"] == Activity.ROTARY_DRILLING]
    assert med(drilling["HKLA"]) > well.profile.block_weight_kn + 150
    assert med(conn["MFIA"]) < med(drilling["MFIA"])


def test_sensor_dropouts_are_present_but_rare(fleet: list[SimWell]) -> None:
    missing = pd.concat([w.frame.isna().mean() for w in fleet], axis=1).mean(axis=1)
    assert (missing.drop("ACTC") > 0).all()
    assert (missing < 0.1).all()


def test_noise_level_differs_between_wells(fleet: list[SimWell]) -> None:
    def spread(well: SimWell) -> float:
        drilling = well.frame[well.frame["ACTC"] == Activity.ROTARY_DRILLING]["HKLA"]
        return float(drilling.diff().abs().median())

    spreads = [spread(w) for w in fleet]
    assert max(spreads) > 2 * min(spreads)


def test_a_24_hour_well_simulates_in_under_3_seconds() -> None:
    started = time.perf_counter()
    well = simulate_well(profile(), start=T0, hours=24, seed=1)
    assert time.perf_counter() - started < 3.0
    assert len(well.frame) == 24 * 3600


# ------------------------------------------------------------------ accident schedule


def test_every_accident_type_occurs_in_a_12_well_12_hour_fleet(fleet: list[SimWell]) -> None:
    kinds = [a.type for w in fleet for a in w.accidents]
    assert set(kinds) == set(ACCIDENT_TYPES)
    assert max(kinds.count(k) for k in ACCIDENT_TYPES) <= 2 * min(
        kinds.count(k) for k in ACCIDENT_TYPES
    )


def test_every_accident_type_is_registered_once_in_the_canonical_order() -> None:
    assert list(TYPES) == list(ACCIDENT_TYPES)
    for name, spec in TYPES.items():
        assert spec.name == name
        assert 0 < spec.precursor_s[0] <= spec.precursor_s[1]
        assert spec.event_max_s > 0 and spec.reaction_max_s > 0
        assert sum(w for _, w in spec.onset_ops) == pytest.approx(1.0)
        assert {op for op, _ in spec.onset_ops} <= {"drill", "back_ream", "circulate", "trip_out"}


def test_accidents_are_ordered_inside_the_well_and_never_overlap(fleet: list[SimWell]) -> None:
    for well in fleet:
        first, last = well.frame.index[0], well.frame.index[-1]
        previous_end = first
        for acc in well.accidents:
            assert acc.well_id == well.well_id
            assert acc.start.tzinfo is not None
            assert previous_end <= acc.precursor_start <= acc.start < acc.end <= last
            assert acc.start - acc.precursor_start <= timedelta(hours=4)
            assert 0.25 <= acc.severity <= 1.0
            bit_depth = well.frame.at[pd.Timestamp(acc.start), "DBTM"]
            if not np.isnan(bit_depth):
                assert acc.depth_m == pytest.approx(bit_depth, abs=0.5)
            previous_end = acc.end


def test_accidents_come_about_every_6_to_10_hours() -> None:
    wells = simulate_fleet(6, hours=24, seed=3)
    count = sum(len(w.accidents) for w in wells)
    assert 6 * 24 / 10 <= count <= 6 * 24 / 6 + 3


def test_explicit_accidents_start_at_the_requested_onsets() -> None:
    well = simulate_well(
        profile(), start=T0, hours=6, seed=4, accidents=[("twist_off", 4 * 3600), ("kick", 3600)]
    )
    assert [(a.type, a.start) for a in well.accidents] == [
        ("kick", T0 + timedelta(hours=1)),
        ("twist_off", T0 + timedelta(hours=4)),
    ]


def test_no_accidents_requested_gives_normal_operations_only() -> None:
    well = simulate_well(profile(), start=T0, hours=3, seed=4, accidents=[])
    assert well.accidents == []
    assert well.frame["CHKP"].max() < 200


def test_short_wells_may_have_no_accidents() -> None:
    well = simulate_well(profile(), start=T0, hours=0.25, seed=4)
    assert len(well.frame) == 900
    assert well.accidents == []


@pytest.mark.parametrize(
    ("accidents", "message"),
    [
        ([("meteor", 10.0)], "unknown accident type 'meteor'"),
        ([("kick", -5.0)], "outside the well"),
        ([("kick", 9000.0)], "outside the well"),
        ([("kick", 100.0), ("washout", 600.0)], "overlaps"),
    ],
)
def test_bad_explicit_accidents_are_refused(
    accidents: list[tuple[str, float]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_well(profile(), start=T0, hours=2, seed=1, accidents=accidents)


def test_naive_start_and_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate_well(profile(), start=datetime(2026, 1, 1), hours=1, seed=1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="hours"):
        simulate_well(profile(), start=T0, hours=0, seed=1)
    with pytest.raises(ValueError, match="n_wells"):
        simulate_fleet(0, hours=1, seed=1)


# ------------------------------------------------------------------ accident signatures


def test_kick_well_keeps_flowing_with_pumps_off_and_pit_gains(fleet: list[SimWell]) -> None:
    for well, acc in accidents_of(fleet, "kick"):
        event = well.frame.loc[acc.start : acc.end]
        shut_in = event.index[event["ACTC"] == Activity.STATIC][0]
        last_minute = well.frame.loc[shut_in - s(60) : shut_in - s(1)]
        assert (last_minute["ACTC"].dropna() == Activity.FLOW_CHECK).all()
        assert (last_minute["MFIA"].fillna(0) == 0).all()
        flowing = last_minute["MFOA"].mean()
        if seen(flowing):
            assert flowing > 40, well.well_id  # normal flow checks read ~10 L/min
        pit_before = med(well.frame.loc[acc.start - s(300) : acc.start, "TVA"])
        if seen(pit_before, event["TVA"].max()):
            assert event["TVA"].max() - pit_before > 1
        if event["CHKP"].count() > 0.5 * len(event):
            assert event["CHKP"].max() > 300  # shut in


def test_the_crew_notices_a_kick_or_loss_minutes_after_its_start_while_it_still_runs(
    fleet: list[SimWell],
) -> None:
    flow_types = ("kick", "lost_circulation")
    pairs = [pair for t in flow_types for pair in accidents_of(fleet, t)]
    assert {acc.type for _, acc in pairs} == set(flow_types)
    for well, acc in pairs:
        assert acc.noticed is not None, (well.well_id, acc.type)
        assert acc.start < acc.noticed < acc.end
        assert acc.noticed - acc.start < s(600)
        # the reaction starts there: the bit comes off bottom, no more drilling
        after = well.frame.loc[acc.noticed + s(60) : acc.noticed + s(120), "ACTC"].dropna()
        assert not (after == Activity.ROTARY_DRILLING).any()
    others = [a for w in fleet for a in w.accidents if a.type in ("stuck_pipe", "washout")]
    assert others and all(a.noticed is None for a in others)


def test_kick_precursor_shows_a_drilling_break_and_rising_gas(fleet: list[SimWell]) -> None:
    for well, acc in accidents_of(fleet, "kick"):
        frame = well.frame
        before = frame.loc[acc.precursor_start - s(1800) : acc.precursor_start]
        late = frame.loc[acc.start - s(120) : acc.start]
        if seen(med(late["GASA"]), med(before["GASA"])):
            assert med(late["GASA"]) > med(before["GASA"])
        drilling = before[before["ACTC"] == Activity.ROTARY_DRILLING]
        late = frame.loc[acc.start - s(300) : acc.start]
        late = late[late["ACTC"] == Activity.ROTARY_DRILLING]
        if drilling["ROPA"].count() > 60 and late["ROPA"].count() > 60:
            assert late["ROPA"].mean() > drilling["ROPA"].mean()


def test_lost_circulation_flow_out_falls_below_flow_in_and_pit_falls(
    fleet: list[SimWell],
) -> None:
    for well, acc in accidents_of(fleet, "lost_circulation"):
        frame = well.frame
        normal = frame.loc[acc.precursor_start - s(3600) : acc.precursor_start]
        normal = normal[normal["MFIA"] > 100]
        event = frame.loc[acc.start : acc.end]
        event = event[event["MFIA"] > 100]
        balance, usual = (
            (event["MFOA"] - event["MFIA"]).mean(),
            med(normal["MFOA"] - normal["MFIA"]),
        )
        if seen(balance, usual) and event["MFOA"].count() > 0.5 * len(event):
            assert balance < usual - 100
        tva_start = med(frame.loc[acc.start - s(60) : acc.start + s(60), "TVA"])
        tva_low = frame.loc[acc.start : acc.end, "TVA"].min()  # the crew may refill the pit
        if seen(tva_start, tva_low):
            assert tva_low < tva_start - 2


def spp_per_flow(window: pd.DataFrame, flow: float) -> float:
    """SPP normalised by flow^1.8 while drilling at (near) the drilling flow rate."""
    on_bottom = window[
        (window["MFIA"] > 0.5 * flow)
        & (window["WOBA"] > 10)
        & (window["ACTC"] == Activity.ROTARY_DRILLING)
    ]
    ratio = (on_bottom["SPPA"] / on_bottom["MFIA"] ** 1.8).dropna()
    return med(ratio) if len(ratio) > 120 else float("nan")


def flow_balance(window: pd.DataFrame, flow: float) -> float:
    """Flow out - flow in while drilling at (near) the drilling flow, away from connections."""
    drilling = window[(window["MFIA"] > 0.8 * flow) & (window["ACTC"] == Activity.ROTARY_DRILLING)]
    return med(drilling["MFOA"] - drilling["MFIA"]) if len(drilling) > 120 else float("nan")


def test_washout_spp_declines_over_the_precursor_at_the_same_flow(
    fleet: list[SimWell],
) -> None:
    for well, acc in accidents_of(fleet, "washout"):
        assert acc.start - acc.precursor_start >= timedelta(hours=1)
        frame = well.frame
        flow = well.profile.flow_lpm
        early = spp_per_flow(frame.loc[acc.precursor_start : acc.precursor_start + s(900)], flow)
        late = spp_per_flow(frame.loc[acc.start - s(900) : acc.start], flow)
        if not seen(early, late):
            continue  # no drilling in one of the windows (e.g. onset while circulating)
        assert late < 0.95 * early, well.well_id
        # no losses or gains: flow out still matches flow in
        balance = [
            flow_balance(frame.loc[a:b], flow)
            for a, b in (
                (acc.precursor_start, acc.precursor_start + s(900)),
                (acc.start - s(900), acc.start),
            )
        ]
        if seen(*balance):
            assert abs(balance[1] - balance[0]) < 0.05 * flow


def test_stuck_pipe_stops_rotation_at_the_torque_limit_and_pulls_hard(
    fleet: list[SimWell],
) -> None:
    for well, acc in accidents_of(fleet, "stuck_pipe"):
        frame = well.frame
        event = frame.loc[acc.start : acc.end]
        rpm = med(frame.loc[acc.start + s(30) : acc.end, "RPMA"])
        if seen(rpm):
            assert rpm < 5
        if event["TQA"].count() > 0.5 * len(event):
            assert event["TQA"].max() > 0.9 * well.profile.torque_limit_knm
        hook_before = med(frame.loc[acc.start - s(600) : acc.start, "HKLA"])
        if seen(hook_before, event["HKLA"].max()):
            assert event["HKLA"].max() > hook_before + 150
        block = frame.loc[acc.start + s(60) : acc.end, "BPOS"].dropna()
        if len(block):
            assert block.max() - block.min() < 8  # only pipe stretch (m per 1000 kN.km)


def test_stuck_pipe_precursor_raises_torque_or_drag(fleet: list[SimWell]) -> None:
    for well, acc in accidents_of(fleet, "stuck_pipe"):
        frame = well.frame
        early = frame.loc[acc.precursor_start : acc.precursor_start + s(300)]
        late = frame.loc[acc.start - s(300) : acc.start - s(5)]
        early = early[(early["ACTC"] == Activity.ROTARY_DRILLING) & (early["WOBA"] > 10)]
        late = late[(late["ACTC"] == Activity.ROTARY_DRILLING) & (late["WOBA"] > 10)]
        if early["TQA"].count() > 120 and late["TQA"].count() > 120:
            assert med(late["TQA"]) > med(early["TQA"])


def test_pack_off_spp_surges_and_flow_out_drops(fleet: list[SimWell]) -> None:
    for well, acc in accidents_of(fleet, "pack_off"):
        frame = well.frame
        flow = well.profile.flow_lpm
        before = med(frame.loc[acc.start - s(120) : acc.start, "SPPA"])
        onset = frame.loc[acc.start : acc.start + s(240)]
        if seen(before, onset["SPPA"].max()):
            assert onset["SPPA"].max() > 1.1 * before
        ratio = onset["MFOA"].rolling(20).mean() / onset["MFIA"].rolling(20).mean()
        ratio = ratio[onset["MFIA"] > 0.5 * flow].dropna()
        if len(ratio):
            assert ratio.min() < 0.75


def test_twist_off_drops_torque_hookload_and_spp(fleet: list[SimWell]) -> None:
    checked = 0
    for well, acc in accidents_of(fleet, "twist_off"):
        frame = well.frame
        before = frame.loc[acc.start - s(180) : acc.start - s(10)]
        after = frame.loc[acc.start + s(3) : acc.start + s(12)]
        for name, ratio, drop in (("TQA", 0.7, 0), ("HKLA", 1.0, 50), ("SPPA", 0.9, 0)):
            low, high = med(after[name]), med(before[name])
            if seen(low, high):
                assert low < ratio * high - drop, (well.well_id, name)
                checked += 1
    assert checked


def test_bit_balling_rop_falls_while_wob_holds_and_spp_creeps_up(
    fleet: list[SimWell],
) -> None:
    for well, acc in accidents_of(fleet, "bit_balling"):
        frame = well.frame
        first = frame.loc[acc.precursor_start : acc.precursor_start + s(600)]
        last = frame.loc[acc.start - s(600) : acc.start]
        first = first[first["ACTC"] == Activity.ROTARY_DRILLING]
        last = last[last["ACTC"] == Activity.ROTARY_DRILLING]
        if seen(last["ROPA"].mean(), first["ROPA"].mean()):
            assert last["ROPA"].mean() < 0.85 * first["ROPA"].mean()
        if seen(last["WOBA"].mean(), first["WOBA"].mean()):
            assert last["WOBA"].mean() > 0.95 * first["WOBA"].mean()
        if seen(med(last["SPPA"]), med(first["SPPA"])):
            assert med(last["SPPA"]) > med(first["SPPA"])


def test_accident_channels_are_not_frozen_during_events(fleet: list[SimWell]) -> None:
    for well in fleet:
        for acc in well.accidents:
            event = well.frame.loc[acc.start : acc.end]
            for name in ("HKLA", "SPPA", "TVA", "GASA", "CHKP"):
                if event[name].count() > 60:
                    assert event[name].nunique() > 5, (well.well_id, acc.type, name)


# ------------------------------------------------------------------ demo fleet


def test_demo_fleet_schedules_the_kick_at_live_from_plus_4_minutes() -> None:
    live = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    wells = demo_fleet(3, start=live - timedelta(hours=1), hours=2, seed=9, live_from=live)
    kick, stuck, quiet = wells
    assert [(a.type, a.start, a.precursor_start) for a in kick.accidents] == [
        ("kick", live + timedelta(minutes=4), live)
    ]
    assert [(a.type, a.start) for a in stuck.accidents] == [
        ("stuck_pipe", live + timedelta(minutes=9))
    ]
    assert quiet.accidents == []
    assert kick.frame.index[0] == pd.Timestamp(live - timedelta(hours=1))
    assert len(kick.frame) == 2 * 3600
    assert kick.frame.loc[live + timedelta(minutes=10) :, "CHKP"].max() > 300


def test_demo_fleet_refuses_a_live_time_outside_the_data() -> None:
    live = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="live_from"):
        demo_fleet(1, start=live, hours=0.05, seed=1, live_from=live)


# ------------------------------------------------------------------ files


@pytest.fixture(scope="module")
def small() -> list[SimWell]:
    return simulate_fleet(2, hours=0.5, seed=4)


def test_write_fleet_writes_csv_that_pandas_reads_back(
    small: list[SimWell], tmp_path: Path
) -> None:
    out = tmp_path / "new" / "dir"
    paths = write_fleet(small, out)
    assert [p.name for p in paths] == ["SIM-4-00.csv", "SIM-4-01.csv", "accidents.csv"]
    first_line = paths[0].read_text().splitlines()[1]
    assert first_line.startswith(small[0].frame.index[0].strftime("%Y-%m-%dT%H:%M:%S+00:00,"))
    back = pd.read_csv(paths[0], index_col="time", parse_dates=["time"])
    assert isinstance(back.index, pd.DatetimeIndex)
    assert back.index.tz is not None
    assert (back.index == small[0].frame.index).all()
    pd.testing.assert_frame_equal(
        back.reset_index(drop=True), small[0].frame.reset_index(drop=True), check_exact=True
    )


def test_write_fleet_writes_accidents_csv_with_offsets(tmp_path: Path) -> None:
    well = simulate_well(
        random_profile("ACC-1", np.random.default_rng(1)),
        start=T0,
        hours=2,
        seed=2,
        accidents=[("kick", 3600)],
    )
    paths = write_fleet([well], tmp_path)
    text = (tmp_path / "accidents.csv").read_text().splitlines()
    assert text[0] == "well,type,start,end,depth"
    assert text[1].startswith("ACC-1,kick,2026-03-01T01:00:00+00:00,2026-03-01T")
    back = read_accidents_csv(paths[-1])
    assert [(a.well_id, a.type, a.start, a.end) for a in back] == [
        (a.well_id, a.type, a.start, a.end) for a in well.accidents
    ]


def test_write_fleet_writes_parquet_with_tz_aware_time(
    small: list[SimWell], tmp_path: Path
) -> None:
    paths = write_fleet(small, tmp_path, fmt="parquet", manifest=True)
    assert [p.name for p in paths] == [
        "SIM-4-00.parquet",
        "SIM-4-01.parquet",
        "accidents.csv",
        "manifest.json",
    ]
    back = pd.read_parquet(paths[0])
    assert list(back.columns) == ["time", *CANONICAL]
    assert str(back["time"].dt.tz) == "UTC"
    pd.testing.assert_frame_equal(
        back.set_index("time"), small[0].frame, check_index_type=False, check_freq=False
    )


def test_write_fleet_refuses_unknown_formats(small: list[SimWell], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        write_fleet(small, tmp_path, fmt="xlsx")


def test_well_converts_to_a_telemetry_batch(small: list[SimWell]) -> None:
    batch = small[0].to_batch()
    assert len(batch) == len(small[0].frame)
    assert set(batch.channels) == set(CANONICAL)


# ------------------------------------------------------------------ CLI


def test_cli_writes_one_file_per_well_and_accidents(tmp_path: Path) -> None:
    code = main(["--wells", "2", "--hours", "0.05", "--seed", "3", "--out", str(tmp_path)])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "SIM-3-00.csv",
        "SIM-3-01.csv",
        "accidents.csv",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wells", "0", "--hours", "1"], "--wells"),
        (["--wells", "1", "--hours", "0"], "--hours"),
        (["--wells", "1", "--hours", "-2"], "--hours"),
        (["--wells", "1", "--hours", "1", "--seed", "-1"], "--seed"),
    ],
)
def test_cli_bad_arguments_exit_with_2_and_say_why(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_unwritable_out_dir_exits_with_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    assert main(["--wells", "1", "--hours", "0.01", "--out", str(blocker / "sub")]) == 2
    assert "--out" in capsys.readouterr().err


def test_cli_unparsable_arguments_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--wells", "many", "--hours", "1", "--out", "x"]) == 2
    assert "--wells" in capsys.readouterr().err


def test_cli_help_exits_with_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "drillwatch simulate" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m pipelines.simulate", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("pipelines.simulate", run_name="__main__")
    assert exit_info.value.code == 0
    assert "drillwatch simulate" in capsys.readouterr().out
