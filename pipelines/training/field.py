"""The field detector's training data: signs of real background, injected accidents and
simulated wells, decided on the live path's grid.

Rows are :func:`models.signs.sign_rows` at the decisions the live path makes (every stride on
the absolute UTC grid). A row is labelled with an accident's type from its first sign
(``precursor_start``, else ``LEAD_S`` before its start) to its end; other rows are normal.
Rows in the ``LOOKBACK`` before an accident but before its first sign are left out: neither
normal nor yet the accident.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb

from models.features import decision_ends
from models.field import FieldDetector, columns_of
from models.signs import SPAN_S, sign_rows
from pipelines.live.alerting import vote_alerts
from pipelines.telemetry import LOOKBACK, Accident, Alert, TelemetryBatch, ns_to_datetime
from pipelines.training.evaluate import evaluate
from pipelines.training.inject import INJECTORS, Injected, can_inject, pit_transfer

log = logging.getLogger(__name__)
NS = 1_000_000_000
LEAD_S = 600.0  # without a recorded first sign, a row this long before the start is labelled
DEFAULT_DURATION_S = 1800.0
NORMAL = "normal"


@dataclass
class Rows:
    """Sign rows with their labels, wells and times (one row per decision)."""

    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    wells: list[np.ndarray] = field(default_factory=list)
    times: list[np.ndarray] = field(default_factory=list)

    def add(self, x: np.ndarray, y: np.ndarray, well: str, times: np.ndarray) -> None:
        self.x.append(x)
        self.y.append(y)
        self.wells.append(np.full(len(y), well, dtype=object))
        self.times.append(times)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.x:
            return np.empty((0, 0)), np.empty(0, object), np.empty(0, object), np.empty(0)
        return (
            np.vstack(self.x),
            np.concatenate(self.y),
            np.concatenate(self.wells),
            np.concatenate(self.times),
        )


def labels_at(times_ns: np.ndarray, accidents: Iterable[Accident]) -> np.ndarray:
    """Per decision time: the accident type under way, ``normal``, or ``None`` (left out)."""
    out = np.full(times_ns.shape, NORMAL, dtype=object)
    for acc in accidents:
        start = int(acc.start.timestamp() * NS)
        end = int((acc.end.timestamp() if acc.end else start / NS + DEFAULT_DURATION_S) * NS)
        first = (
            int(acc.precursor_start.timestamp() * NS)
            if acc.precursor_start is not None
            else start - int(LEAD_S * NS)
        )
        lookback = start - int(LOOKBACK.total_seconds() * NS)
        out[(times_ns >= min(lookback, first)) & (times_ns < first)] = None
        out[(times_ns >= first) & (times_ns <= end)] = acc.type
    return out


def well_rows(
    batch: TelemetryBatch,
    accidents: Iterable[Accident],
    *,
    stride_s: float,
    from_ns: int | None = None,
    to_ns: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sign rows, labels and times of one well's decisions in [from_ns, to_ns]; rows left out
    by ``labels_at`` are dropped."""
    ends = decision_ends(batch.times_ns, stride_s)
    t = batch.times_ns[ends]
    keep = np.ones(ends.shape, dtype=bool)
    if from_ns is not None:
        keep &= t >= from_ns
    if to_ns is not None:
        keep &= t <= to_ns
    ends, t = ends[keep], t[keep]
    labels = labels_at(t, list(accidents))
    known = np.array([label is not None for label in labels], dtype=bool)
    ends, t, labels = ends[known], t[known], labels[known]
    return sign_rows(batch.times_ns, batch.channels, ends), labels, t


def quiet_spans(
    batch: TelemetryBatch, accidents: Iterable[Accident], margin_s: float = 3 * 3600.0
) -> list[tuple[int, int]]:
    """The well's spans at least ``margin_s`` away from any of its accidents."""
    lo, hi = int(batch.times_ns[0]), int(batch.times_ns[-1])
    cuts = sorted(
        (
            int(a.start.timestamp() * NS) - int(margin_s * NS),
            int((a.end or a.start).timestamp() * NS) + int(margin_s * NS),
        )
        for a in accidents
    )
    spans, at = [], lo
    for a, b in cuts:
        if a > at:
            spans.append((at, min(a, hi)))
        at = max(at, b)
    if at < hi:
        spans.append((at, hi))
    return [(a, b) for a, b in spans if b > a]


