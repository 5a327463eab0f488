"""``drillwatch models list|activate|rollback``: the registry from the command line."""

import shutil
from pathlib import Path

import pytest

from models.artifact import BUNDLED_DIR, load_model
from service.cli import main


def test_models_are_listed_activated_and_rolled_back(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from models.metadata import ModelMetadata
    from service.cli.common import open_db
    from service.registry import register
    from service.settings import get_settings

    bundled = load_model(BUNDLED_DIR).version
    assert main(["models", "list"]) == 0  # the bundled model is registered on first use
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["version", "detector", "created"]
    assert [line.split()[:2] for line in lines[1:]] == [["*", bundled]]

    # the bundled model's files under another version id
    registry_dir = get_settings().registry_dir
    other = tmp_path / "other"
    shutil.copytree(registry_dir / bundled, other)
    metadata = ModelMetadata.load(other)
    metadata.version = "other-1"
    metadata.save(other)
    register(open_db(), load_model(other), registry_dir, activate=False)
    assert main(["models", "activate", "other-1"]) == 0
    assert capsys.readouterr().out == "active model: other-1\n"
    assert main(["models", "list"]) == 0
    active = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line[0] == "*"]
    assert active == ["other-1"]
    assert main(["models", "rollback"]) == 0
    assert capsys.readouterr().out == f"active model: {bundled}\n"


def test_an_unknown_version_or_nothing_to_roll_back_to_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "activate", "nope"]) == 2
    assert capsys.readouterr().err.startswith("drillwatch models activate: ")
    assert main(["models", "rollback"]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err
