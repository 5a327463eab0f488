"""Column headers in words with their unit, time columns, zones and date orders of exports."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from pipelines.formats.files import FileFormatError, read_telemetry_file
from pipelines.formats.headers import (
    HeaderError,
    header_mnemonic,
    map_columns,
    sanitise,
    split_header,
)
from pipelines.formats.imports import mapping_lines, parse_columns, read_any
from pipelines.formats.times import (
    TimeValueError,
    find_time_column,
    parse_times,
    parse_timezone,
    zone_name,
)
from pipelines.telemetry import BatchError, parse_time

NS = 1_000_000_000

# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "quantity", "unit", "mnemonic"),
    [
        ("Average Hookload kkgf", "Average Hookload", "kkgf", "HKLA"),
        ("Weight on Bit kkgf", "Weight on Bit", "kkgf", "WOBA"),
        ("Averaged WOB kkgf", "Averaged WOB", "kkgf", "WOBA"),
        ("Hole depth (MD) m", "Hole depth (MD)", "m", "DMEA"),
        ("Hole Depth (MD) m", "Hole Depth (MD)", "m", "DMEA"),
        ("Bit Depth (MD) m", "Bit Depth (MD)", "m", "DBTM"),
        ("Block Position m", "Block Position", "m", "BPOS"),
        ("Average Rotary Speed rpm", "Average Rotary Speed", "rpm", "RPMA"),
        ("RPM30s rpm", "RPM30s", "rpm", "RPMA"),
        ("Average Surface Torque kN.m", "Average Surface Torque", "kN.m", "TQA"),
        ("Average Standpipe Pressure kPa", "Average Standpipe Pressure", "kPa", "SPPA"),
        ("Mud Flow In L/min", "Mud Flow In", "L/min", "MFIA"),
        ("Rate of Penetration m/h", "Rate of Penetration", "m/h", "ROPA"),
        ("Rate of Penetration  m/h", "Rate of Penetration", "m/h", "ROPA"),
        ("TVA (m3)", "TVA", "m3", "TVA"),
        ("Hookload [klbf]", "Hookload", "klbf", "HKLA"),
        ("SPP psi", "SPP", "psi", "SPPA"),
        ("Pump Pressure bar", "Pump Pressure", "bar", "SPPA"),
        ("Choke Pressure (bar)", "Choke Pressure", "bar", "CHKP"),
        ("Flow In gpm", "Flow In", "gpm", "MFIA"),
        ("Flow Rate In (gal/min)", "Flow Rate In", "gal/min", "MFIA"),
        ("Return Flow L/min", "Return Flow", "L/min", "MFOA"),
        ("Flow Out %", "Flow Out", "%", "MFOP"),  # a percentage out is the paddle
        ("Flow Out Paddle (%)", "Flow Out Paddle", "%", "MFOP"),
        ("Pit Volume bbl", "Pit Volume", "bbl", "TVA"),
        ("Active Pit Volume m3", "Active Pit Volume", "m3", "TVA"),
        ("Total Gas %", "Total Gas", "%", "GASA"),
        ("Gas ppm", "Gas", "ppm", "GASA"),
        ("Block Height ft", "Block Height", "ft", "BPOS"),
        ("Measured Depth ft", "Measured Depth", "ft", "DMEA"),
        ("ROP ft/h", "ROP", "ft/h", "ROPA"),
        ("Surface Torque kft.lbf", "Surface Torque", "kft.lbf", "TQA"),
        ("Torque kN m", "Torque", "kN m", "TQA"),
        ("Hook Load 1000 lbf", "Hook Load", "1000 lbf", "HKLA"),
        ("Hookload t", "Hookload", "t", "HKLA"),
        ("Mean Top Drive RPM (rpm)", "Mean Top Drive RPM", "rpm", "RPMA"),
        ("HKLA kN", "HKLA", "kN", "HKLA"),
        ("Flow In", "Flow In", None, "MFIA"),  # "In" is not taken for an inch
        ("Weight on Bit", "Weight on Bit", None, "WOBA"),  # nor "Bit" for a bit
        ("hkld", "hkld", None, "HKLA"),
        ("TVA", "TVA", None, "TVA"),
    ],
)
def test_headers_split_into_quantity_and_unit_and_map_to_mnemonics(
    header: str, quantity: str, unit: str | None, mnemonic: str
) -> None:
    parsed = split_header(header)
    assert (parsed.quantity, parsed.unit) == (quantity, unit)
    assert header_mnemonic(parsed)[0] == mnemonic


@pytest.mark.parametrize(
    "header",
    [
        "Hole depth (TVD) m",  # true vertical depth is not the measured hole depth
        "Pit 1 Volume m3",  # one pit is not the active system
        "Total Pit Volume m3",
        "Mud Weight In sg",
        "Activity Code",  # vendors' activity codes are not ACTC
        "RigActivityCode",
        "Gas (C1) ppm",
        "Hookload Max kkgf",
    ],
)
def test_other_quantities_are_not_mapped(header: str) -> None:
    assert header_mnemonic(split_header(header)) == (None, "unmapped")


def test_a_bracketed_qualifier_is_not_a_unit() -> None:
    assert split_header("Hole Depth (MD)").unit is None
    assert header_mnemonic(split_header("Hole Depth (MD)"))[0] == "DMEA"


def test_site_aliases_come_before_the_words_table() -> None:
    table = {"HOOK WT": "HKLA", "GAS": "CHKP"}  # a (strange) site table without defaults
    assert header_mnemonic(split_header("Hook Wt klbf"), table) == ("HKLA", "alias")
    assert header_mnemonic(split_header("Gas %"), table)[0] == "CHKP"
    assert header_mnemonic(split_header("Total Gas %"), table) == ("GASA", "words")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("MWIN", "MWIN"),  # a valid channel name is kept as it is
        ("RigActivityCode", "RigActivityCode"),
        ("Mud Weight In sg", "Mud_Weight_In_sg"),
        ("Gas (C1) ppm", "Gas_C1_ppm"),
        ("Pit 1 Volume m³", "Pit_1_Volume_m3"),
        ("Flow Out Paddle 2 %", "Flow_Out_Paddle_2_pct"),
        ("30 s average", "c_30_s_average"),
        ("A very long column header that goes on and on", "A_very_long_column_header_that_g"),
    ],
)
def test_unmapped_headers_are_kept_under_a_valid_channel_name(header: str, name: str) -> None:
    assert sanitise(header) == name


def test_two_columns_for_one_mnemonic_are_refused_naming_both() -> None:
    with pytest.raises(HeaderError) as exc:
        map_columns(["Weight on Bit kkgf", "Averaged WOB kkgf", "Hookload kkgf"])
    assert "'Weight on Bit kkgf' and 'Averaged WOB kkgf' both map to WOBA" in exc.value.reason
    assert "--columns" in exc.value.reason


def test_an_exact_mnemonic_wins_and_the_other_column_is_kept_under_its_own_name() -> None:
    plans = map_columns(["Hookload klbf", "HKLA", "Mud Weight sg"])
    assert [(p.source, p.channel, p.how) for p in plans] == [
        ("Hookload klbf", "Hookload_klbf", "collision"),
        ("HKLA", "HKLA", "mnemonic"),
        ("Mud Weight sg", "Mud_Weight_sg", "unmapped"),
    ]
    assert plans[0].target == "HKLA" and plans[0].unit == "klbf"


def test_the_caller_chooses_a_columns_mapping() -> None:
    headers = ["Weight on Bit kkgf", "Averaged WOB kkgf"]
    plans = map_columns(headers, given={"averaged wob kkgf": "woba"})
    assert [(p.channel, p.how) for p in plans] == [
        ("Weight_on_Bit_kkgf", "collision"),
        ("WOBA", "given"),
    ]
    kept = map_columns(headers, given={"Weight on Bit kkgf": "WOB_SURF"})
    assert [p.channel for p in kept] == ["WOB_SURF", "WOBA"]
    with pytest.raises(HeaderError, match=r"columns\.WOB: not a column"):
        map_columns(headers, given={"WOB": "WOBA"})
    with pytest.raises(HeaderError, match="neither a canonical mnemonic"):
        map_columns(headers, given={"Averaged WOB kkgf": "bad name!"})


def test_parse_columns_reads_the_option_text() -> None:
    assert parse_columns("Averaged WOB kkgf=WOBA, Weight on Bit kkgf = WOB_SURF") == {
        "Averaged WOB kkgf": "WOBA",
        "Weight on Bit kkgf": "WOB_SURF",
    }
    assert parse_columns(None) == {}
    with pytest.raises(BatchError, match="COLUMN=CHANNEL"):
        parse_columns("WOBA")


# --- time columns, zones, date orders ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "columns", "zone"),
    [
        (["time", "HKLA"], ("time",), None),
        (["date", "Hookload kkgf"], ("date",), None),
        (["DateTime", "x"], ("DateTime",), None),
        (["Timestamp", "x"], ("Timestamp",), None),
        (["Time (UTC)", "x"], ("Time (UTC)",), UTC),
        (["TIME_UTC", "x"], ("TIME_UTC",), UTC),
        (["Date Time [+01:00]", "x"], ("Date Time [+01:00]",), timezone(timedelta(hours=1))),
        (["Time (Europe/Oslo)", "x"], ("Time (Europe/Oslo)",), ZoneInfo("Europe/Oslo")),
        (["Date", "Time", "x"], ("Date", "Time"), None),
        (["time", "date", "timestamp"], ("time",), None),
    ],
)
def test_the_time_column_is_found_by_name(
    headers: list[str], columns: tuple[str, ...], zone: object
) -> None:
    found = find_time_column(headers)
    assert not isinstance(found, str)
    assert found.columns == columns and found.header_zone == zone


def test_no_or_several_time_columns_are_refused() -> None:
    assert "no time column" in str(find_time_column(["stamp", "HKLA"]))
    assert "several time columns" in str(find_time_column(["date", "timestamp"]))
    given = find_time_column(["stamp", "HKLA"], given="STAMP")
    assert not isinstance(given, str) and given.columns == ("stamp",)
    assert "no column 'zzz'" in str(find_time_column(["stamp"], given="zzz"))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("UTC", "UTC"),
        ("z", "UTC"),
        ("+01:00", "+01:00"),
        ("-0330", "-03:30"),
        ("+05", "+05:00"),
        ("UTC+02:00", "+02:00"),
        ("+00:00", "UTC"),
        ("Europe/Oslo", "Europe/Oslo"),
        ("America/Chicago", "America/Chicago"),
    ],
)
def test_timezones_are_iana_names_or_fixed_offsets(text: str, name: str) -> None:
    assert zone_name(parse_timezone(text)) == name


@pytest.mark.parametrize("text", ["Mars/Olympus", "+25:00", "CEST+1", ""])
def test_unknown_timezones_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        parse_timezone(text)


def _ns(iso: str) -> int:
    return parse_time(iso, "t")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2009-07-03 18:04:32", "2009-07-03T18:04:32+00:00"),
        ("2009-7-3 18:04:32", "2009-07-03T18:04:32+00:00"),
        ("2009/07/03 18:04", "2009-07-03T18:04:00+00:00"),
        ("2009-07-03", "2009-07-03T00:00:00+00:00"),
        ("2009-07-03T18:04:32.25", "2009-07-03T18:04:32.250+00:00"),
        ("2009-07-03T18:04:32,123456789Z", "2009-07-03T18:04:32.123456789+00:00"),
        ("2021-07-09T00:00:06Z", "2021-07-09T00:00:06+00:00"),
        ("2021-07-09 02:00:06+02:00", "2021-07-09T00:00:06+00:00"),
        ("2021-07-09 02:00:06 +0200", "2021-07-09T00:00:06+00:00"),
        ("2021-07-08 21:00:06-03", "2021-07-09T00:00:06+00:00"),
        ("2021-07-09 00:00:06 UTC", "2021-07-09T00:00:06+00:00"),
        ("1969-12-31 23:59:59", "1969-12-31T23:59:59+00:00"),
        ("2000-02-29 12:00:00", "2000-02-29T12:00:00+00:00"),
    ],
)
def test_time_stamps_in_many_spellings(value: str, expected: str) -> None:
    times, naive = parse_times([value], timezone=UTC, dayfirst=None)
    assert int(times[0]) == pd.Timestamp(expected).value
    has_zone = len(value) > 10 and value.endswith(("Z", "+02:00", "+0200", "-03", "UTC"))
    assert naive == (0 if has_zone else 1)


def test_day_first_and_month_first_dates_need_the_callers_word() -> None:
    values = ["03/07/2009 18:04:32", "03.07.2009 18:04:33"]
    with pytest.raises(TimeValueError) as exc:
        parse_times(values, timezone=UTC, dayfirst=None)
    assert exc.value.index == 0 and "--dayfirst" in exc.value.reason
    assert "--monthfirst" in exc.value.reason
    day, _ = parse_times(values, timezone=UTC, dayfirst=True)
    month, _ = parse_times(values, timezone=UTC, dayfirst=False)
    assert day[0] == _ns("2009-07-03T18:04:32Z") and day[1] == _ns("2009-07-03T18:04:33Z")
    assert month[0] == _ns("2009-03-07T18:04:32Z")
    # Year-first dates need no date order.
    iso, _ = parse_times(["2009-7-3 18:04:32"], timezone=UTC, dayfirst=None)
    assert iso[0] == _ns("2009-07-03T18:04:32Z")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("2009-02-30 10:00:00", "not a valid date"),
        ("2009-13-01 10:00:00", "not a valid date"),
        ("2009-01-01 24:00:00", "not a valid date"),
        ("2009-01-01 10:61:00", "not a valid date"),
        ("yesterday", "not a time stamp"),
        ("1246644272", "not a time stamp"),
        ("", "is empty"),
        (None, "is empty"),
        ("2009-01-01 10:00:00+99:00", "offset out of range"),
    ],
)
def test_bad_time_stamps_are_refused_naming_the_row_and_value(
    value: str | None, needle: str
) -> None:
    with pytest.raises(TimeValueError) as exc:
        parse_times(["2009-01-01 00:00:00", value], timezone=UTC, dayfirst=None)
    assert exc.value.index == 1 and exc.value.value == value
    assert needle in exc.value.reason


def test_naive_times_without_a_zone_are_refused() -> None:
    with pytest.raises(TimeValueError) as exc:
        parse_times(["2009-01-01T00:00:00Z", "2009-01-01 00:00:01"], timezone=None, dayfirst=None)
    assert exc.value.index == 1
    assert "no time zone" in exc.value.reason and "--timezone UTC" in exc.value.reason


def test_local_times_across_daylight_saving_changes() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    # Clocks go back at 03:00 CEST on 2023-10-29: 02:00-02:59 happens twice, in file order.
    back = ["2023-10-29 01:45", "2023-10-29 02:30", "2023-10-29 02:45", "2023-10-29 02:15"]
    times, naive = parse_times([*back, "2023-10-29 03:15"], timezone=oslo, dayfirst=None)
    assert naive == 5
    assert [pd.Timestamp(t, tz="UTC").strftime("%H:%M") for t in times] == [
        "23:45",
        "00:30",
        "00:45",
        "01:15",
        "02:15",
    ]
    # Clocks go forward at 02:00 CET on 2024-03-31: 02:30 never happened.
    with pytest.raises(TimeValueError) as exc:
        parse_times(["2024-03-31 01:30", "2024-03-31 02:30"], timezone=oslo, dayfirst=None)
    assert exc.value.index == 1 and "does not exist in Europe/Oslo" in exc.value.reason
    # A lone repeated hour cannot be ordered.
    with pytest.raises(TimeValueError) as exc:
        parse_times(["2023-10-29 02:30"], timezone=oslo, dayfirst=None)
    assert "ambiguous" in exc.value.reason


# --- whole files -----------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_an_export_with_mixed_columns_imports_with_the_mapping_recorded(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "rig.csv",
        "Date,Time,Hookload [klbf],SPP psi,Flow In gpm,Pit Volume bbl,Total Gas %,"
        "Mud Weight sg,Gas Total Euc\n"
        "03/07/2009,18:04:32,100,3000,800,100,1.5,1.2,0.02\n"
        "03/07/2009,18:04:37,101,3001,801,,1.6,1.2,0.02\n",
    )
    batch, info = read_any(path, timezone="Europe/Oslo", dayfirst=True)
    assert batch.start.isoformat() == "2009-07-03T16:04:32+00:00"
    assert batch.channels["HKLA"][0] == pytest.approx(444.82216152605)
    assert batch.channels["SPPA"][0] == pytest.approx(20684.271879505)
    assert batch.channels["MFIA"][0] == pytest.approx(3028.3294272)
    assert batch.channels["TVA"][0] == pytest.approx(15.898729492799)
    assert np.isnan(batch.channels["TVA"][1])
    assert batch.channels["GASA"].tolist() == [1.5, 1.6]
    assert batch.channels["Mud_Weight_sg"].tolist() == [1.2, 1.2]  # kept, unconverted
    assert batch.channels["Gas_Total_Euc"].tolist() == [0.02, 0.02]  # Euc: no scale
    assert info["unmapped"] == {
        "Mud Weight sg": "Mud_Weight_sg",
        "Gas Total Euc": "Gas_Total_Euc",
    }
    assert "no defined scale" in info["unconverted"]["Gas Total Euc"]
    assert info["time_column"] == "Date + Time" and info["timezone"] == "Europe/Oslo"
    lines = mapping_lines(info)
    assert lines[0] == "time: Date + Time (2 time stamps without a zone, taken as Europe/Oslo)"
    assert "Hookload [klbf] -> HKLA (klbf -> kN)" in lines
    assert "Mud Weight sg -> Mud_Weight_sg (not a drillwatch channel: kept unconverted)" in lines


def test_declared_units_replace_the_headers_by_column_or_channel(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.csv", "time,Hookload,SPPA\n2009-07-03T18:04:32Z,100,30\n")
    batch, info = read_any(path, units={"Hookload": "klbf", "SPPA": "bar"})
    assert batch.channels["HKLA"][0] == pytest.approx(444.82216152605)
    assert batch.channels["SPPA"][0] == pytest.approx(3000.0)
    assert info["curves"]["Hookload"]["unit"] == "klbf"
    by_channel, _ = read_any(path, units={"HKLA": "kkgf"})
    assert by_channel.channels["HKLA"][0] == pytest.approx(980.665)
    with pytest.raises(FileFormatError) as exc:
        read_any(path, units={"WOB": "kN"})
    assert exc.value.where == "units.WOB" and "not a column" in exc.value.reason


def test_an_unknown_unit_keeps_the_column_and_says_how_to_import_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "z.csv", "time,Hookload zorks\n2009-07-03T18:04:32Z,100\n")
    batch, info = read_any(path)
    assert list(batch.channels) == ["Hookload_zorks"]
    hint = info["unconverted"]["Hookload zorks"]
    assert "'zorks' is not a unit" in hint and "--units 'Hookload zorks=UNIT'" in hint
    fixed, info = read_any(path, units={"Hookload zorks": "klbf"})
    assert fixed.channels["HKLA"][0] == pytest.approx(444.82216152605)
    assert info["curves"]["Hookload zorks"]["unit"] == "klbf"
    chosen, _ = read_any(path, columns={"Hookload zorks": "HKLA"}, units={"HKLA": "kkgf"})
    assert chosen.channels["HKLA"][0] == pytest.approx(980.665)


def test_a_unit_of_the_wrong_kind_is_refused_naming_the_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "w.csv", "time,Hookload m/h\n2009-07-03T18:04:32Z,100\n")
    with pytest.raises(FileFormatError) as exc:
        read_any(path)
    assert exc.value.where == "column 'Hookload m/h' (HKLA)"
    assert "not convertible to kN" in exc.value.reason


@pytest.mark.parametrize(
    ("text", "where", "needles"),
    [
        (
            "date,HKLA\n2009-07-03 18:04:32,1\n2009-07-03 18:04:3x,2\n",
            "line 3",
            ("column 'date'", "'2009-07-03 18:04:3x'", "not a time stamp"),
        ),
        ("time,HKLA\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,x\n", "line 3", ("'x'",)),
        (
            "time,HKLA\n2026-01-01T00:00:00Z,1\n2026-01-01T01:00:00+01:00,2\n",
            "line 3",
            ("duplicated time stamp 2026-01-01T00:00:00", "also on line 2"),
        ),
        ("time,HKLA,HKLA\n2026-01-01T00:00:00Z,1,2\n", "header", ("'HKLA' appears twice",)),
        ("stamp,HKLA\n2026-01-01T00:00:00Z,1\n", "header", ("no time column", "--time-column")),
        (
            "Time (UTC),HKLA\n2026-01-01 00:00:00,1\n",
            "column 'Time (UTC)'",
            ("header says the times are in UTC", "--timezone says Europe/Oslo"),
        ),
    ],
)
def test_bad_files_are_refused_naming_file_line_column_and_value(
    tmp_path: Path, text: str, where: str, needles: tuple[str, ...]
) -> None:
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(FileFormatError) as exc:
        read_any(path, timezone="Europe/Oslo")
    assert exc.value.path == path and exc.value.where == where, str(exc.value)
    for needle in needles:
        assert needle in exc.value.reason, exc.value.reason


def test_a_header_zone_is_used_for_naive_times(tmp_path: Path) -> None:
    path = _write(tmp_path, "h.csv", "Time (UTC),HKLA\n2026-01-01 00:00:00,1\n")
    batch, info = read_any(path)
    assert batch.start.isoformat() == "2026-01-01T00:00:00+00:00"
    assert info["timezone"] == "UTC"


def test_parquet_timestamps_with_and_without_a_zone(tmp_path: Path) -> None:
    times = pd.date_range("2024-07-01 12:00", periods=3, freq="5s")
    aware = tmp_path / "aware.parquet"
    pd.DataFrame({"time": times.tz_localize("UTC"), "HKLA": [1.0, 2.0, 3.0]}).to_parquet(aware)
    batch, _ = read_any(aware)
    assert batch.start.isoformat() == "2024-07-01T12:00:00+00:00"
    naive = tmp_path / "naive.parquet"
    pd.DataFrame({"Timestamp": times, "Hookload kkgf": [1.0, 2.0, 3.0]}).to_parquet(naive)
    with pytest.raises(FileFormatError, match="--timezone"):
        read_any(naive)
    local, info = read_any(naive, timezone="Europe/Oslo")
    assert local.start.isoformat() == "2024-07-01T10:00:00+00:00"
    assert local.channels["HKLA"][0] == pytest.approx(9.80665)
    assert info["format"] == "parquet"


def test_csv_options_are_refused_for_formats_that_name_their_own(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.las", "")
    with pytest.raises(FileFormatError) as exc:
        read_any(path, timezone="UTC", columns={"A": "HKLA"})
    assert exc.value.where == "options"
    assert "--timezone, --columns apply to CSV/Parquet files only" in exc.value.reason


def test_simulator_files_read_as_before(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "SIM-1.csv", "time,HKLA,MWIN\n2026-01-01T00:00:01Z,2\n2026-01-01T00:00:00Z,1,3\n"
    )
    batch = read_telemetry_file(path)
    assert batch.times_ns.tolist() == [_ns("2026-01-01T00:00:00Z"), _ns("2026-01-01T00:00:01Z")]
    assert batch.channels["HKLA"].tolist() == [1.0, 2.0]
    assert np.isnan(batch.channels["MWIN"][1])
    assert NS == 1_000_000_000
