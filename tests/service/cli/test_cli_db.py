"""``drillwatch db upgrade``: migrations from the command line."""

from pathlib import Path

import pytest

from service.cli import main


def test_db_upgrade_migrates_the_database_of_the_settings(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("database sqlite:///") and out.endswith(" is up to date\n")
    assert str(home) in out
    assert main(["db", "upgrade"]) == 0  # again: nothing to do
