"""Legal bases that cover revealing identifiers; the failed sign-in counters.

Revision ID: 0003
Revises: 0002

`legal_bases.reveals`: whether a basis (e.g. a seizure warrant) lets the people
it names see raw identifiers of the case's subjects; existing bases do not.
`signin_failures`: failed sign-ins per user and per client address, and the lock
they caused, kept in the case store so that every API worker and the CLI share
them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("legal_bases") as batch:
        batch.add_column(
            sa.Column("reveals", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", _TS, nullable=False),
        sa.Column("last_at", _TS, nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signin_failures"),
        sa.UniqueConstraint("scope", "subject", name="uq_signin_failures_scope"),
    )


def downgrade() -> None:
    op.drop_table("signin_failures")
    with op.batch_alter_table("legal_bases") as batch:
        batch.drop_column("reveals")
