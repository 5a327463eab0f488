"""``drillwatch features select``: offline tsfresh feature screening. Its options are
``pipelines.training.feature_select``'s own: ``main`` hands it the rest of the line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.cli.common import Commands

DELEGATED: dict[tuple[str, ...], str] = {
    ("features", "select"): "pipelines.training.feature_select"
}


def add_features(commands: Commands) -> None:
    p = commands.add_parser(
        "features", help="offline feature screening: `features select --data DIR --out FILE`"
    )
    actions = p.add_subparsers(dest="features_command", required=True, metavar="ACTION")
    # parsed by pipelines.training.feature_select (see DELEGATED)
    actions.add_parser("select", help="tsfresh relevance tests on labelled windows", add_help=False)
