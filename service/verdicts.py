"""The verdict loop: operators' verdicts on alerts feed back into detection.

* A confirmed alert adds its accident's windows to the analogue database: one every
  ``CASE_STRIDE_S`` from 2 h before the accident's start (clipped to the stored data) to its
  end (or the alert time + 10 min without an end), typed as the accident, with the time to
  its start. A dismissed alert adds the windows at its time and ±5 min as ``normal``.
* The windows are feature rows of the *stored* telemetry computed by ``models.features``
  with the active model's spec (the same code as training and the live path), kept in the
  ``analogue_cases`` table with the sha256 of the feature names and a channel snippet, and
  appended to the running model's :class:`~models.analogues.AnalogueDB` at once.
* On start and on every model swap (``service.lifecycle.swap_model``) the cases whose
  feature names match the model's are loaded into its analogue database; the model files
  on disk are never changed.
* Dismissed alerts are normal examples when retraining (``dismissed_normals``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from models.analogues import (
    SNIPPET_AFTER_S,
    SNIPPET_BEFORE_S,
    SNIPPET_CHANNELS,
    STATIC_CONTEXT,
    AnalogueDB,
    depth_at,
    feature_digest,
    snippet_at,
    snippet_window,
)
from models.artifact import NORMAL, ModelArtifact
from models.features import WARMUP_S, decision_ends, features_at, prepare
from models.rigstate import RigState
from pipelines.telemetry import LOOKBACK, TelemetryBatch, datetime_to_ns, ns_to_datetime, ns_to_iso
from service.db import repo, telemetry_store
from service.db.tables import CASE_SOURCES

log = logging.getLogger(__name__)
NS = 1_000_000_000
CASE_STRIDE_S = 120.0  # between the windows of a confirmed accident (as in training)
NO_END_AFTER = timedelta(minutes=10)  # an accident without an end: windows to alert + 10 min
DISMISS_OFFSETS_S = (-300.0, 0.0, 300.0)  # windows of a dismissed alert, around its time
DISMISS_TOLERANCE_S = 60.0  # a window must end this close to its target time


# -- cases from stored telemetry ----------------------------------------------------------


def _read(conn: Connection, model: ModelArtifact, well_id: str, lo_ns: int, hi_ns: int):
    """Stored telemetry covering the windows ending in [lo_ns, hi_ns] and their snippets,
    from far enough back for the well's running state (``WARMUP_S``)."""
    before = int((max(model.spec.max_window, SNIPPET_BEFORE_S) + WARMUP_S) * NS)
    return telemetry_store.read_range(
        conn, well_id=well_id, start_ns=lo_ns - before, end_ns=hi_ns + SNIPPET_AFTER_S * NS
    )


def _context(conn: Connection, well_id: str) -> dict[str, Any]:
    """The well's static context (field, rig, mud type, BHA) where it is known."""
    well = repo.get_well(conn, well_id=well_id)
    return {k: well[k] for k in STATIC_CONTEXT if well.get(k)}


def _cases(
    model: ModelArtifact,
    batch: TelemetryBatch,
    ends: np.ndarray,
    *,
    well_id: str,
    type: str,
    source: str,
    start_ns: int | None,
    accident_id: int | None,
    context: Mapping[str, Any],
) -> list[dict[str, Any]]:
    if ends.size == 0:
        return []
    spec = model.spec
    prepared = prepare(batch.times_ns, batch.channels, spec)
    rows = features_at(prepared, ends, spec).astype(np.float32)
    digest = feature_digest(spec.names())
    out = []
    for row, end in zip(rows, ends.tolist(), strict=True):
        t = int(batch.times_ns[end])
        out.append(
            {
                "accident_id": accident_id,
                "well_id": well_id,
                "time": ns_to_datetime(t),
                "type": type,
                "source": source,
                "model_version": model.version,
                "feature_sha256": digest,
                "features": row.tobytes(),
                "rig_state": RigState(int(prepared.states[end])).label,
                "time_to_start_s": None if start_ns is None else float((start_ns - t) / NS),
                "depth_m": depth_at(batch.times_ns, batch.channels, t),
                "context": dict(context),
                "snippet_channels": list(SNIPPET_CHANNELS),
                "snippet": snippet_at(batch.times_ns, batch.channels, t).tobytes(),
            }
        )
    return out


