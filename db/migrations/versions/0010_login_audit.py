"""login audit: every sign-in attempt in login_events; attempts counted per login and per client address

login_attempts.login becomes login_attempts.key ("login:anna", "client:203.0.113.7"), and counts the
locks in a row (the back-off). A lock standing at the upgrade stays, as the first of its key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

attempts = sa.table(
    "login_attempts",
    sa.column("key", sa.String()),
    sa.column("locks", sa.Integer()),
    sa.column("locked_until", sa.DateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "login", new_column_name="key", existing_type=sa.String(length=100), type_=sa.String(length=120)
        )
        batch_op.add_column(sa.Column("locks", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        attempts.update().values(
            key=sa.literal("login:") + attempts.c.key,
            locks=sa.case((attempts.c.locked_until.is_not(None), 1), else_=0),
        )
    )
    op.create_table(
        "login_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "signed_in",
                "wrong_credentials",
                "locked",
                name="login_outcome",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_events")),
    )
    with op.batch_alter_table("login_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_events_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_events_at"))
    op.drop_table("login_events")
    # The counts per client address have no place in the old table; the logins' counts keep theirs.
    op.execute(attempts.delete().where(attempts.c.key.not_like("login:%")))
    op.execute(attempts.update().values(key=sa.func.substr(attempts.c.key, len("login:") + 1)))
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("locks")
        batch_op.alter_column(
            "key", new_column_name="login", existing_type=sa.String(length=120), type_=sa.String(length=100)
        )
