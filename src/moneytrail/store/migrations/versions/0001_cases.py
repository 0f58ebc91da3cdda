"""Agencies, users, cases and everything of a case.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _case_fk(table: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return (
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=f"fk_{table}_case_id_cases"),
    )


def upgrade() -> None:
    op.create_table(
        "agencies",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.UniqueConstraint("name", name="uq_agencies_name"),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_users_agency_id_agencies"),
    )
    op.create_index("ix_users_agency_id", "users", ["agency_id"])
    op.create_table(
        "cases",
        _id(),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name="fk_cases_owner_agency_id_agencies"
        ),
    )
    op.create_index("ix_cases_owner_agency_id", "cases", ["owner_agency_id"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_table(
        "case_members",
        _id(),
        *_case_fk("case_members"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("identities", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_members"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_case_members_user_id_users"),
        sa.UniqueConstraint("case_id", "user_id", name="uq_case_members_case_user"),
    )
    op.create_index("ix_case_members_case_id", "case_members", ["case_id"])
    op.create_index("ix_case_members_user_id", "case_members", ["user_id"])
    op.create_table(
        "legal_bases",
        _id(),
        *_case_fk("legal_bases"),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_legal_bases"),
    )
    op.create_index("ix_legal_bases_case_id", "legal_bases", ["case_id"])
    op.create_table(
        "subjects",
        _id(),
        *_case_fk("subjects"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(300), nullable=False),
        sa.Column("party", sa.String(20), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subjects"),
    )
    op.create_index("ix_subjects_case_id", "subjects", ["case_id"])
    op.create_table(
        "subject_identifiers",
        _id(),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(40), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subject_identifiers"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_subject_identifiers_subject_id_subjects"
        ),
    )
    op.create_index("ix_subject_identifiers_subject_id", "subject_identifiers", ["subject_id"])
    op.create_index("ix_subject_identifiers_token", "subject_identifiers", ["token"])
    op.create_table(
        "case_alerts",
        _id(),
        *_case_fk("case_alerts"),
        sa.Column("alert_id", sa.String(100), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("attached_by", sa.String(100), nullable=False),
        sa.Column("attached_at", _TS, nullable=False),
        sa.Column("disposition", sa.String(20), nullable=True),
        sa.Column("disposed_by", sa.String(100), nullable=True),
        sa.Column("disposed_at", _TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_alerts"),
        sa.UniqueConstraint("case_id", "alert_id", name="uq_case_alerts_case_alert"),
    )
    op.create_index("ix_case_alerts_case_id", "case_alerts", ["case_id"])
    op.create_index("ix_case_alerts_alert_id", "case_alerts", ["alert_id"])
    op.create_table(
        "evidence",
        _id(),
        *_case_fk("evidence"),
        sa.Column("table_name", sa.String(100), nullable=False),
        sa.Column("row_key", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
    )
    op.create_index("ix_evidence_case_id", "evidence", ["case_id"])
    op.create_table(
        "notes",
        _id(),
        *_case_fk("notes"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )
    op.create_index("ix_notes_case_id", "notes", ["case_id"])
    op.create_table(
        "tasks",
        _id(),
        *_case_fk("tasks"),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_case_id", "tasks", ["case_id"])
    op.create_table(
        "referrals",
        _id(),
        *_case_fk("referrals"),
        sa.Column("from_agency", sa.String(200), nullable=False),
        sa.Column("to_agency", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("referred_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_referrals"),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])


def downgrade() -> None:
    for table in (
        "referrals",
        "tasks",
        "notes",
        "evidence",
        "case_alerts",
        "subject_identifiers",
        "subjects",
        "legal_bases",
        "case_members",
        "cases",
        "users",
        "agencies",
    ):
        op.drop_table(table)
