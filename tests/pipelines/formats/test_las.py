"""Time-indexed LAS 2.0: round trip, oilfield units, ISO time stamps, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pipelines.formats.files import FileFormatError
from pipelines.formats.las import read_las, read_las_log, write_las
from pipelines.telemetry import BatchError, TelemetryBatch, parse_time

# Decimals kept per channel, as the simulator and real mud-logging feeds round them.
DECIMALS = {"DBTM": 2, "HKLA": 1, "TQA": 2, "RPMA": 1, "SPPA": 0, "MFIA": 0, "TVA": 2, "GASA": 3}


def rounded(values: np.ndarray, decimals: int) -> np.ndarray:
    """Values as a feed would print them: exactly the doubles of their decimal text."""
    return np.array([float(f"{v:.{decimals}f}") for v in values])


def realistic_batch(n: int = 500, seed: int = 7) -> TelemetryBatch:
    rng = np.random.default_rng(seed)
    start_ms = 1_475_107_588_000
    steps_ms = rng.integers(1_000, 15_000, size=n)  # irregular 1-15 s, millisecond stamps
    times = (start_ms + np.cumsum(steps_ms)) * 1_000_000
    base = {
        "DBTM": 1200 + np.cumsum(rng.uniform(0, 0.05, n)),
        "HKLA": rng.normal(650, 40, n),
        "TQA": np.abs(rng.normal(12, 3, n)),
        "RPMA": rng.uniform(0, 180, n),
        "SPPA": rng.normal(18000, 500, n),
        "MFIA": rng.normal(3000, 50, n),
        "TVA": rng.normal(45, 0.5, n),
        "GASA": np.abs(rng.normal(0.2, 0.05, n)),
    }
    channels = {name: rounded(values, DECIMALS[name]) for name, values in base.items()}
    channels["HKLA"][::37] = np.nan
    channels["STROKES1"] = np.round(rng.uniform(0, 700, n))  # non-canonical, kept
    return TelemetryBatch(times.astype(np.int64), channels)


def test_write_then_read_gives_the_same_times_and_values(tmp_path: Path) -> None:
    batch = realistic_batch()
    path = tmp_path / "w.las"
    write_las(batch, path, well_id="NO_15_9-F-9_A", units={"STROKES1": "unitless"})
    back, info = read_las_log(path)
    np.testing.assert_array_equal(back.times_ns, batch.times_ns)
    assert list(back.channels) == list(batch.channels)
    for name, values in batch.channels.items():
        np.testing.assert_array_equal(back.channels[name], values, err_msg=name)
    assert info["well"]["well"] == "NO_15_9-F-9_A" and info["well_id"] == "NO_15_9-F-9_A"
    assert info["curves"]["TQA"]["unit"] == "kN.m"
    assert info["curves"]["STROKES1"]["unit"] == "unitless"
    assert info["nulls"] == int(np.isnan(batch.channels["HKLA"]).sum())
    text = path.read_text()
    assert "TIME.s" in text.replace(" ", "") and "-999.25" in text
    assert "STEP.s                0" in text


def test_sub_millisecond_times_are_rounded_to_milliseconds(tmp_path: Path) -> None:
    times = np.array([1_475_107_588_123_456_789, 1_475_107_589_000_600_000], dtype=np.int64)
    path = tmp_path / "t.las"
    write_las(TelemetryBatch(times, {"HKLA": np.array([1.0, 2.0])}), path, well_id="W")
    assert read_las(path).times_ns.tolist() == [
        1_475_107_588_123_000_000,
        1_475_107_589_001_000_000,
    ]


def las_text(
    data: str,
    *,
    curves: str = "TIME.s : time\nHKLD.KLBF : hookload\nSPP.PSI : standpipe\nFLOW_IN.GPM : flow in",
    null: str = "-999.25",
    wrap: str = "NO",
) -> str:
    return (
        "~Version\nVERS. 2.0 : CWLS LAS 2.0\n"
        f"WRAP. {wrap} : one line per step\n"
        "~Well\nSTRT.s 0 :\nSTOP.s 0 :\nSTEP.s 0 :\n"
        f"NULL. {null} : null\nWELL. RIG 7 / A : well\n"
        f"~Curve\n{curves}\n~A\n{data}"
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.las"
    path.write_text(text)
    return path


DATA = """\
# time            hookload  spp    flow
1475107600.5      150.0     3000   800
1475107588        -999.25   2900   790

