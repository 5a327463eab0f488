"""Do an alert's analogues share its accident type? Leave-one-well-out, per distance weighting.

    .venv/bin/python bench/analogues.py [--model models/bundled] [--queries 600] [--top 5]

Queries are the analogue database's own accident windows (records whose type is not
``normal``), each searched with its stored standardised vector for the ``--top`` nearest
windows among those of *other* wells (the query's own well is left out: a new well's alert
has no windows of its own in the database). Reported: the share of the found windows whose
type equals the query's type, and in brackets the share that are ``normal``, overall and per
type, for two query sets:

* ``--queries`` windows drawn (``--seed``) from all accident windows, which reach back to
  2 h before the start, where most windows still look normal;
* every window from 15 min before the start onwards: the span the classifier is trained to
  alert on, so the windows whose analogues an operator sees.

One column per distance: unweighted Euclidean over all standardised features, and the
per-feature weights from the classifier's total gain under each of
``models.analogues.GAIN_TRANSFORMS`` (gain share to a power; ``used`` = 1 per feature used).
The weights come from the classifier trained on all the database's wells, the query's well
included, so the weighted figures are somewhat optimistic for a truly new well.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from models.analogues import GAIN_TRANSFORMS, AnalogueDB, gain_weights
from models.artifact import BUNDLED_DIR, NORMAL, load_model

ONSET_S = 900.0  # windows from 15 min before the start onwards


def agreement(db: AnalogueDB, queries: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query: share of its ``top`` analogues from other wells of its own type, and
    share of them that are normal."""
    vectors = db.vectors
    wells = np.array([str(r.get("well_id")) for r in db.records], dtype=object)
    types = [str(r.get("type")) for r in db.records]
    same = np.empty(queries.size)
    normal = np.empty(queries.size)
    for j, i in enumerate(queries):
        found = [f["type"] for f in db.search_standardised(vectors[i], top, wells != wells[i])]
        same[j] = np.mean([t == types[i] for t in found])
        normal[j] = np.mean([t == NORMAL for t in found])
    return same, normal


def table(
    title: str,
    query_types: np.ndarray,
    results: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    print(f"\n{title}: share of the analogues of the query's type (share normal)")
    print(f"{'queries':<18}{'n':>6}" + "".join(f"{name:>15}" for name in results))
    rows = [("all", np.ones(query_types.size, dtype=bool))]
    rows += [(t, query_types == t) for t in sorted(set(query_types.tolist()))]
    for label, mask in rows:
        cells = "".join(
            f"{same[mask].mean():>8.2f} ({normal[mask].mean():.2f})"
            for same, normal in results.values()
        )
        print(f"{label:<18}{int(mask.sum()):>6}{cells}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED_DIR)
    parser.add_argument("--queries", type=int, default=600, help="accident windows drawn")
    parser.add_argument("--top", type=int, default=5, help="analogues per query")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = load_model(args.model)
    db = model.analogues
    if db is None:
        parser.error(f"{args.model} has no analogue database")
    types = np.array([str(r.get("type")) for r in db.records], dtype=object)
    to_start = np.array(
        [
            np.inf if r.get("time_to_start_s") is None else float(r["time_to_start_s"])
            for r in db.records
        ]
    )
    accidents = np.flatnonzero(types != NORMAL)
    rng = np.random.default_rng(args.seed)
    drawn = np.sort(rng.choice(accidents, size=min(args.queries, accidents.size), replace=False))
    near = np.flatnonzero((types != NORMAL) & (to_start <= ONSET_S))
    wells = {str(r.get("well_id")) for r in db.records}
    print(
        f"model {model.version} ({args.model}): {len(db)} windows ({accidents.size} accident) "
        f"from {len(wells)} wells, {db.vectors.shape[1]} features; top {args.top} among other "
        f"wells' windows"
    )

    names = model.spec.names()
    variants: dict[str, np.ndarray | None] = {"unweighted": None}
    variants.update({t: gain_weights(model.booster, names, t) for t in GAIN_TRANSFORMS})
    on_drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    on_near: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, weights in variants.items():
        db.set_weights(weights)
        started = time.perf_counter()
        on_drawn[name] = agreement(db, drawn, args.top)
        on_near[name] = agreement(db, near, args.top)
        per_query = (time.perf_counter() - started) / (drawn.size + near.size)
        w = np.ones(db.vectors.shape[1]) if db.weights is None else db.weights
        print(
            f"  {name:<12} features used {int((w > 0).sum()):>3}, effective number "
            f"{float((w @ w) ** 2 / (w**4).sum()):6.1f}; {1e3 * per_query:.2f} ms per query"
        )
    db.set_weights(model.analogue_weights)  # the model's own weighting again

    table(
        f"{drawn.size} accident windows drawn with seed {args.seed} (2 h before start to end)",
        types[drawn],
        on_drawn,
    )
    table(f"all {near.size} accident windows from 15 min before start on", types[near], on_near)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
