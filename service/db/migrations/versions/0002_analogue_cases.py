"""Analogue cases: windows added to the analogue database by confirmed and dismissed alerts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types used by service.db.tables at this revision.
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "analogue_cases",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", BIGINT_ID, nullable=False),
        sa.Column("accident_id", BIGINT_ID, nullable=True),
        sa.Column("well_id", sa.String(length=64), nullable=False),
        sa.Column("time", UTC_DATETIME, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("feature_sha256", sa.String(length=64), nullable=False),
        sa.Column("features", sa.LargeBinary(), nullable=False),
        sa.Column("rig_state", sa.String(length=32), nullable=True),
        sa.Column("time_to_start_s", sa.Double(), nullable=True),
        sa.Column("depth_m", sa.Double(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("snippet_channels", sa.JSON(), nullable=False),
        sa.Column("snippet", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "source IN ('confirmed', 'dismissed')", name=op.f("ck_analogue_cases_source")
        ),
        sa.ForeignKeyConstraint(
            ["accident_id"],
            ["accidents.id"],
            name=op.f("fk_analogue_cases_accident_id_accidents"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_analogue_cases_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["well_id"], ["wells.id"], name=op.f("fk_analogue_cases_well_id_wells")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analogue_cases")),
    )
    op.create_index("ix_analogue_cases_alert_id", "analogue_cases", ["alert_id"])
    op.create_index("ix_analogue_cases_feature_sha256", "analogue_cases", ["feature_sha256"])
    op.create_index("ix_analogue_cases_well_time", "analogue_cases", ["well_id", "time"])


def downgrade() -> None:
    op.drop_index("ix_analogue_cases_well_time", table_name="analogue_cases")
    op.drop_index("ix_analogue_cases_feature_sha256", table_name="analogue_cases")
    op.drop_index("ix_analogue_cases_alert_id", table_name="analogue_cases")
    op.drop_table("analogue_cases")