1475107589.25     148.0     2950   795
"""


def test_oilfield_units_and_aliases_are_converted(tmp_path: Path) -> None:
    batch, info = read_las_log(write(tmp_path, las_text(DATA)))
    assert batch.times_ns.tolist() == [
        1_475_107_588_000_000_000,
        1_475_107_589_250_000_000,
        1_475_107_600_500_000_000,
    ]
    np.testing.assert_allclose(batch.channels["HKLA"], [np.nan, 658.33679906, 667.23324229])
    np.testing.assert_allclose(batch.channels["SPPA"], [19994.79615, 20339.53401, 20684.27188])
    np.testing.assert_allclose(batch.channels["MFIA"], [2990.47531, 3009.40237, 3028.32943])
    assert info["out_of_order"] == 1 and info["well_id"] == "RIG_7_A"
    assert info["curves"]["HKLD"] == {
        "channel": "HKLA",
        "unit": "KLBF",
        "internal_unit": "kN",
        "nulls": 1,
    }


def test_iso_time_stamps_with_offsets_are_read_as_instants(tmp_path: Path) -> None:
    data = "2016-09-29T02:00:00+02:00 150 3000 800\n2016-09-29T00:00:15Z 151 3001 801\n"
    curves = "TIME. : time\nHKLA.kN : hookload\nSPPA.kPa : spp\nMFIA.L/min : flow"
    batch = read_las(write(tmp_path, las_text(data, curves=curves)))
    assert batch.times_ns.tolist() == [
        parse_time("2016-09-29T00:00:00Z", "t"),
        parse_time("2016-09-29T00:00:15Z", "t"),
    ]
    assert batch.channels["HKLA"].tolist() == [150.0, 151.0]


def test_elapsed_seconds_need_a_time_origin(tmp_path: Path) -> None:
    path = write(tmp_path, las_text("0 150 3000 800\n1.5 151 3001 801\n"))
    with pytest.raises(FileFormatError, match="elapsed seconds"):
        read_las(path)
    origin = datetime(2016, 9, 29, tzinfo=UTC)
    batch = read_las(path, time_origin=origin)
    assert batch.start == origin and len(batch) == 2


def assert_refused(path: Path, where: str, *needles: str) -> None:
    with pytest.raises(FileFormatError) as info:
        read_las(path)
    assert info.value.where == where, info.value
    for needle in needles:
        assert needle in info.value.reason, info.value


@pytest.mark.parametrize(
    ("curves", "needle"),
    [
        ("DEPT.M : depth\nHKLA.kN : hook", "depth-indexed"),
        ("DEPTH.ft : depth\nHKLA.kN : hook", "depth-indexed"),
        ("MD. : depth\nHKLA.kN : hook", "depth-indexed"),
        ("GR.API : gamma\nHKLA.kN : hook", "not a time index"),
    ],
)
def test_depth_indexed_files_are_refused(tmp_path: Path, curves: str, needle: str) -> None:
    name = curves.split(".")[0]
    assert_refused(write(tmp_path, las_text("1000 1\n", curves=curves)), f"curve {name}", needle)


@pytest.mark.parametrize(
    ("bad_line", "needles"),
    [
        ("1475107590 150 3000", ("3 values, expected 4",)),
        ("1475107590 150 3000 800 5", ("5 values, expected 4",)),
        ("1475107590 150 x3000 800", ("curve SPP", "'x3000' is not a number")),
        ("1475107590 150 3000 inf", ("curve FLOW_IN", "'inf' is not a number")),
        ("yesterday 150 3000 800", ("index TIME", "'yesterday'")),
    ],
)
def test_a_broken_data_line_is_refused_naming_the_line(
    tmp_path: Path, bad_line: str, needles: tuple[str, ...]
) -> None:
    text = las_text(DATA + bad_line + "\n1475107599 1 1 1\n")
    line = text.splitlines().index(bad_line) + 1
    assert_refused(write(tmp_path, text), f"line {line}", *needles)


def test_wrong_unit_for_the_channel_is_refused(tmp_path: Path) -> None:
    curves = "TIME.s : time\nHKLD.M : hookload\nSPP.PSI : spp\nFLOW_IN.GPM : flow"
    assert_refused(write(tmp_path, las_text(DATA, curves=curves)), "curve HKLD (HKLA)", "'M'")


def test_wrapped_files_and_missing_data_are_refused(tmp_path: Path) -> None:
    assert_refused(write(tmp_path, las_text(DATA, wrap="YES")), "~Version WRAP", "wrapped")
    assert_refused(write(tmp_path, las_text("")), "~A", "no data lines")
    no_data = las_text(DATA).split("~A")[0]
    assert_refused(write(tmp_path, no_data), "~A", "no ~A")


def test_write_refuses_an_empty_batch(tmp_path: Path) -> None:
    with pytest.raises(BatchError):
        write_las(TelemetryBatch(np.array([], dtype=np.int64), {}), tmp_path / "e.las", well_id="W")


def test_channel_names_round_trip_exactly_whatever_their_case_or_dots(tmp_path: Path) -> None:
    # lasio upper-cases mnemonics on reading and a "." ends a LAS mnemonic: neither may
    # change a channel's name on export + import.
    times = np.array([1_475_107_588_000_000_000, 1_475_107_589_000_000_000], dtype=np.int64)
    names = ["HKLA", "RigActivityCode", "mw.In", "mw_In", "bitRpm", "a-b", "time", "TOTGAS"]
    batch = TelemetryBatch(times, {n: np.array([i + 0.5, np.nan]) for i, n in enumerate(names)})
    path = tmp_path / "names.las"
    write_las(batch, path, well_id="W")
    back, info = read_las_log(path)
    assert list(back.channels) == names
    # TOTGAS (an alias of GASA) was a drillwatch channel of its own: it is not re-mapped.
    assert info["curves"]["TOTGAS"]["channel"] == "TOTGAS"
    for i, name in enumerate(names):
        np.testing.assert_array_equal(back.channels[name], [i + 0.5, np.nan], err_msg=name)
    text = path.read_text()
    assert "mw_In          .    : mw.In (drillwatch channel)" in text  # readable by others


def test_a_third_party_mixed_case_mnemonic_keeps_its_case(tmp_path: Path) -> None:
    curves = "TIME.s : time\nHKLD.KLBF : hookload\nPumpStrokes. : strokes\nFLOW_IN.GPM : flow"
    batch = read_las(write(tmp_path, las_text(DATA, curves=curves)))
    assert sorted(batch.channels) == ["HKLA", "MFIA", "PumpStrokes"]


def test_values_with_any_number_of_digits_round_trip_exactly(tmp_path: Path) -> None:
    # Converted values (N -> kN, m3/s -> L/min) have 15-17 significant digits.
    rng = np.random.default_rng(3)
    times = (1_475_107_588_000 + np.arange(200) * 1000) * 1_000_000
    channels = {
        "MFOA": rng.uniform(0, 1e-3, 200) * 60_000.0,
        "HKLA": rng.normal(650_000, 40_000, 200) / 1000.0,
        "GASA": rng.uniform(0, 1e-6, 200),
        "XTRA": rng.normal(0, 1e12, 200),
    }
    batch = TelemetryBatch(times.astype(np.int64), channels)
    path = tmp_path / "digits.las"
    write_las(batch, path, well_id="W")
    back = read_las(path)
    for name, values in channels.items():
        np.testing.assert_array_equal(back.channels[name], values, err_msg=name)


def test_write_refuses_infinite_values(tmp_path: Path) -> None:
    batch = TelemetryBatch(np.array([1_475_107_588_000_000_000]), {"HKLA": np.array([np.inf])})
    with pytest.raises(BatchError) as exc:
        write_las(batch, tmp_path / "inf.las", well_id="W")
    assert exc.value.field == "channels.HKLA"


def test_gas_in_engineering_units_is_kept_unconverted_unless_declared(tmp_path: Path) -> None:
    curves = "TIME.s : time\nHKLD.KLBF : hookload\nSPP.PSI : spp\nTOTGAS.Euc : total gas"
    path = write(tmp_path, las_text(DATA, curves=curves))
    batch, info = read_las_log(path)
    assert "GASA" not in batch.channels and "no defined scale" in info["unconverted"]["TOTGAS"]
    np.testing.assert_array_equal(batch.channels["TOTGAS"], [790.0, 795.0, 800.0])
    batch = read_las(path, units={"TOTGAS": "ppm"})
    np.testing.assert_allclose(batch.channels["GASA"], [0.079, 0.0795, 0.08])
    with pytest.raises(FileFormatError) as exc:
        read_las(path, units={"GAS": "%"})
    assert exc.value.where == "units.GAS"


def test_an_unknown_unit_is_refused_naming_the_curve(tmp_path: Path) -> None:
    curves = "TIME.s : time\nHKLD.ZORKS : hookload\nSPP.PSI : spp\nFLOW_IN.GPM : flow"
    assert_refused(write(tmp_path, las_text(DATA, curves=curves)), "curve HKLD (HKLA)", "'ZORKS'")


def test_a_truncated_file_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = las_text(DATA + "1475107599 1 1 1\n")
    cut = text[: text.rindex("1 1 1") + 2]  # the last line loses its last values
    assert_refused(write(tmp_path, cut), f"line {len(cut.splitlines())}", "expected 4")
