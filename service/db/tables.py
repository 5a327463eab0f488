"""Database tables (SQLAlchemy 2.0 typed declarative), identical on SQLite and PostgreSQL.

These are the *database* tables; "models" in this project means ML models. Data access goes
through :mod:`service.db.repo` and :mod:`service.db.telemetry_store` (SQLAlchemy Core on a
``Connection``); the classes here are the schema, the single source for the migrations.

Every time stamp column is :class:`UTCDateTime`: naive datetimes are refused on write, values
are stored in UTC and come back timezone-aware (UTC) on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names: needed by alembic batch mode on SQLite and for diffs.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ALERT_STATUSES = ("open", "acknowledged", "confirmed", "dismissed")
ACCIDENT_SOURCES = ("import", "user", "alert", "simulator")
CASE_SOURCES = ("confirmed", "dismissed")

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
BigIntId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC.

    Naive datetimes raise ``ValueError`` on write (they are ambiguous). PostgreSQL stores
    ``timestamptz``; SQLite stores the UTC wall time. Reads return aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timezone-aware datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: give it a UTC offset "
                "(e.g. tzinfo=datetime.UTC)"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


metadata = Base.metadata


class Well(Base):
    __tablename__ = "wells"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(200))
    rig: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    mud_type: Mapped[str | None] = mapped_column(String(100))
    bha: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sample_at: Mapped[datetime | None]
    last_rig_state: Mapped[str | None] = mapped_column(String(32))


class TelemetryChunk(Base):
    """Raw telemetry of one well as a compressed columnar chunk (see telemetry_store)."""

    __tablename__ = "telemetry_chunks"
    __table_args__ = (
        Index("ix_telemetry_chunks_well_t_start", "well_id", "t_start_ns"),
        Index("ix_telemetry_chunks_well_t_end", "well_id", "t_end_ns"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    well_id: Mapped[str] = mapped_column(String(64), ForeignKey("wells.id"))
    t_start_ns: Mapped[int] = mapped_column(BigInteger)
    t_end_ns: Mapped[int] = mapped_column(BigInteger)
    n_samples: Mapped[int] = mapped_column(Integer)
    channels: Mapped[list[Any]]
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_well_time", "well_id", "time"),
        Index("ix_alerts_status", "status"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in ALERT_STATUSES) + ")", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    well_id: Mapped[str] = mapped_column(String(64), ForeignKey("wells.id"))
    time: Mapped[datetime]  # data time of the decision
    type: Mapped[str] = mapped_column(String(64))
    probability: Mapped[float] = mapped_column(Double)
    probabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    rig_state: Mapped[str | None] = mapped_column(String(32))
    model_version: Mapped[str | None] = mapped_column(String(64))
    analogues: Mapped[list[Any]] = mapped_column(default=list)
    contributions: Mapped[list[Any]] = mapped_column(default=list)
    # the physical signs present, in words ("pit +1.8 m³ in 10 min, steadily")
    evidence: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    audit: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Accident(Base):
    __tablename__ = "accidents"
    __table_args__ = (
        Index("ix_accidents_well_start", "well_id", "start"),
        CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in ACCIDENT_SOURCES) + ")", name="source"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    well_id: Mapped[str] = mapped_column(String(64), ForeignKey("wells.id"))
    type: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    depth_m: Mapped[float | None] = mapped_column(Double)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    alert_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("alerts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalogueCase(Base):
    """One analogue window added at run time by a verdict: a confirmed alert's accident
    windows or a dismissed alert's normal window, as the feature row of the model that was
    active then (reused only by models with the same feature names: ``feature_sha256``)."""

    __tablename__ = "analogue_cases"
    __table_args__ = (
        Index("ix_analogue_cases_alert_id", "alert_id"),
        Index("ix_analogue_cases_feature_sha256", "feature_sha256"),
        Index("ix_analogue_cases_well_time", "well_id", "time"),
        CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in CASE_SOURCES) + ")", name="source"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("alerts.id"))
    accident_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("accidents.id"))
    well_id: Mapped[str] = mapped_column(String(64), ForeignKey("wells.id"))
    time: Mapped[datetime]  # end of the window
    type: Mapped[str] = mapped_column(String(64))  # accident type, or "normal"
    source: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(64))
    feature_sha256: Mapped[str] = mapped_column(String(64))
    features: Mapped[bytes] = mapped_column(LargeBinary)  # float32, the model's feature order
    rig_state: Mapped[str | None] = mapped_column(String(32))
    time_to_start_s: Mapped[float | None] = mapped_column(Double)
    depth_m: Mapped[float | None] = mapped_column(Double)  # hole depth at the window's end
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the well's static context
    snippet_channels: Mapped[list[Any]] = mapped_column(default=list)
    snippet: Mapped[bytes | None] = mapped_column(LargeBinary)  # float16 channels x 30-s grid
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        # At most one active version, enforced by the database (partial unique index).
        Index(
            "uq_model_versions_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    detector: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


# Core handles for the data-access modules.
wells = cast(Table, Well.__table__)
telemetry_chunks = cast(Table, TelemetryChunk.__table__)
alerts = cast(Table, Alert.__table__)
accidents = cast(Table, Accident.__table__)
model_versions = cast(Table, ModelVersion.__table__)
analogue_cases = cast(Table, AnalogueCase.__table__)