def injected_pieces(
    well_id: str,
    batch: TelemetryBatch,
    spans: list[tuple[int, int]],
    *,
    per_type: int,
    rng: np.random.Generator,
    types: Iterable[str] = tuple(INJECTORS),
) -> list[Injected]:
    """``per_type`` signatures of each type the well can show, each laid over a piece of
    its quiet spans (from ``SPAN_S`` before a random onset to 2 h after it)."""
    laid: list[Injected] = []
    long_enough = _long_enough(spans)
    if not long_enough:
        return laid
    for accident_type in types:
        if not can_inject(accident_type, batch.channels):
            continue
        for k in range(per_type):
            onset, piece = _random_piece(batch, long_enough, rng, after_s=2 * 3600.0)
            name = f"{well_id}+{accident_type}{k}"
            laid.append(INJECTORS[accident_type](piece, onset, name, rng))
    return laid


def _long_enough(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The quiet spans with room for a piece's look-back, its onset and an hour after it."""
    return [(a, b) for a, b in spans if b - a > 3 * int(SPAN_S * NS) + 3600 * NS]


def _random_piece(
    batch: TelemetryBatch,
    spans: list[tuple[int, int]],
    rng: np.random.Generator,
    *,
    after_s: float,
) -> tuple[int, TelemetryBatch]:
    """A random onset in one of ``spans`` and the piece of the well around it: from the
    signs' span (and a minute) before it to ``after_s`` after it."""
    span_ns = int(SPAN_S * NS)
    a, b = spans[int(rng.integers(len(spans)))]
    onset = int(rng.integers(a + span_ns, b - 3600 * NS))
    lo = int(np.searchsorted(batch.times_ns, onset - span_ns - 60 * NS))
    hi = int(np.searchsorted(batch.times_ns, onset + int(after_s * NS)))
    return onset, batch.select(slice(lo, hi))


def injected_rows(
    well_id: str,
    batch: TelemetryBatch,
    spans: list[tuple[int, int]],
    *,
    per_type: int,
    stride_s: float,
    rng: np.random.Generator,
    types: Iterable[str] = tuple(INJECTORS),
) -> tuple[Rows, list[Accident]]:
    """Rows of ``injected_pieces`` from each onset to an hour after it."""
    rows = Rows()
    laid = injected_pieces(well_id, batch, spans, per_type=per_type, rng=rng, types=types)
    for done in laid:
        onset = int(done.accident.precursor_start.timestamp() * NS)  # type: ignore[union-attr]
        x, y, t = well_rows(
            done.batch, [done.accident], stride_s=stride_s, from_ns=onset, to_ns=onset + 3600 * NS
        )
        rows.add(x, y, done.accident.well_id, t)
    return rows, [done.accident for done in laid]


def fit_boosters(
    x: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    types: Iterable[str],
    rounds: int = 150,
    depth: int = 4,
    seed: int = 0,
) -> dict[str, xgb.Booster]:
    """One binary booster per type over the signs its physics moves (``TYPE_SIGNS``): its
    rows against every other row, normal or another type, classes balanced by weight."""
    boosters: dict[str, xgb.Booster] = {}
    for accident_type in types:
        target = (labels == accident_type).astype(np.float64)
        if target.sum() == 0:
            log.warning("field detector: no %s rows, no booster", accident_type)
            continue
        w = weights.copy()
        pos = target == 1
        w[pos] *= w[~pos].sum() / w[pos].sum()
        data = xgb.DMatrix(x[:, columns_of(accident_type)], label=target, weight=w)
        params = {
            "objective": "binary:logistic",
            "max_depth": depth,
            "eta": 0.1,
            "subsample": 0.8,
            "colsample_bytree": 0.9,
            "min_child_weight": 10,
            "tree_method": "hist",
            "seed": seed,
        }
        boosters[accident_type] = xgb.train(params, data, rounds)
        log.info(
            "field detector: %s booster on %d rows (%d positive)",
            accident_type,
            len(target),
            int(pos.sum()),
        )
    return boosters


# --------------------------------------------------------------------------- the recipe
GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)
SUBSETS: tuple[tuple[str, ...], ...] = (
    # what real wells send: a mud-logging pit/gas feed without the drilling channels, and a
    # drilling feed without pits or flow out
    ("TVA", "SPPA", "MFOP", "GASA"),
    ("HKLA", "WOBA", "TQA", "RPMA", "SPPA", "MFIA", "ROPA", "BPOS", "DBTM", "DMEA"),
)


