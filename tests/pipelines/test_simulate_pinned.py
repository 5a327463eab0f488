"""The simulator's output pinned bit for bit.

Training data, benchmarks and the bundled model are all reproduced from seeds, so a change
that moves one random draw or reorders one floating-point operation silently changes every
data set. These digests were taken from the simulator before it was split into modules;
update them only when the simulated data is meant to change (and say so in the change).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from pipelines.simulate import (
    SimWell,
    demo_fleet,
    main,
    random_profile,
    simulate_fleet,
    simulate_well,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def digest(well: SimWell) -> str:
    """sha256 of everything a well holds: profile, accidents, time index and values."""
    h = hashlib.sha256()
    h.update(repr(well.profile).encode())
    h.update(repr(well.accidents).encode())
    h.update(well.frame.index.asi8.tobytes())
    h.update(",".join(well.frame.columns).encode())
    h.update(np.ascontiguousarray(well.frame.to_numpy()).tobytes())
    return h.hexdigest()


def test_random_profile_is_pinned() -> None:
    profile = random_profile("PIN-1", np.random.default_rng(42))
    assert hashlib.sha256(repr(profile).encode()).hexdigest() == (
        "f0df6bc57314dc86da1f7f9e1b9b1c68580df7afec3d1cc25c57b05948a70d78"
    )


# (type, seed) -> operation at the onset and digest. The seeds are chosen so that every
# operation an accident type can start in is covered, and the wells are long enough for
# the long reactions (trips) of washout and twist-off.
PINNED_WELLS: dict[tuple[str, int], tuple[str, str]] = {
    ("stuck_pipe", 1): (
        "drill",
        "ea5e52559d9c97219b9b02715dc57585761861cde0cb0c13c8b28dbeea5a7ee3",
    ),
    ("stuck_pipe", 3): (
        "trip_out",
        "9db08f59f250c0d8f7573bfaef85aec837855eb8cc7e3b82b3471f3c4c68424e",
    ),
    ("stuck_pipe", 7): (
        "back_ream",
        "9691370e02e8afd1bfa720b5d6dd35dfb13d1d3dfb3722d2adef26e408bfe8dd",
    ),
    ("pack_off", 1): ("drill", "eec8a998d86ddd8e3bbc449018a7329a9ebd78a30928ad7c1c1d070f8bfc846f"),
    ("pack_off", 3): (
        "back_ream",
        "f0145594a3e6251d5da28c6400f0bd70466e4da5dbeca10fdac081e065a5bfd7",
    ),
    ("pack_off", 12): (
        "circulate",
        "55ae8e52fad9380b74682efd76e883c99c701c26e85f318aeeb0181e2200e18b",
    ),
    ("lost_circulation", 1): (
        "drill",
        "a33eaca0fa3dc588ef486eb7a8b6760b81f0d250fe4eac8b98a0a37d63a213ca",
    ),
    ("lost_circulation", 7): (
        "circulate",
        "8118b77adbb348594741acf17d6f7b46bb976f3ee3a15c920098ce32f03dc2ee",
    ),
    ("kick", 1): ("drill", "0c9456140816be40851468374196bb5911f94ffc5a7d675ebaccdc2cf8b4480a"),
    ("washout", 1): ("drill", "54009ebe36d3183c44bc3496a0c84e31a409ee1ce878f512d8c75dc3f36444f7"),
    ("washout", 7): (
        "circulate",
        "661bf8518e956c7a1d394bfc406b90ab2d1c7003a2138cea20d445f59f823f52",
    ),
    ("twist_off", 1): ("drill", "ec6eef2a01368fc5044b503c85e49daebf82d56664f422e391ec2daa9abe19af"),
    ("bit_balling", 1): (
        "drill",
        "f99b514e5b9673342f66346bd7241bd8f3e8afd35b4c490abd45ee588c5d1b39",
    ),
}


@pytest.mark.parametrize(("kind", "seed"), sorted(PINNED_WELLS))
def test_each_accident_type_is_pinned(kind: str, seed: int) -> None:
    well = simulate_well(
        random_profile("PIN-1", np.random.default_rng(42)),
        start=T0,
        hours=5,
        seed=seed,
        accidents=[(kind, 5400)],
    )
    operation, expected = PINNED_WELLS[(kind, seed)]
    assert [a.type for a in well.accidents] == [kind]
    assert well.accidents[0].operation == operation
    assert digest(well) == expected


def test_random_fleet_is_pinned() -> None:
    wells = simulate_fleet(2, hours=10, seed=3)
    assert [a.type for w in wells for a in w.accidents] == ["kick", "washout", "stuck_pipe"]
    assert [digest(w) for w in wells] == [
        "4276585862a8de8c05197dbdb11781147732e71d7bbf24d58bc987ab90d28163",
        "dd7f4696674ea3c39552d522b99b705eb26a1001e43e271c959f188600185c80",
    ]


def test_demo_fleet_is_pinned() -> None:
    wells = demo_fleet(2, start=T0, hours=1.5, seed=9, live_from=T0 + timedelta(hours=1))
    assert [digest(w) for w in wells] == [
        "1e284833a186e852d1b3a2d694d73017980ec33c79cdf9931d0c380bf75b42a1",
        "8252cfa0d0916d630c98f33b8eb55676d1ef79f2be2135e471c46b4d7864cf5b",
    ]


def test_cli_files_are_pinned(tmp_path: Path) -> None:
    argv = ["--wells", "2", "--hours", "1", "--seed", "3", "--out", str(tmp_path), "--manifest"]
    assert main(argv) == 0
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert files == {
        "SIM-3-00.csv": "0baf0cab25f03b7fafa657f2389127c7b81b45314ad49270b02f3fe2afc67d90",
        "SIM-3-01.csv": "0315331cf496cbbd7de358631cf986bce882f71f6f5fba66204f7e6e0d9a9c81",
        "accidents.csv": "ff873b43957651bc05e68e592beeb15dd0e1b370bd28a49f09b1533e11ba2905",
        "manifest.json": "5f2f49ed147c81cca2fe3d4ecbc32227764188b08f0578f208da40553f1146a8",
    }
