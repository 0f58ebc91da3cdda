"""Audit hash chain (entries and head) and deconfliction tokens and hits.

Revision ID: 0002
Revises: 0001

These tables name users, agencies and cases by plain columns (username, agency
name, case id), not foreign keys: the audit log must outlive what it records,
and imported partner tokens belong to no local case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_actor", "audit_entries", ["actor"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.create_table(
        "deconfliction_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(500), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deconfliction_tokens"),
    )
    op.create_index("ix_deconfliction_tokens_token", "deconfliction_tokens", ["token"])
    op.create_index("ix_deconfliction_tokens_agency", "deconfliction_tokens", ["agency"])
    op.create_index("ix_deconfliction_tokens_case_id", "deconfliction_tokens", ["case_id"])
    op.create_table(
        "deconfliction_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_agency", sa.String(200), nullable=False),
        sa.Column("other_contact", sa.String(500), nullable=False),
        sa.Column("other_ref", sa.String(260), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deconfliction_hits"),
        sa.UniqueConstraint(
            "agency", "case_id", "other_agency", "other_ref", name="uq_deconfliction_hits_match"
        ),
    )
    op.create_index("ix_deconfliction_hits_agency", "deconfliction_hits", ["agency"])


def downgrade() -> None:
    op.drop_table("deconfliction_hits")
    op.drop_table("deconfliction_tokens")
    op.drop_table("audit_head")
    op.drop_table("audit_entries")
