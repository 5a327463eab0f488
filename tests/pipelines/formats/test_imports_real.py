"""Real exports import as they come, with one call (excerpts in tests/data/real/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.formats.files import FileFormatError
from pipelines.formats.imports import mapping_lines, read_any

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
TONNE_FORCE_KN = 9.80665  # standard gravity × 1000 kg, in kN

# Source column → (mnemonic, factor to the internal unit) for the TSPP files.
TSPP_COLUMNS = {
    "Average Hookload kkgf": ("HKLA", TONNE_FORCE_KN),
    "Weight on Bit kkgf": ("WOBA", TONNE_FORCE_KN),
    "Averaged WOB kkgf": ("WOBA", TONNE_FORCE_KN),
    "Hole depth (MD) m": ("DMEA", 1.0),
    "Hole Depth (MD) m": ("DMEA", 1.0),
    "Bit Depth (MD) m": ("DBTM", 1.0),
    "Block Position m": ("BPOS", 1.0),
    "Average Rotary Speed rpm": ("RPMA", 1.0),
    "RPM30s rpm": ("RPMA", 1.0),
    "Average Surface Torque kN.m": ("TQA", 1.0),
    "Average Standpipe Pressure kPa": ("SPPA", 1.0),
    "Mud Flow In L/min": ("MFIA", 1.0),
    "Rate of Penetration m/h": ("ROPA", 1.0),
    "Rate of Penetration  m/h": ("ROPA", 1.0),
}
DRILLING = {"DBTM", "DMEA", "BPOS", "ROPA", "HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA"}


@pytest.mark.parametrize("name", ["TSPP1", "TSPP2", "TSPP3", "TSPP4"])
def test_each_tspp_export_imports_with_one_call_in_canonical_names_and_units(name: str) -> None:
    path = REAL / f"{name}.csv"
    batch, info = read_any(path, timezone="UTC")
    source = pd.read_csv(path, dtype={"date": str})
    assert set(batch.channels) == DRILLING
    assert len(batch) == len(source) == info["rows"] == 120
    for column, (mnemonic, factor) in TSPP_COLUMNS.items():
        if column in source.columns:
            expected = source[column].to_numpy(dtype=np.float64) * factor
            np.testing.assert_allclose(batch.channels[mnemonic], expected, rtol=1e-12)
            assert info["curves"][column]["channel"] == mnemonic
    # Naive dates (also "2009-7-3 18:04:32") are read as the UTC wall clock given.
    expected_ns = (
        pd.to_datetime(source["date"], format="mixed").to_numpy().astype("datetime64[ns]")
    ).view(np.int64)
    np.testing.assert_array_equal(batch.times_ns, expected_ns)
    assert info["time_column"] == "date"
    assert info["timezone"] == "UTC" and info["naive_times"] == 120
    assert info["unmapped"] == {} and info["collisions"] == {} and info["unconverted"] == {}


def test_tspp1_hookload_in_tonne_force_becomes_kilonewtons() -> None:
    batch, info = read_any(REAL / "TSPP1.csv", timezone="UTC")
    assert batch.channels["HKLA"][0] == pytest.approx(105.9763008 * 9.80665)
    assert batch.channels["HKLA"][0] == pytest.approx(1039.27, abs=0.01)
    assert batch.start.isoformat() == "2007-07-06T19:23:52+00:00"
    assert info["curves"]["Average Hookload kkgf"] == {
        "channel": "HKLA",
        "unit": "kkgf",
        "internal_unit": "kN",
        "how": "alias",
    }


def test_tspp1_mapping_is_printed_column_by_column() -> None:
    _, info = read_any(REAL / "TSPP1.csv", timezone="UTC")
    assert mapping_lines(info) == [
        "time: date (120 time stamps without a zone, taken as UTC)",
        "Average Hookload kkgf -> HKLA (kkgf -> kN)",
        "Hole depth (MD) m -> DMEA (m)",
        "Weight on Bit kkgf -> WOBA (kkgf -> kN)",
        "Block Position m -> BPOS (m)",
        "Average Rotary Speed rpm -> RPMA (rpm)",
        "Average Surface Torque kN.m -> TQA (kN.m)",
        "Bit Depth (MD) m -> DBTM (m)",
        "Average Standpipe Pressure kPa -> SPPA (kPa)",
        "Mud Flow In L/min -> MFIA (L/min)",
        "Rate of Penetration m/h -> ROPA (m/h)",
    ]


def test_a_naive_export_without_a_timezone_is_refused_saying_how_to_give_one() -> None:
    path = REAL / "TSPP3.csv"
    with pytest.raises(FileFormatError) as exc:
        read_any(path)
    assert exc.value.path == path
    assert exc.value.where == "line 2"
    message = str(exc.value)
    assert "column 'date'" in message and "'2009-7-3 18:04:32'" in message
    assert "--timezone" in message and "--timezone UTC" in message


def test_a_local_timezone_shifts_naive_times_to_utc() -> None:
    utc, _ = read_any(REAL / "TSPP1.csv", timezone="UTC")
    oslo, info = read_any(REAL / "TSPP1.csv", timezone="Europe/Oslo")
    fixed, _ = read_any(REAL / "TSPP1.csv", timezone="+02:00")
    two_hours = 2 * 3600 * 1_000_000_000  # July: CEST
    np.testing.assert_array_equal(oslo.times_ns, utc.times_ns - two_hours)
    np.testing.assert_array_equal(fixed.times_ns, oslo.times_ns)
    assert info["timezone"] == "Europe/Oslo"


def test_the_kick_file_with_mnemonics_and_utc_times_still_imports_unchanged() -> None:
    path = REAL / "KICK-17.csv"
    batch, info = read_any(path)
    source = pd.read_csv(path, dtype={"time": str})
    assert list(batch.channels) == ["TVA", "SPPA", "MFOP", "GASA"]
    for name in batch.channels:
        np.testing.assert_array_equal(batch.channels[name], source[name].to_numpy())
    assert batch.start.isoformat() == "2021-07-09T17:28:04+00:00"
    assert info["timezone"] is None and info["naive_times"] == 0
    assert mapping_lines(info)[:2] == [
        "time: time (time stamps with their zone)",
        "TVA -> TVA (no unit given, taken as m3)",
    ]
    # A zone given for a file whose times all carry one changes nothing.
    again, _ = read_any(path, timezone="Europe/Oslo")
    np.testing.assert_array_equal(again.times_ns, batch.times_ns)