def confirmed_cases(
    conn: Connection,
    model: ModelArtifact,
    *,
    alert: Mapping[str, Any],
    accident: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The confirmed accident's windows (every 120 s from start - 2 h to its end)."""
    start_ns = datetime_to_ns(accident["start"])
    end = accident.get("end") or alert["time"] + NO_END_AFTER
    lo_ns, hi_ns = start_ns - int(LOOKBACK.total_seconds()) * NS, datetime_to_ns(end)
    batch = _read(conn, model, accident["well_id"], lo_ns, hi_ns)
    ends = decision_ends(batch.times_ns, CASE_STRIDE_S)
    t = batch.times_ns[ends] if ends.size else np.empty(0, dtype=np.int64)
    ends = ends[(t >= lo_ns) & (t <= hi_ns)]
    return _cases(
        model,
        batch,
        ends,
        well_id=accident["well_id"],
        type=str(accident["type"]),
        source="confirmed",
        start_ns=start_ns,
        accident_id=int(accident["id"]),
        context=_context(conn, accident["well_id"]),
    )


def dismissed_cases(
    conn: Connection, model: ModelArtifact, *, alert: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Normal windows at the dismissed alert's time and ±5 min (where data was stored)."""
    at = datetime_to_ns(alert["time"])
    targets = [at + int(s * NS) for s in DISMISS_OFFSETS_S]
    batch = _read(conn, model, alert["well_id"], min(targets), max(targets))
    picked: list[int] = []
    for target in targets:
        i = int(np.searchsorted(batch.times_ns, target, side="right")) - 1
        if i >= 0 and target - batch.times_ns[i] <= DISMISS_TOLERANCE_S * NS and i not in picked:
            picked.append(i)
    return _cases(
        model,
        batch,
        np.array(sorted(picked), dtype=np.int64),
        well_id=alert["well_id"],
        type=NORMAL,
        source="dismissed",
        start_ns=None,
        accident_id=None,
        context=_context(conn, alert["well_id"]),
    )


# -- the in-memory analogue database ------------------------------------------------------


def _rows_and_records(
    alert_id: int, cases: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    rows = np.vstack([np.frombuffer(c["features"], dtype=np.float32) for c in cases])
    records = [
        {
            "well_id": c["well_id"],
            "time": ns_to_iso(datetime_to_ns(c["time"])),
            "type": c["type"],
            "time_to_start_s": c["time_to_start_s"],
            "rig_state": c["rig_state"],
            "depth_m": c.get("depth_m"),
            "context": c.get("context") or {},
            "source": c["source"],
            "alert_id": alert_id,
        }
        for c in cases
    ]
    return rows.astype(np.float64), records


def _added(record: Mapping[str, Any]) -> bool:
    return record.get("source") in CASE_SOURCES


def apply_cases(model: ModelArtifact, alert_id: int, cases: Sequence[Mapping[str, Any]]) -> int:
    """Replace the alert's windows in the model's analogue database with ``cases`` (those
    computed under another feature spec are skipped); returns how many were added."""
    digest = feature_digest(model.spec.names())
    usable = [c for c in cases if c["feature_sha256"] == digest]
    db = model.analogues
    if db is not None:
        db.remove(lambda r: _added(r) and r.get("alert_id") == alert_id)
    if not usable:
        return 0
    rows, records = _rows_and_records(alert_id, usable)
    if db is None:
        # A model shipped without analogues: standardise by the cases themselves.
        db = AnalogueDB.build(rows, records)
        db.vectors, db.records, db._base = db.vectors[:0], [], 0
        db.set_weights(model.analogue_weights)  # searched like a shipped database
        model.analogues = db
    db.extend(rows, records)
    return len(usable)


def load_cases(db: Engine, model: ModelArtifact) -> int:
    """Add every stored case computed under the model's feature names to its analogue
    database (once: a second call replaces them); returns how many."""
    with db.connect() as conn:
        cases = repo.list_analogue_cases(conn, feature_sha256=feature_digest(model.spec.names()))
    if model.analogues is not None:
        model.analogues.remove(_added)
    by_alert: dict[int, list[dict[str, Any]]] = {}
    for case in cases:
        by_alert.setdefault(int(case["alert_id"]), []).append(case)
    added = sum(apply_cases(model, alert_id, group) for alert_id, group in by_alert.items())
    if added:
        log.info("model %s: %d analogue windows added from verdicts", model.version, added)
    return added


def counts(model: ModelArtifact) -> dict[str, Any]:
    """Size of the model's analogue database: shipped windows and verdict windows by source,
    and per type."""
    # extend/remove swap in a new list, so one read of ``records`` is consistent
    records = [] if model.analogues is None else model.analogues.records
    sources = Counter(str(r.get("source")) if _added(r) else "model" for r in records)
    by_type: dict[str, dict[str, int]] = {}
    for r in records:
        entry = by_type.setdefault(
            str(r.get("type")), {"from_model": 0, "confirmed": 0, "dismissed": 0, "total": 0}
        )
        entry["from_model" if not _added(r) else str(r["source"])] += 1
        entry["total"] += 1
    return {
        "model_version": model.version,
        "from_model": sources["model"],
        "confirmed": sources["confirmed"],
        "dismissed": sources["dismissed"],
        "total": len(records),
        "by_type": dict(sorted(by_type.items())),
    }


# -- snippets and training ----------------------------------------------------------------


def case_snippet(conn: Connection, well_id: str, at: datetime) -> dict[str, Any] | None:
    """The channel snippet stored with a verdict window of ``well_id`` at ``at``, if any."""
    for case in repo.list_analogue_cases(conn, well_id=well_id, time=at):
        names = list(case["snippet_channels"] or [])
        if case["snippet"] and names:
            values = np.frombuffer(case["snippet"], dtype=np.float16).reshape(len(names), -1)
            return snippet_window(values, names)
    return None


def dismissed_normals(
    conn: Connection, well_ids: Sequence[str] | None = None
) -> list[tuple[str, datetime]]:
    """(well id, time) of the dismissed alerts: normal examples for ``train_model``."""
    return repo.dismissed_alert_times(conn, well_ids=well_ids)
