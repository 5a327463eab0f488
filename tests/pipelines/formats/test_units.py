"""Unit conversion to internal units, and the mnemonic alias table used by the importers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pipelines.formats.aliases import (
    DEFAULT_ALIASES,
    ENV_VAR,
    aliases_path_from_env,
    canonical_name,
    load_aliases,
    map_curves,
)
from pipelines.formats.files import FileFormatError
from pipelines.formats.units import UnitError, conversion, convert, is_unit, unscaled_reason

# (declared unit, channel, value, expected value in the internal unit)
CASES = [
    ("N", "HKLA", 646575.5, 646.5755),
    ("kN", "HKLA", 650.0, 650.0),
    ("klbf", "HKLA", 100.0, 444.82216152605),
    ("lbf", "WOBA", 1000.0, 4.4482216152605),
    ("kkgf", "HKLA", 100.0, 980.665),
    # 1 tonne-force = 1000 kg x 9.80665 m/s² (standard gravity) = 9.80665 kN
    ("kkgf", "HKLA", 105.9763008, 1039.27249024032),
    ("tf", "HKLA", 1.0, 9.80665),
    ("t", "HKLA", 1.0, 9.80665),
    ("tonne", "WOBA", 2.0, 19.6133),
    ("tonne-force", "HKLA", 1.0, 9.80665),
    ("kgf", "WOBA", 1000.0, 9.80665),
    ("daN", "HKLA", 1000.0, 10.0),
    ("kdaN", "HKLA", 10.0, 100.0),
    ("1000 lbf", "HKLA", 1.0, 4.4482216152605),
    ("kN m", "TQA", 12.5, 12.5),
    ("ft.lbs", "TQA", 1.0, 0.0013558179483314),
    ("ft.klbf", "TQA", 1.0, 1.3558179483314),
    ("kgf/cm2", "SPPA", 1.0, 98.0665),
    ("kg/cm2", "SPPA", 1.0, 98.0665),
    ("mbar", "SPPA", 1000.0, 100.0),
    ("r/min", "RPMA", 60.0, 60.0),
    ("bbls", "TVA", 1.0, 0.158987294928),
    ("L", "TVA", 1000.0, 1.0),
    ("ppm", "GASA", 10000.0, 1.0),
    ("m/hr", "ROPA", 10.0, 10.0),
    ("ft/hr", "ROPA", 10.0, 3.048),
    ("N.m", "TQA", 32595.0, 32.595),
    ("kN.m", "TQA", 12.5, 12.5),
    ("ft.lbf", "TQA", 10000.0, 13.558179483314),
    ("kft.lbf", "TQA", 10.0, 13.558179483314),
    ("Pa", "SPPA", 2750100.0, 2750.1),
    ("kPa", "SPPA", 20000.0, 20000.0),
    ("bar", "SPPA", 200.0, 20000.0),
    ("psi", "SPPA", 3000.0, 20684.271879505),
    ("MPa", "CHKP", 2.5, 2500.0),
    ("m3/s", "MFIA", 0.060543, 3632.58),
    ("L/min", "MFIA", 3000.0, 3000.0),
    ("gal/min", "MFIA", 800.0, 3028.3294272),
    ("gpm", "MFOA", 800.0, 3028.3294272),
    ("bbl/min", "MFIA", 10.0, 1589.8729492799),
    ("m3/min", "MFIA", 3.0, 3000.0),
    ("c/s", "RPMA", 0.5, 30.0),
    ("rpm", "RPMA", 120.0, 120.0),
    ("rad/s", "RPMA", 2 * math.pi, 60.0),
    ("m/s", "ROPA", 0.01, 36.0),
    ("m/h", "ROPA", 25.0, 25.0),
    ("ft/h", "ROPA", 100.0, 30.48),
    ("m", "DBTM", 1206.0, 1206.0),
    ("ft", "DMEA", 10000.0, 3048.0),
    ("m3", "TVA", 45.2, 45.2),
    ("bbl", "TVA", 100.0, 15.898729492799),
    ("%", "GASA", 1.5, 1.5),
    ("", "GASA", 0.02, 2.0),
    ("unitless", "MFOP", 0.5, 50.0),
    ("1", "MFOP", 0.5, 50.0),
    ("frac", "GASA", 0.5, 50.0),
    ("code", "ACTC", 112.0, 112.0),
    ("unitless", "ACTC", 14.0, 14.0),
]


@pytest.mark.parametrize(("unit", "channel", "value", "expected"), CASES)
def test_declared_units_convert_to_the_internal_unit(
    unit: str, channel: str, value: float, expected: float
) -> None:
    out = convert(np.array([value, np.nan]), unit, channel)
    assert out[0] == pytest.approx(expected, rel=1e-9)
    assert math.isnan(out[1])


@pytest.mark.parametrize(
    ("unit", "reference", "channel"),
    [
        ("KN", "kN", "HKLA"),
        (" kn ", "kN", "HKLA"),
        ("KLBF", "klbf", "HKLA"),
        ("PSI", "psi", "SPPA"),
        ("M3/S", "m3/s", "MFIA"),
        ("GPM", "gpm", "MFIA"),
        ("RPM", "rpm", "RPMA"),
        ("C/S", "c/s", "RPMA"),
        ("M3", "m3", "TVA"),
        ("F", "ft", "DBTM"),
    ],
)
def test_oilfield_spellings_are_case_insensitive(unit: str, reference: str, channel: str) -> None:
    value = np.array([2.0])
    assert convert(value, unit, channel)[0] == convert(value, reference, channel)[0]


@pytest.mark.parametrize(
    ("text", "bare", "expected"),
    [
        ("kkgf", True, True),
        ("kN.m", True, True),
        ("L/min", True, True),
        ("%", True, True),
        ("m3", True, True),
        ("kg/m3", True, True),  # not in the table, but a compound pint reads
        ("Euc", True, True),
        ("In", True, False),  # pint's inch: a word of "Flow In" at the end of a header
        ("Bit", True, False),
        ("1", True, False),  # "Pit 1"
        ("in", False, True),  # in brackets, anything pint reads as a unit
        ("degC", False, True),
        ("2", False, False),  # a number is not a unit
        ("TVD", False, False),
        ("zorks", False, False),
        ("code", False, True),
        ("code", True, False),
    ],
)
def test_is_unit_tells_units_from_header_words(text: str, bare: bool, expected: bool) -> None:
    assert is_unit(text, bare=bare) is expected


def test_factors_are_clean_decimals() -> None:
    assert conversion("m3/s", "L/min") == (60000.0, 0.0)
    assert conversion("ft", "m") == (0.3048, 0.0)
    assert conversion("c/s", "rpm") == (60.0, 0.0)


def test_conversion_is_vectorised_and_keeps_shape() -> None:
    values = np.arange(100_000, dtype=np.float64)
    out = convert(values, "N", "HKLA")
    assert out.shape == values.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, values / 1000.0)


def test_non_canonical_channels_keep_their_values() -> None:
    values = np.array([0.58, np.nan])
    out = convert(values, "c/s", "BIT_RPM")
    np.testing.assert_array_equal(out, values)
    # ... whatever unit they declare, even one pint does not know.
    np.testing.assert_array_equal(convert(values, "Euc-custom", "CHR1C1"), values)


@pytest.mark.parametrize(
    ("unit", "channel", "needle"),
    [
        ("smoots/jiffy", "HKLA", "unknown unit"),
        ("kg/m3", "HKLA", "not convertible to kN"),
        ("m", "SPPA", "not convertible to kPa"),
        ("c/s", "ROPA", "not convertible to m/h"),
        ("", "HKLA", "not convertible to kN"),
        ("N", "ACTC", "code"),
        ("m/", "TQA", "cannot be parsed"),
    ],
)
def test_unknown_or_incompatible_units_name_the_curve_and_unit(
    unit: str, channel: str, needle: str
) -> None:
    with pytest.raises(UnitError) as info:
        convert(np.array([1.0]), unit, channel)
    assert info.value.channel == channel
    assert info.value.unit == unit
    assert needle in info.value.reason
    assert f"curve {channel}" in str(info.value) and repr(unit) in str(info.value)


# --- aliases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HKLD", "HKLA"),
        ("hkld", "HKLA"),
        ("SURF_RPM", "RPMA"),
        ("FLOWIN", "MFIA"),
        ("FLOWOUT", "MFOA"),
        ("TORQUE", "TQA"),
        ("PUMP", "SPPA"),
        ("BITDEP", "DBTM"),
        ("Depth", "DMEA"),
        ("ROP_AVG", "ROPA"),
        ("TOTGAS", "GASA"),
        ("WOB", "WOBA"),
        ("PIT_DRILL", "TVA"),
        ("BDEP", "DBTM"),
        ("Hookload", "HKLA"),
        ("SPP", "SPPA"),
        ("CHOKE_PRESSURE", "CHKP"),
        ("BLKPOS", "BPOS"),
        ("PVT", "TVA"),
        ("spPa", "SPPA"),
        ("RigActivityCode", "RigActivityCode"),
        ("MDEPTH", "MDEPTH"),
        ("PITTOT", "PITTOT"),
    ],
)
def test_default_aliases(name: str, expected: str) -> None:
    assert canonical_name(name) == expected


def test_alias_file_overrides_extends_and_removes(tmp_path: Path) -> None:
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps({"HOOK_WT": "hkla", "PUMP": "CHKP", "PVT": None}))
    table = load_aliases(path)
    assert canonical_name("hook_wt", table) == "HKLA"
    assert canonical_name("PUMP", table) == "CHKP"
    assert canonical_name("PVT", table) == "PVT"
    assert canonical_name("HKLD", table) == "HKLA"  # defaults still there
    assert load_aliases(None) == DEFAULT_ALIASES


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{"A": "NOT_A_CHANNEL"}', "entry 'A'"),
        ('{"HKLA": "SPPA"}', "entry 'HKLA'"),
        ('["HKLD"]', "file"),
        ('{"A": "HKLA",\n "B": }', "line 2"),
    ],
)
def test_bad_alias_files_are_refused_naming_the_entry(
    tmp_path: Path, content: str, where: str
) -> None:
    path = tmp_path / "aliases.json"
    path.write_text(content)
    with pytest.raises(FileFormatError) as info:
        load_aliases(path)
    assert info.value.where == where


def test_alias_file_path_comes_from_the_environment_mapping(tmp_path: Path) -> None:
    assert aliases_path_from_env({}) is None
    assert aliases_path_from_env({ENV_VAR: str(tmp_path / "a.json")}) == tmp_path / "a.json"


def test_two_curves_for_one_channel_the_canonical_name_wins() -> None:
    mapping = map_curves(["HKLD", "HKLA", "HOOKLOAD", "bad name!", "MWIN"])
    assert mapping.channels == {
        "HKLD": "HKLD",
        "HKLA": "HKLA",
        "HOOKLOAD": "HOOKLOAD",
        "MWIN": "MWIN",
    }
    assert mapping.collisions == {"HKLD": "HKLA", "HOOKLOAD": "HKLA"}
    assert mapping.invalid == ["bad name!"]
    first = map_curves(["HKLD", "HOOKLOAD"])
    assert first.channels == {"HKLD": "HKLA", "HOOKLOAD": "HOOKLOAD"}


@pytest.mark.parametrize("unit", ["Euc", "euc", " EUC "])
def test_engineering_units_have_no_scale_and_are_not_converted(unit: str) -> None:
    # Volve TOTGAS is in 'Euc': nothing says whether 0.02 Euc is 2 % or 0.02 % gas.
    with pytest.raises(UnitError) as exc:
        convert(np.array([0.02]), unit, "GASA")
    assert exc.value.channel == "GASA" and "no defined scale" in exc.value.reason
    assert unscaled_reason(unit) is not None and "Euc" in str(unscaled_reason("Euc"))
    assert unscaled_reason("%") is None and unscaled_reason("") is None
    # A non-canonical curve in Euc keeps its values, as any other non-canonical curve.
    np.testing.assert_array_equal(convert(np.array([0.02]), unit, "TOTGAS"), [0.02])
