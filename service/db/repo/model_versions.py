"""Model versions: trained artifacts on record, and the one the service runs."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, text, update

from service.db.repo._common import (
    Conflict,
    Row,
    fetch_row,
    insert_if_absent,
    is_sha256,
    lock_row,
    require_text,
)
from service.db.tables import model_versions, utcnow

log = logging.getLogger(__name__)

# Transaction-scoped advisory lock that serialises activations on PostgreSQL, so two
# concurrent activations cannot both leave their version active.
_ACTIVATE_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"drillwatch.model_versions.activate", digest_size=8).digest(),
    "big",
    signed=True,
)


def register_model_version(
    conn: Connection,
    *,
    id: str,
    detector: str,
    path: str,
    sha256: str,
    metrics: Mapping[str, Any],
    meta: Mapping[str, Any],
    activate: bool = False,
) -> Row:
    """Record a trained model artifact; optionally make it the active version.

    Registering the same id with the same sha256 again is a no-op (returns the stored
    version); with a different sha256 it raises ``Conflict``.
    """
    require_text(id, "model version id")
    if not is_sha256(sha256):
        raise ValueError(f"model version {id!r}: sha256 {sha256!r} is not 64 lowercase hex digits")
    created = insert_if_absent(
        conn,
        model_versions,
        {
            "id": id,
            "created_at": utcnow(),
            "detector": require_text(detector, f"model version {id!r}: detector"),
            "path": str(path),
            "sha256": sha256,
            "metrics": dict(metrics),
            "meta": dict(meta),
            "active": False,
        },
    )
    if not created:
        existing = get_model_version(conn, id=id)
        if existing["sha256"] != sha256:
            raise Conflict(
                "model version",
                id,
                f"already registered with sha256 {existing['sha256']}, not {sha256}",
            )
    else:
        log.info("model version %s registered (%s, %s)", id, detector, path)
    if activate:
        return activate_model_version(conn, id=id)
    return get_model_version(conn, id=id)


def get_model_version(conn: Connection, *, id: str) -> Row:
    return fetch_row(conn, model_versions, "model version", id)


def list_model_versions(conn: Connection) -> list[Row]:
    """All versions, newest first."""
    stmt = select(model_versions).order_by(
        model_versions.c.created_at.desc(), model_versions.c.id.desc()
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def get_active_model_version(conn: Connection) -> Row | None:
    row = conn.execute(select(model_versions).where(model_versions.c.active)).mappings().first()
    return None if row is None else dict(row)


def activate_model_version(conn: Connection, *, id: str) -> Row:
    """Make ``id`` the one active version (the database allows at most one)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACTIVATE_LOCK_KEY})
    lock_row(conn, model_versions, id, kind="model version", touch="active")
    conn.execute(
        update(model_versions)
        .where(model_versions.c.active, model_versions.c.id != id)
        .values(active=False)
    )
    conn.execute(update(model_versions).where(model_versions.c.id == id).values(active=True))
    log.info("model version %s activated", id)
    return get_model_version(conn, id=id)
