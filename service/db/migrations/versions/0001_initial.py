"""Initial schema: wells, telemetry_chunks, alerts, accidents, model_versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types used by service.db.tables at this revision.
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wells",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("rig", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("mud_type", sa.String(length=100), nullable=True),
        sa.Column("bha", sa.Text(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_sample_at", UTC_DATETIME, nullable=True),
        sa.Column("last_rig_state", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wells")),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("detector", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    op.create_index(
        "uq_model_versions_active",
        "model_versions",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "telemetry_chunks",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("well_id", sa.String(length=64), nullable=False),
        sa.Column("t_start_ns", sa.BigInteger(), nullable=False),
        sa.Column("t_end_ns", sa.BigInteger(), nullable=False),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["well_id"], ["wells.id"], name=op.f("fk_telemetry_chunks_well_id_wells")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_chunks")),
    )
    op.create_index(
        "ix_telemetry_chunks_well_t_start", "telemetry_chunks", ["well_id", "t_start_ns"]
    )
    op.create_index("ix_telemetry_chunks_well_t_end", "telemetry_chunks", ["well_id", "t_end_ns"])
    op.create_table(
        "alerts",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("well_id", sa.String(length=64), nullable=False),
        sa.Column("time", UTC_DATETIME, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("probabilities", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rig_state", sa.String(length=32), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("analogues", sa.JSON(), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("audit", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'confirmed', 'dismissed')",
            name=op.f("ck_alerts_status"),
        ),
        sa.ForeignKeyConstraint(["well_id"], ["wells.id"], name=op.f("fk_alerts_well_id_wells")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("ix_alerts_well_time", "alerts", ["well_id", "time"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    op.create_table(
        "accidents",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("well_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("start", UTC_DATETIME, nullable=False),
        sa.Column("end", UTC_DATETIME, nullable=True),
        sa.Column("depth_m", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("alert_id", BIGINT_ID, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "source IN ('import', 'user', 'alert', 'simulator')", name=op.f("ck_accidents_source")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_accidents_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(["well_id"], ["wells.id"], name=op.f("fk_accidents_well_id_wells")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accidents")),
    )
    op.create_index("ix_accidents_well_start", "accidents", ["well_id", "start"])


def downgrade() -> None:
    op.drop_index("ix_accidents_well_start", table_name="accidents")
    op.drop_table("accidents")
    op.drop_index("ix_alerts_status", table_name="alerts")
    op.drop_index("ix_alerts_well_time", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_telemetry_chunks_well_t_end", table_name="telemetry_chunks")
    op.drop_index("ix_telemetry_chunks_well_t_start", table_name="telemetry_chunks")
    op.drop_table("telemetry_chunks")
    op.drop_index("uq_model_versions_active", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("wells")
