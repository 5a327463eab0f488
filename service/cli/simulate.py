"""``drillwatch simulate``: simulated wells with accidents, written to files. Its options
are ``pipelines.simulate``'s own: ``main`` hands it the rest of the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.cli.common import Commands

DELEGATED: dict[tuple[str, ...], str] = {("simulate",): "pipelines.simulate"}


def add_simulate(commands: Commands) -> None:
    # listed in `drillwatch --help`; parsed by pipelines.simulate (see DELEGATED)
    commands.add_parser(
        "simulate", help="write simulated wells with accidents to files", add_help=False
    )