@dataclass
class FieldConfig:
    stride_s: float = 10.0
    per_type: int = 40  # signatures laid over each real well, per type it can show
    check_per_type: int = 10  # signatures laid over each held-out well to price thresholds
    transfers: int = 60  # pit transfers laid over each real well with a pit, as normal
    sim_every: int = 3  # every n-th simulated row (the simulator is variety, not the target)
    real_weight: float = 3.0  # a real row weighs this many simulated ones
    injected_weight: float = 0.5  # an injected row, this share of a real one
    rounds: int = 150
    depth: int = 4
    budget_per_day: float = 0.3  # out-of-fold false alarms per 24 h on real wells, all types
    k: int = 3
    n: int = 5
    cooldown_s: float = 1800.0
    seed: int = 0
    types: tuple[str, ...] = ("kick", "lost_circulation", "pack_off", "stuck_pipe")


def _subset(batch: TelemetryBatch, keep: tuple[str, ...], every: int) -> TelemetryBatch:
    thin = batch.select(slice(0, None, every))
    return TelemetryBatch(thin.times_ns, {k: v for k, v in thin.channels.items() if k in keep})


def _transfer_rows(
    well_id: str,
    batch: TelemetryBatch,
    spans: list[tuple[int, int]],
    cfg: FieldConfig,
    rng: np.random.Generator,
) -> Rows:
    rows = Rows()
    spans = _long_enough(spans)
    if "TVA" not in batch.channels or not spans:
        return rows
    for _ in range(cfg.transfers):
        onset, piece = _random_piece(batch, spans, rng, after_s=3600.0)
        piece = pit_transfer(piece, onset, well_id, rng)
        x, y, t = well_rows(
            piece, [], stride_s=cfg.stride_s, from_ns=onset, to_ns=onset + 1800 * NS
        )
        rows.add(x, y, well_id, t)
    return rows


def real_rows(
    wells: dict[str, TelemetryBatch], accidents: list[Accident], cfg: FieldConfig
) -> dict[str, tuple[Rows, float]]:
    """Per real well: its own rows (labelled by its accidents), signatures laid over its
    quiet spans and pit transfers, each with its weight."""
    rng = np.random.default_rng(cfg.seed)
    out: dict[str, tuple[Rows, float]] = {}
    for well_id, batch in sorted(wells.items()):
        own = [a for a in accidents if a.well_id == well_id]
        rows = Rows()
        x, y, t = well_rows(batch, own, stride_s=cfg.stride_s)
        rows.add(x, y, well_id, t)
        spans = quiet_spans(batch, own)
        injected, _ = injected_rows(
            well_id,
            batch,
            spans,
            per_type=cfg.per_type,
            stride_s=cfg.stride_s,
            rng=rng,
            types=cfg.types,
        )
        transfers = _transfer_rows(well_id, batch, spans, cfg, rng)
        out[well_id] = (rows, cfg.real_weight)
        out[f"{well_id}+injected"] = (injected, cfg.real_weight * cfg.injected_weight)
        out[f"{well_id}+transfers"] = (transfers, cfg.real_weight)
        log.info(
            "field rows: %s (%d own, %d injected)", well_id, len(t), sum(len(v) for v in injected.y)
        )
    return out


def sim_rows(
    wells: dict[str, TelemetryBatch], accidents: list[Accident], cfg: FieldConfig
) -> dict[str, tuple[Rows, float]]:
    """Simulated wells as sent, and each again as a real feed would send it (a channel
    subset, thinned to 5-s samples)."""
    out: dict[str, tuple[Rows, float]] = {}
    for i, (well_id, batch) in enumerate(sorted(wells.items())):
        own = [a for a in accidents if a.well_id == well_id]
        rows = Rows()
        for variant in (batch, _subset(batch, SUBSETS[i % len(SUBSETS)], 5)):
            x, y, t = well_rows(variant, own, stride_s=cfg.stride_s)
            keep = np.arange(len(y)) % cfg.sim_every == 0
            rows.add(x[keep], y[keep], well_id, t[keep])
        out[well_id] = (rows, 1.0)
    log.info("field rows: %d simulated wells", len(wells))
    return out


