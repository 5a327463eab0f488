"""``drillwatch import`` as a user runs it: telemetry files of every format (all or
nothing, refusals naming the line or curve), merged logs of one well, accidents; and
``drillwatch export`` of what was imported."""

from pathlib import Path

import pytest
from factories import volve_file

from service.cli import main


def test_importing_the_same_file_twice_stores_it_once(
    home: Path, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(sim_dir.glob("SIM-*.csv"))
    main(["import", "telemetry", str(path), "--well", "W1"])
    capsys.readouterr()
    main(["import", "telemetry", str(path), "--well", "W1"])
    assert ", 0 new samples stored, 0 values added to samples already stored;" in (
        capsys.readouterr().out
    )


def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_stored(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,HKLA\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,heavy\n")
    assert main(["import", "telemetry", str(bad), "--well", "W1"]) == 2
    assert "line 3" in capsys.readouterr().err
    assert main(["backtest", "--wells", "W1", "--out", str(tmp_path / "o")]) == 2
    assert "unknown wells" in capsys.readouterr().err


def test_an_accident_type_that_is_not_a_name_is_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "acc.csv"
    bad.write_text("well,type,start,end\nW1,Meteor Strike!,2026-01-01T00:00:00Z,\n")
    assert main(["import", "accidents", str(bad)]) == 2
    assert "Meteor Strike!" in capsys.readouterr().err


def test_a_real_volve_witsml_log_imports_exports_to_las_and_back_unchanged(
    home: Path, volve_gwd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    assert main(["import", "telemetry", str(volve_gwd)]) == 0
    assert "well NO_15_9-F-9_A: 8084 samples read" in capsys.readouterr().out
    las = tmp_path / "volve.las"
    assert main(["export", "--well", "NO_15_9-F-9_A", "--out", str(las)]) == 0
    assert main(["import", "telemetry", str(las), "--well", "VOLVE-COPY"]) == 0
    for well, name in (("NO_15_9-F-9_A", "a.parquet"), ("VOLVE-COPY", "b.parquet")):
        assert main(["export", "--well", well, "--out", str(tmp_path / name)]) == 0
    a = pd.read_parquet(tmp_path / "a.parquet")
    b = pd.read_parquet(tmp_path / "b.parquet")
    # Same names (RigActivityCode, EditFlag keep their case), times and values, bit for bit.
    assert sorted(b.columns) == sorted(a.columns)
    assert {"RigActivityCode", "EditFlag", "TOTGAS"} <= set(a.columns)
    pd.testing.assert_frame_equal(b[a.columns], a, check_exact=True)
    assert 300 < a["HKLA"].median() < 1500  # hundreds of kN
    assert a["RPMA"].between(0, 200).all()
    assert a["MFIA"].max() > 1000  # thousands of L/min
    assert a["SPPA"].max() > 1000  # thousands of kPa
    assert "GASA" not in a.columns  # TOTGAS is in Euc: kept unconverted, under its name
    out = tmp_path / "bt"
    assert main(["backtest", "--wells", "NO_15_9-F-9_A", "--out", str(out)]) == 0
    assert (out / "timeline_NO_15_9-F-9_A.png").exists()


def test_an_imported_well_shows_its_newest_sample_and_rig_state_in_the_fleet(
    home: Path, volve_gwd: Path
) -> None:
    from datetime import UTC, datetime

    from models.rigstate import STATE_NAMES
    from service.db import repo
    from service.db.engine import make_engine
    from service.settings import get_settings

    assert main(["import", "telemetry", str(volve_gwd)]) == 0
    engine = make_engine(get_settings().sqlalchemy_url)
    with engine.connect() as conn:
        well = repo.get_well(conn, well_id="NO_15_9-F-9_A")
    # the log's last row is 2016-09-30T09:46:45Z: the well page opens on the imported period
    assert well["last_sample_at"] == datetime(2016, 9, 30, 9, 46, 45, tzinfo=UTC)
    assert well["last_rig_state"] in STATE_NAMES


def test_a_truncated_witsml_file_is_refused_with_its_line(
    home: Path, volve_gwd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = volve_gwd.read_text()
    bad = tmp_path / "truncated.xml"
    bad.write_text(text[: len(text) // 2])
    assert main(["import", "telemetry", str(bad), "--well", "T1"]) == 2
    assert "line" in capsys.readouterr().err


LAS_OK = (
    "~Version\nVERS. 2.0 :\nWRAP. NO :\n~Well\nNULL. -999.25 :\nWELL. W :\n"
    "~Curve\nTIME.s : time\nHKLD.kN : hookload\nSPP.kPa : spp\n~A\n"
    "1475107588 650 2000\n1475107589 651 2001\n1475107590 652 2002\n"
)
WITS0_OK = (
    "&&\r\n0101W\r\n0105160929\r\n0106000628\r\n0114650.5\r\n01212000\r\n!!\r\n"
    "&&\r\n0101W\r\n0105160929\r\n0106000633\r\n0114651.5\r\n01212001\r\n!!\r\n"
)
WITSML_OK = (
    '<logs xmlns="http://www.witsml.org/schemas/1series" version="1.4.1.1"><log>'
    "<nameWellbore>W</nameWellbore><indexType>date time</indexType><indexCurve>TIME</indexCurve>"
    "<logData><mnemonicList>TIME,HKLD,PUMP</mnemonicList><unitList>unitless,N,Pa</unitList>\n"
    "<data>2016-09-29T00:00:00Z,650000,2000000</data>\n"
    "<data>2016-09-29T00:00:01Z,651000,2001000</data>\n"
    "</logData></log></logs>\n"
)


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        ("truncated.xml", WITSML_OK[:-40], ("line 3, column", "malformed XML")),
        ("unit.xml", WITSML_OK.replace(",N,", ",zorks,"), ("curve HKLD (HKLA)", "'zorks'")),
        ("depth.xml", WITSML_OK.replace("date time", "measured depth"), ("depth-indexed",)),
        (
            "row.xml",
            WITSML_OK.replace(",651000,", ",65x1000,"),
            ("line 3, column", "data row 2", "curve HKLD", "'65x1000'"),
        ),
        ("short.las", LAS_OK.replace("651 2001", "651"), ("line 13", "2 values, expected 3")),
        ("garbage.las", LAS_OK.replace("652 2002", "652 2#02"), ("line 14", "curve SPP", "'2#02'")),
        ("noa.las", LAS_OK.split("~A")[0], ("no ~A",)),
        ("unit.las", LAS_OK.replace("HKLD.kN", "HKLD.zorks"), ("curve HKLD (HKLA)", "zorks")),
        ("depth.las", LAS_OK.replace("TIME.s", "DEPT.m"), ("curve DEPT", "depth-indexed")),
        ("garbage.csv", "time,HKLA\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,x\n", ("line 3",)),
        ("garbage.wits", WITS0_OK.replace("0114651.5", "01#4651.5"), ("line 12", "'01#4651.5'")),
        ("value.wits", WITS0_OK.replace("0114651.5", "0114six"), ("line 12", "0114 (HKLA)")),
        ("cut.wits", WITS0_OK[:-4], ("line 14", "ends inside a frame")),
    ],
)
def test_every_importer_refuses_malformed_input_and_stores_nothing(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    needles: tuple[str, ...],
) -> None:
    good = tmp_path / ("good" + Path(name).suffix)
    good.write_text({".xml": WITSML_OK, ".las": LAS_OK, ".wits": WITS0_OK}.get(good.suffix, ""))
    if good.suffix != ".csv":  # the well-formed original imports
        assert main(["import", "telemetry", str(good), "--well", "GOOD"]) == 0
    bad = tmp_path / name
    bad.write_text(text)
    assert main(["import", "telemetry", str(bad), "--well", "BAD"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"drillwatch import telemetry: {bad}: "), err
    for needle in needles:
        assert needle in err, err
    assert main(["export", "--well", "BAD", "--out", str(tmp_path / "x.csv")]) == 2
    assert "BAD" in capsys.readouterr().err  # no such well: nothing was stored


def test_a_second_log_at_the_same_times_is_refused_rather_than_silently_dropped(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stored values are never overwritten: other values at the same times would be lost.
    import pandas as pd

    first, second = tmp_path / "gwd.las", tmp_path / "pits.las"
    first.write_text(LAS_OK)
    second.write_text(  # other hookloads (a true conflict), and a pit volume
        LAS_OK.replace("SPP.kPa : spp", "PIT_DRILL.m3 : pit").replace(" 65", " 66")
    )
    assert main(["import", "telemetry", str(first), "--well", "W"]) == 0
    assert main(["import", "telemetry", str(first), "--well", "W"]) == 0  # idempotent
    assert ", 0 new samples stored, 0 values added" in capsys.readouterr().out
    assert main(["import", "telemetry", str(second), "--well", "W"]) == 2
    err = capsys.readouterr().err
    assert "already has samples at these times with other values of channels HKLA (3);" in err
    assert "nothing was stored: import without them with --channels TVA" in err
    assert main(["export", "--well", "W", "--out", str(tmp_path / "w.parquet")]) == 0
    stored = pd.read_parquet(tmp_path / "w.parquet")
    assert sorted(stored.columns) == ["HKLA", "SPPA", "time"]
    assert stored["HKLA"].tolist() == [650, 651, 652]
    assert main(["import", "telemetry", str(second), "--well", "W-PITS"]) == 0


@pytest.fixture
def volve_pits(volve_gwd: Path) -> Path:
    return volve_file("F-9_Pits.xml")


def test_the_volve_pits_log_merges_its_pit_volume_into_the_drilling_log_of_the_well(
    home: Path,
    volve_gwd: Path,
    volve_pits: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import pandas as pd

    from pipelines.formats.imports import read_any

    well = "NO_15_9-F-9_A"
    assert main(["import", "telemetry", str(volve_gwd)]) == 0
    assert main(["export", "--well", well, "--out", str(tmp_path / "gwd.parquet")]) == 0
    capsys.readouterr()

    # Whole, the pits log is refused: its Depth (DMEA) is a constant, not the hole depth.
    assert main(["import", "telemetry", str(volve_pits)]) == 2
    err = capsys.readouterr().err
    assert f"well {well} already has samples at these times" in err
    assert "DMEA (2805)" in err and "nothing was stored" in err
    assert err.rstrip().endswith(", or import the file under another --well")
    suggested = err.split("import without them with --channels ")[1].split(", or")[0]
    assert "TVA" in suggested.split(",") and "DMEA" not in suggested.split(",")
    # A name the file lacks is refused naming it and the channels the file has.
    assert main(["import", "telemetry", str(volve_pits), "--channels", "TVA,PIT_DRILL"]) == 2
    err = capsys.readouterr().err
    assert "--channels: 'PIT_DRILL' is not a channel of" in err
    assert "PIT_DRILL is imported as TVA" in err and "it has CIRCVOL, DISPVOL, DMEA," in err
    assert main(["export", "--well", well, "--out", str(tmp_path / "still.parquet")]) == 0
    gwd = pd.read_parquet(tmp_path / "gwd.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "still.parquet"), gwd)

    assert main(["import", "telemetry", str(volve_pits), "--channels", "TVA"]) == 0
    out = capsys.readouterr().out
    assert "4044 samples read" in out
    assert "0 new samples stored, 4044 values added to samples already stored; channels TVA" in out
    assert main(["import", "telemetry", str(volve_pits), "--channels", "TVA"]) == 0
    assert "0 new samples stored, 0 values added" in capsys.readouterr().out

    assert main(["export", "--well", well, "--out", str(tmp_path / "both.parquet")]) == 0
    both = pd.read_parquet(tmp_path / "both.parquet")
    pd.testing.assert_frame_equal(both[gwd.columns], gwd, check_exact=True)
    pits, _ = read_any(volve_pits)
    expected = pd.Series(pits.channels["TVA"], index=pits.to_frame().index, name="TVA")
    tva = both.set_index("time")["TVA"]
    pd.testing.assert_series_equal(tva.loc[expected.index], expected, check_exact=True)
    assert tva.drop(expected.index).isna().all()  # GwdTime times the pits log lacks
    assert expected.between(20, 90).all()  # m3 (24-80): the active pit system

    # The suggested channels import too; the drilling log's channels stay as they were.
    assert main(["import", "telemetry", str(volve_pits), "--channels", suggested]) == 0
    assert main(["export", "--well", well, "--out", str(tmp_path / "all.parquet")]) == 0
    merged = pd.read_parquet(tmp_path / "all.parquet")
    pd.testing.assert_frame_equal(merged[both.columns], both, check_exact=True)
    assert {"PITTOT", "GAINLOSSTOT"} <= set(merged.columns)


def test_declared_units_override_a_witsml_unit_and_unknown_curves_are_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.xml"
    path.write_text(WITSML_OK.replace("PUMP", "TOTGAS").replace(",N,Pa", ",N,Euc"))
    assert main(["import", "telemetry", str(path), "--well", "G1"]) == 0
    assert "TOTGAS" in capsys.readouterr().out
    assert main(["import", "telemetry", str(path), "--well", "G2", "--units", "TOTGAS=ppm"]) == 0
    assert "GASA" in capsys.readouterr().out
    assert main(["import", "telemetry", str(path), "--well", "G3", "--units", "GAS=%"]) == 2
    assert "units.GAS: 'GAS' is not a curve of the log" in capsys.readouterr().err


def test_a_csv_file_is_stored_under_its_file_name_unless_a_well_is_given(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "RIG-7.csv"
    path.write_text("time,HKLA\n2026-01-01T00:00:00Z,1\n")
    assert main(["import", "telemetry", str(path)]) == 0
    assert "well RIG-7: 1 samples read" in capsys.readouterr().out
    assert main(["import", "telemetry", str(path), "--well", "OTHER"]) == 0
    assert "well OTHER: 1 samples read" in capsys.readouterr().out


def test_a_file_name_that_is_no_well_id_needs_the_well_option(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "my export.csv"
    path.write_text("time,HKLA\n2026-01-01T00:00:00Z,1\n")
    assert main(["import", "telemetry", str(path)]) == 2
    assert "well" in capsys.readouterr().err


def test_a_real_export_imports_with_one_command_and_prints_its_mapping(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(__file__).resolve().parents[2] / "data" / "real"
    assert main(["import", "telemetry", str(data / "TSPP1.csv"), "--timezone", "UTC"]) == 0
    out = capsys.readouterr().out
    assert "Average Hookload kkgf -> HKLA (kkgf -> kN)" in out
    assert "well TSPP1:" in out
    assert main(["import", "telemetry", str(data / "TSPP2.csv")]) == 2
    assert "--timezone" in capsys.readouterr().err


def test_import_and_export_help_name_formats_units_and_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in (["import", "telemetry"], ["export"]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert f"usage: drillwatch {' '.join(command)}" in out
    # (the last one printed is export's)
    assert "--format {csv,parquet,las}" in out


def test_imports_store_the_same_bytes_as_before_the_layers_moved(home: Path) -> None:
    """Pinned: the chunks stored for two merged Volve logs and a real CSV export, hashed
    with the code as it was before pipelines/ was split by role."""
    import hashlib
    import json
    import sqlite3

    data = Path(__file__).resolve().parents[2] / "data"
    assert main(["import", "telemetry", str(data / "volve" / "F-9_GwdTime.xml")]) == 0
    assert (
        main(["import", "telemetry", str(data / "volve" / "F-9_Pits.xml"), "--channels", "TVA"])
        == 0
    )
    assert (
        main(["import", "telemetry", str(data / "real" / "KICK-17.csv"), "--well", "KICK-17"]) == 0
    )
    digest = hashlib.sha256()
    with sqlite3.connect(home / "drillwatch.db") as con:
        rows = con.execute(
            "select well_id, t_start_ns, t_end_ns, n_samples, channels, payload "
            "from telemetry_chunks order by well_id, t_start_ns"
        )
        for well, start, end, n, channels, payload in rows:
            names = json.dumps(json.loads(channels), sort_keys=True)
            digest.update(f"{well}|{start}|{end}|{n}|{names}|".encode())
            digest.update(payload)
    assert digest.hexdigest() == "26f2f4f0d1870bd9e0f9aa6cff43035022f179de9d9f13e62c303f85eea9fe1e"
