"""WITSML 1.4.1.1 log import: the real Volve files, and refusals on small synthetic ones."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from factories import volve_file

from pipelines.formats.aliases import load_aliases
from pipelines.formats.files import FileFormatError
from pipelines.formats.witsml import order_samples, read_witsml_log
from pipelines.telemetry import parse_time


def document(
    rows: list[str],
    *,
    mnemonics: str = "TIME,HKLD,PUMP,SURF_RPM,EXTRA",
    units: str = "unitless,N,Pa,c/s,m3",
    index_type: str = "date time",
    null: str = "-999.25",
    curve_infos: str | None = None,
) -> str:
    if curve_infos is None:
        curve_infos = "".join(
            f"<logCurveInfo uid='{m}'><mnemonic>{m}</mnemonic><unit>{u}</unit>"
            f"<typeLogData>{'date time' if m == 'TIME' else 'double'}</typeLogData>"
            "</logCurveInfo>"
            for m, u in zip(mnemonics.split(","), units.split(","), strict=True)
        )
    data = "\n".join(f"<data>{row}</data>" for row in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<logs xmlns="http://www.witsml.org/schemas/1series" version="1.4.1.1">\n'
        '<log uidWell="w1" uidWellbore="wb1" uid="log1">\n'
        "<nameWell>Test 1</nameWell><nameWellbore>Test 1 A</nameWellbore><name>Time</name>\n"
        f"<indexType>{index_type}</indexType><indexCurve>TIME</indexCurve>"
        f"<nullValue>{null}</nullValue>\n"
        f"{curve_infos}\n"
        f"<logData>\n<mnemonicList>{mnemonics}</mnemonicList>\n<unitList>{units}</unitList>\n"
        f"{data}\n</logData>\n</log>\n</logs>\n"
    )


def write(tmp_path: Path, text: str, name: str = "log.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ROWS = [
    "2016-09-29T00:00:15.000Z,651000,150000,0.5,1.0",
    "2016-09-29T02:00:00.000+02:00,650000,-999.25,0.25,2.0",  # 00:00:00Z, out of order
    "2016-09-29T00:00:30.000Z,652000,152000,,3.0",
]


# --- the real Volve files --------------------------------------------------------------------


def test_volve_gwdtime_imports_in_plausible_internal_ranges() -> None:
    batch, info = read_witsml_log(volve_file("F-9_GwdTime.xml"))
    ch = batch.channels
    assert len(batch) == info["samples"] == 8084
    assert info["well"]["name"] == "NO 15/9-F-9" and info["well_id"] == "NO_15_9-F-9_A"
    assert info["log"]["name"] == "GwdTime" and info["log"]["index_type"] == "date time"
    assert info["start"] == "2016-09-29T00:06:28Z" and info["end"] == "2016-09-30T09:46:45Z"
    assert (np.diff(batch.times_ns) > 0).all()
    assert info["curves"]["HKLD"] == {
        "channel": "HKLA",
        "unit": "N",
        "internal_unit": "kN",
        "nulls": 0,
    }
    assert info["curves"]["SURF_RPM"]["channel"] == "RPMA"
    assert set(ch) >= {"HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA", "MFOA", "DBTM", "DMEA"}
    assert "ROPA" in ch
    # unmapped curves are kept, unconverted
    assert {"RigActivityCode", "BIT_RPM", "MDEPTH", "STROKES1"} <= set(ch)
    assert np.nanmax(ch["BIT_RPM"]) < 1.0  # still c/s

    def rng(name: str) -> tuple[float, float]:
        return float(np.nanmin(ch[name])), float(np.nanmax(ch[name]))

    lo, hi = rng("HKLA")  # hookload: hundreds of kN (551.7 .. 915.0)
    assert lo > 500 and hi < 1000 and 600 < np.nanmedian(ch["HKLA"]) < 700
    lo, hi = rng("RPMA")  # rotary speed 0..35 rpm
    assert lo >= 0 and 20 < hi <= 200
    lo, hi = rng("MFIA")  # flow in up to ~3,600 L/min
    assert lo >= 0 and 3000 < hi < 5000
    lo, hi = rng("MFOA")  # flow-out sensor idles at ~15 L/min
    assert lo > 10 and hi < 100
    lo, hi = rng("SPPA")  # standpipe pressure 119 .. 2,750 kPa
    assert lo > 100 and 2000 < hi < 5000
    lo, hi = rng("TQA")  # torque up to ~33 kN.m
    assert lo >= 0 and 20 < hi < 50
    lo, hi = rng("WOBA")  # -194 .. 214 kN (tension/compression while tripping)
    assert lo > -250 and hi < 250
    lo, hi = rng("DMEA")
    assert lo >= 0 and hi == pytest.approx(1206.0)
    lo, hi = rng("DBTM")
    assert lo > -20 and hi < 400
    # TOTGAS is in 'Euc' (no defined scale): kept unconverted under its own name, not GASA.
    assert "GASA" not in ch and "TOTGAS" in info["unconverted"]
    assert info["curves"]["TOTGAS"] == {
        "channel": "TOTGAS",
        "unit": "Euc",
        "internal_unit": "Euc",
        "nulls": 0,
    }
    assert 0.02 < np.nanmax(ch["TOTGAS"]) < 0.021  # the raw values, as in the file


def test_volve_gas_becomes_gasa_when_its_unit_is_declared() -> None:
    batch, info = read_witsml_log(volve_file("F-9_GwdTime.xml"), units={"TOTGAS": "%"})
    assert info["curves"]["TOTGAS"]["channel"] == "GASA" and not info["unconverted"]
    assert 0.02 < np.nanmax(batch.channels["GASA"]) < 0.021  # declared as %, kept as %


def test_volve_pits_active_volume_is_tva() -> None:
    batch, info = read_witsml_log(volve_file("F-9_Pits.xml"))
    assert len(batch) == 4044
    assert info["curves"]["PIT_DRILL"]["channel"] == "TVA"
    assert info["skipped"] == {"PIT_RESET_TIME": "typeLogData 'date time' is not numeric"}
    tva = batch.channels["TVA"]
    assert np.nanmin(tva) > 20 and np.nanmax(tva) < 100  # 24.5 .. 80.5 m3
    assert np.nanmin(batch.channels["PITTOT"]) > 250  # total of all pits: kept, not TVA


# --- synthetic documents ---------------------------------------------------------------------


def test_rows_are_sorted_nulls_honoured_units_converted(tmp_path: Path) -> None:
    batch, info = read_witsml_log(write(tmp_path, document(ROWS)))
    assert batch.times_ns.tolist() == [
        parse_time(t, "t")
        for t in ("2016-09-29T00:00:00Z", "2016-09-29T00:00:15Z", "2016-09-29T00:00:30Z")
    ]
    np.testing.assert_allclose(batch.channels["HKLA"], [650.0, 651.0, 652.0])
    np.testing.assert_allclose(batch.channels["SPPA"], [np.nan, 150.0, 152.0])
    np.testing.assert_allclose(batch.channels["RPMA"], [15.0, 30.0, np.nan])
    np.testing.assert_allclose(batch.channels["EXTRA"], [2.0, 1.0, 3.0])
    assert info["out_of_order"] == 1
    assert info["nulls"] == 2
    assert info["curves"]["PUMP"]["nulls"] == 1 and info["curves"]["SURF_RPM"]["nulls"] == 1
    assert info["curves"]["EXTRA"] == {
        "channel": "EXTRA",
        "unit": "m3",
        "internal_unit": "m3",
        "nulls": 0,
    }
    json.dumps(info)  # serialisable as is


def test_duplicate_times_keep_the_first_row_and_are_counted(tmp_path: Path) -> None:
    rows = [
        *ROWS,
        "2016-09-29T00:00:15Z,651000,150000,0.5,1.0",  # identical repeat
        "2016-09-29T00:00:30Z,999000,152000,,3.0",  # conflicting repeat
    ]
    batch, info = read_witsml_log(write(tmp_path, document(rows)))
    assert len(batch) == 3
    assert info["rows"] == 5 and info["duplicates"] == 2 and info["conflicting"] == 1
    assert batch.channels["HKLA"][2] == pytest.approx(652.0)


def test_empty_cells_in_short_columns_are_missing(tmp_path: Path) -> None:
    rows = ["2016-09-29T00:00:00Z,1,2,,1", "2016-09-29T00:00:01Z,,2,3,1"]
    batch, info = read_witsml_log(write(tmp_path, document(rows)))
    np.testing.assert_array_equal(batch.channels["HKLA"], [0.001, np.nan])
    np.testing.assert_array_equal(batch.channels["RPMA"], [np.nan, 180.0])
    assert info["nulls"] == 2


def test_curve_null_value_overrides_the_log_null(tmp_path: Path) -> None:
    infos = (
        "<logCurveInfo uid='HKLD'><mnemonic>HKLD</mnemonic><unit>N</unit>"
        "<nullValue>-1</nullValue></logCurveInfo>"
    )
    text = document(
        ["2016-09-29T00:00:00Z,-1,-999.25"],
        mnemonics="TIME,HKLD,WOB",
        units="s,N,N",
        curve_infos=infos,
    )
    batch, _ = read_witsml_log(write(tmp_path, text))
    assert math.isnan(batch.channels["HKLA"][0]) and math.isnan(batch.channels["WOBA"][0])


def test_alias_table_from_a_file_is_used(tmp_path: Path) -> None:
    aliases = tmp_path / "aliases.json"
    aliases.write_text('{"EXTRA": "TVA"}')
    batch, info = read_witsml_log(write(tmp_path, document(ROWS)), aliases=load_aliases(aliases))
    assert "TVA" in batch.channels and info["curves"]["EXTRA"]["channel"] == "TVA"


def assert_refused(path: Path, where: str, *needles: str) -> FileFormatError:
    with pytest.raises(FileFormatError) as info:
        read_witsml_log(path)
    assert info.value.where.startswith(where), info.value
    for needle in needles:
        assert needle in info.value.reason, info.value
    return info.value


@pytest.mark.parametrize("index_type", ["measured depth", "vertical depth"])
def test_depth_indexed_logs_are_refused(tmp_path: Path, index_type: str) -> None:
    text = document(["1000.0,1,2,3,4"], index_type=index_type)
    assert_refused(write(tmp_path, text), "log/indexType", repr(index_type), "depth-indexed")


def test_truncated_xml_names_the_line(tmp_path: Path) -> None:
    text = document(ROWS)
    cut = text[: text.index("<data>2016-09-29T00:00:30")]
    error = assert_refused(write(tmp_path, cut), "line ", "malformed XML")
    assert error.where.startswith(f"line {cut.count(chr(10)) + 1},")


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    text = document(ROWS).replace("<name>Time</name>", "<name>Time</nam>")
    assert_refused(write(tmp_path, text), "line 4, column", "mismatched tag")


@pytest.mark.parametrize(
    ("row", "needles"),
    [
        ("2016-09-29T00:00:45Z,653000,x1,0.5,4.0", ("curve PUMP", "'x1' is not a number")),
        ("2016-09-29T00:00:45Z,653000,1,0.5", ("4 values, expected 5",)),
        ("2016-09-29T00:00:45,653000,1,0.5,4.0", ("index TIME", "no UTC offset")),
        ("2016-09-29T00:00:45Z,inf,1,0.5,4.0", ("curve HKLD", "not finite")),
    ],
)
def test_a_bad_row_is_refused_naming_line_row_curve_and_value(
    tmp_path: Path, row: str, needles: tuple[str, ...]
) -> None:
    text = document([*ROWS, row])
    line = text[: text.index(row)].count("\n") + 1
    error = assert_refused(write(tmp_path, text), f"line {line}, column 1 ", *needles)
    assert error.where.endswith("(data row 4)")


def test_an_incompatible_unit_is_refused_naming_the_curve(tmp_path: Path) -> None:
    text = document(ROWS, units="unitless,kg/m3,Pa,c/s,m3")
    assert_refused(write(tmp_path, text), "curve HKLD (HKLA)", "'kg/m3'", "not convertible to kN")


def test_unit_list_and_curve_info_must_agree(tmp_path: Path) -> None:
    infos = "<logCurveInfo uid='HKLD'><mnemonic>HKLD</mnemonic><unit>klbf</unit></logCurveInfo>"
    text = document(ROWS, curve_infos=infos)
    assert_refused(write(tmp_path, text), "curve HKLD", "'N'", "'klbf'")


@pytest.mark.parametrize(
    ("text", "where", "needle"),
    [
        (
            "<?xml version='1.0'?><wells xmlns='http://www.witsml.org/schemas/1series'/>",
            "line 1",
            "root element is <{http://www.witsml.org/schemas/1series}wells>",
        ),
        ("<!DOCTYPE logs [<!ENTITY a 'b'>]><logs/>", "line 1", "DTD"),
        (
            "<logs xmlns='http://www.witsml.org/schemas/1series'><log/><log/></logs>",
            "line 1",
            "more than one <log>",
        ),
        ("<logs xmlns='http://www.witsml.org/schemas/1series'></logs>", "logs", "no <log>"),
    ],
)
def test_other_documents_are_refused(tmp_path: Path, text: str, where: str, needle: str) -> None:
    assert_refused(write(tmp_path, text), where, needle)


def test_missing_file() -> None:
    assert_refused(Path("/nonexistent/log.xml"), "file", "does not exist")


def test_order_samples_counts() -> None:
    times = np.array([3, 1, 2, 2, 1], dtype=np.int64)
    values = {"A": np.array([30.0, 10.0, 20.0, 21.0, np.nan])}
    batch, stats = order_samples(times, values)
    assert batch.times_ns.tolist() == [1, 2, 3]
    assert batch.channels["A"].tolist() == [10.0, 20.0, 30.0]
    assert stats == {"out_of_order": 2, "duplicates": 2, "conflicting": 2}


def test_a_curve_in_engineering_units_keeps_its_name_and_values(tmp_path: Path) -> None:
    gas = document(ROWS, mnemonics="TIME,HKLD,PUMP,SURF_RPM,TOTGAS", units="unitless,N,Pa,c/s,Euc")
    path = write(tmp_path, gas)
    batch, info = read_witsml_log(path)
    assert "GASA" not in batch.channels
    np.testing.assert_array_equal(batch.channels["TOTGAS"], [2.0, 1.0, 3.0])
    assert "no defined scale" in info["unconverted"]["TOTGAS"]
    # A curve named as the canonical channel cannot keep another name: refused.
    named = document(ROWS, mnemonics="TIME,HKLD,PUMP,SURF_RPM,GASA", units="unitless,N,Pa,c/s,Euc")
    with pytest.raises(FileFormatError) as exc:
        read_witsml_log(write(tmp_path, named, "gasa.xml"))
    assert exc.value.where == "curve GASA (GASA)" and "'Euc'" in exc.value.reason


def test_declared_units_replace_the_file_units_and_must_name_a_curve(tmp_path: Path) -> None:
    path = write(tmp_path, document(ROWS))
    batch, info = read_witsml_log(path, units={"HKLD": "kN"})
    assert batch.channels["HKLA"].tolist() == [650000.0, 651000.0, 652000.0]
    assert info["curves"]["HKLD"]["unit"] == "kN"
    with pytest.raises(FileFormatError) as exc:
        read_witsml_log(path, units={"NOPE": "kN"})
    assert exc.value.where == "units.NOPE" and "not a curve" in exc.value.reason
    with pytest.raises(FileFormatError) as exc:
        read_witsml_log(path, units={"HKLD": "zorks"})
    assert exc.value.where == "curve HKLD (HKLA)" and "'zorks'" in exc.value.reason
