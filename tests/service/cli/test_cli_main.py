"""The ``drillwatch`` parser as a whole: every command's help, the commands that parse
their own options, and ``python -m service.cli`` (how the server starts its helpers)."""

import subprocess
import sys

import pytest

from service.cli import main


@pytest.mark.parametrize("command", [["simulate"], ["evaluate"], ["features", "select"]])
def test_commands_with_their_own_options_show_their_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main([*command, "--help"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 0
    assert f"usage: drillwatch {' '.join(command)}" in capsys.readouterr().out


COMMANDS = [
    ["serve"],
    ["train"],
    ["calibrate"],
    ["stream"],
    ["models"],
    ["models", "list"],
    ["models", "activate"],
    ["models", "rollback"],
    ["import"],
    ["import", "telemetry"],
    ["import", "accidents"],
    ["backtest"],
    ["export"],
    ["wits0"],
    ["features"],
    ["db"],
    ["db", "upgrade"],
]


def test_every_command_group_is_listed_in_order_and_shows_its_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    listed = [
        line.split()[0]
        for line in capsys.readouterr().out.split("COMMAND ...")[-1].splitlines()
        if line.startswith("    ") and not line.startswith("     ")
    ]
    assert listed == [
        "serve", "simulate", "train", "calibrate", "field", "stream", "models", "import",
        "backtest", "export", "wits0", "features", "evaluate", "db",
    ]  # fmt: skip
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0, command
        assert f"usage: drillwatch {' '.join(command)}" in capsys.readouterr().out


def test_a_missing_or_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["nope"], ["models"], ["db", "downgrade"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2, argv
        assert "usage: drillwatch" in capsys.readouterr().err


def test_python_dash_m_service_cli_runs_the_command_line() -> None:
    # the server starts its simulated fleet and WITS0 gateway this way
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "stream", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: drillwatch stream")