def _stack(parts: dict[str, tuple[Rows, float]], types: tuple[str, ...]):
    xs, ys, ws = [], [], []
    for rows, weight in parts.values():
        x, y, _, _ = rows.arrays()
        if not len(y):
            continue
        keep = np.isin(y.astype(str), [NORMAL, *types])
        xs.append(x[keep])
        ys.append(y[keep].astype(str))
        ws.append(np.full(int(keep.sum()), weight))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


def well_scores(
    detector_boosters: dict[str, xgb.Booster], batch: TelemetryBatch, stride_s: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Decision times of a whole well and each type's field probability at them."""
    ends = decision_ends(batch.times_ns, stride_s)
    signs = sign_rows(batch.times_ns, batch.channels, ends)
    return batch.times_ns[ends], FieldDetector(detector_boosters, {}).predict(signs)


def _alerts(
    scored: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]],
    accident_type: str,
    threshold: float,
    cfg: FieldConfig,
) -> list[Alert]:
    out = []
    for well_id, (t, probs) in scored.items():
        p = probs.get(accident_type)
        if p is None or not len(t):
            continue
        for i in vote_alerts(
            t, p >= threshold, k=cfg.k, n=cfg.n, cooldown_s=cfg.cooldown_s, hold_s=0.0
        ):
            out.append(Alert(well_id, ns_to_datetime(int(t[i])), accident_type))
    return out


def choose_thresholds(
    scored: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]],
    accidents: list[Accident],
    injected: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]],
    laid: list[Accident],
    cfg: FieldConfig,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Thresholds that spend the false-alarm budget on accidents caught, out of fold.

    ``scored``: whole real wells replayed by boosters that never saw them (false alarms, and
    their labelled accidents); ``injected``: signatures laid over those held-out wells
    (caught or not; their quiet stretches are the real wells' own and count no false alarm
    twice). Every type starts at its quietest threshold; step by step, the type whose next
    lower threshold buys the most share of its accidents caught per false alarm added is
    lowered, while the total stays within ``budget_per_day``."""
    monitored = {
        w: (ns_to_datetime(int(t[0])), ns_to_datetime(int(t[-1])))
        for w, (t, _) in scored.items()
        if len(t)
    }
    days = 0.0
    table: dict[str, Any] = {}
    for accident_type in cfg.types:
        table[accident_type] = {}
        real = [a for a in accidents if a.type == accident_type and a.well_id in scored]
        fake = [a for a in laid if a.type == accident_type]
        for threshold in GRID:
            m = evaluate(_alerts(scored, accident_type, threshold, cfg), real, monitored)
            days = float(m.get("monitored_days_outside_windows") or days)
            hits = evaluate(
                _alerts(injected, accident_type, threshold, cfg),
                fake,
                {
                    w: (ns_to_datetime(int(t[0])), ns_to_datetime(int(t[-1])))
                    for w, (t, _) in injected.items()
                    if len(t)
                },
            )
            table[accident_type][str(threshold)] = {
                "false_alarms": int(m.get("false_alarms") or 0),
                "false_alarms_per_day": round(float(m.get("false_alarms_per_day") or 0.0), 3),
                "real_detected": round((m.get("recall") or 0.0) * len(real)),
                "real_accidents": len(real),
                "injected_detected": round((hits.get("recall") or 0.0) * len(fake)),
                "injected": len(fake),
            }
    allowed = cfg.budget_per_day * days
    chosen = spend_budget(table, allowed, cfg.types)
    return chosen, {"days": round(days, 2), "allowed_false_alarms": allowed, "grid": table}


def spend_budget(table: dict[str, Any], allowed: float, types: Iterable[str]) -> dict[str, float]:
    """From every type at its quietest threshold, lower, step by step, the type whose next
    threshold buys the most share of its accidents caught per false alarm added, while the
    out-of-fold false alarms of all types stay within ``allowed``. ``table``: per type and
    threshold, ``false_alarms``, ``real_detected``/``real_accidents`` and
    ``injected_detected``/``injected`` (``choose_thresholds``)."""
    at = {t: len(GRID) - 1 for t in types}

    def value(t: str, i: int) -> tuple[float, int]:
        row = table[t][str(GRID[i])]
        caught = row["real_detected"] + row["injected_detected"]
        events = max(row["real_accidents"] + row["injected"], 1)
        return caught / events, row["false_alarms"]

    # a type that catches nothing out of fold at any threshold has no evidence to be lowered
    # on (its held-out wells could not show it, or no fold could learn it): it stays quietest
    types = [t for t in types if any(value(t, i)[0] > 0 for i in range(len(GRID)))]

    while True:
        spent = sum(value(t, at[t])[1] for t in types)
        best, best_rate = None, -1.0
        for t in types:
            if at[t] == 0:
                continue
            (gain, cost), (now, cost_now) = value(t, at[t] - 1), value(t, at[t])
            extra = cost - cost_now
            if gain < now or (extra > 0 and spent + extra > allowed):
                continue
            rate = (gain - now) / max(extra, 0.5)
            if rate > best_rate:
                best, best_rate = t, rate
        if best is None:
            break
        at[best] -= 1
    return {t: GRID[i] for t, i in at.items()}


def train_field(
    real: tuple[dict[str, TelemetryBatch], list[Accident]],
    sims: tuple[dict[str, TelemetryBatch], list[Accident]] | None,
    cfg: FieldConfig | None = None,
    *,
    folds: int = 3,
    progress: Any = None,
) -> tuple[dict[str, xgb.Booster], dict[str, float], dict[str, Any]]:
    """Boosters on every row, thresholds from ``folds`` leave-wells-out rounds over the real
    wells (each held-out well replayed whole, as live), and the training summary."""
    cfg = cfg or FieldConfig()
    wells, accidents = real
    say = progress or (lambda message: log.info("%s", message))
    parts = real_rows(wells, accidents, cfg)
    if sims is not None:
        parts.update(sim_rows(sims[0], sims[1], cfg))
    names = sorted(wells)
    groups = [names[i::folds] for i in range(min(folds, len(names)))]
    scored: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    injected: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    laid: list[Accident] = []
    check = np.random.default_rng(cfg.seed + 1)  # other signatures than those trained on
    for g, held in enumerate(groups, start=1):
        say(f"field detector: fold {g}/{len(groups)}, holding out {', '.join(held)}")
        train = {k: v for k, v in parts.items() if k.split("+")[0] not in held}
        x, y, w = _stack(train, cfg.types)
        boosters = fit_boosters(
            x, y, w, types=cfg.types, rounds=cfg.rounds, depth=cfg.depth, seed=cfg.seed
        )
        for well_id in held:
            batch = wells[well_id]
            scored[well_id] = well_scores(boosters, batch, cfg.stride_s)
            own = [a for a in accidents if a.well_id == well_id]
            for done in injected_pieces(
                well_id,
                batch,
                quiet_spans(batch, own),
                per_type=cfg.check_per_type,
                rng=check,
                types=cfg.types,
            ):
                injected[done.accident.well_id] = well_scores(boosters, done.batch, cfg.stride_s)
                laid.append(done.accident)
    thresholds, table = choose_thresholds(scored, accidents, injected, laid, cfg)
    say(f"field detector: thresholds {thresholds}; training on every row")
    x, y, w = _stack(parts, cfg.types)
    boosters = fit_boosters(
        x, y, w, types=cfg.types, rounds=cfg.rounds, depth=cfg.depth, seed=cfg.seed
    )
    summary = {
        "real_wells": names,
        "real_accidents": len([a for a in accidents if a.well_id in wells]),
        "simulated_wells": 0 if sims is None else len(sims[0]),
        "rows": len(y),
        "rows_by_label": {
            str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=True)
        },
        "folds": [list(g) for g in groups],
        "budget_per_day": cfg.budget_per_day,
        "out_of_fold": table,
        "config": {k: v for k, v in cfg.__dict__.items() if not isinstance(v, tuple)},
    }
    return boosters, thresholds, summary
