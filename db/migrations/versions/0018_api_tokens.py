"""api tokens, and the contacts' phone and e-mail keys

Personal API tokens (stored as SHA-256, like the sessions), intake tokens with where their leads go,
and the keys a second request from the same person is found by: the phone's last ten digits and the
e-mail lower-cased, filled in for the contacts already there.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:10:00
"""

import re

from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BATCH = 5_000


def _phone_key(phone: str | None) -> str | None:
    # core.customers.phone_key as of this revision: a migration does not import the app's code.
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 5 else None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("api", "intake", name="token_scope", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("intake_pipeline_id", sa.Integer(), nullable=True),
        sa.Column("intake_team_id", sa.Integer(), nullable=True),
        sa.Column("intake_owner_id", sa.Integer(), nullable=True),
        sa.Column("intake_last_owner_id", sa.Integer(), nullable=True),
        sa.Column("intake_window_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["intake_pipeline_id"], ["pipelines.id"], name=op.f("fk_api_tokens_intake_pipeline_id_pipelines")
        ),
        sa.ForeignKeyConstraint(["intake_team_id"], ["teams.id"], name=op.f("fk_api_tokens_intake_team_id_teams")),
        sa.ForeignKeyConstraint(["intake_owner_id"], ["users.id"], name=op.f("fk_api_tokens_intake_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["intake_last_owner_id"], ["users.id"], name=op.f("fk_api_tokens_intake_last_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id_revoked_at"), "api_tokens", ["user_id", "revoked_at"])
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_key", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("email_key", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_phone_key"), ["phone_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_email_key"), ["email_key"], unique=False)
    op.execute("UPDATE contacts SET email_key = lower(email) WHERE email IS NOT NULL")
    connection = op.get_bind()
    contacts = sa.table("contacts", sa.column("id", sa.Integer()), sa.column("phone", sa.String()))
    keyed = sa.table("contacts", sa.column("id", sa.Integer()), sa.column("phone_key", sa.String()))
    update = keyed.update().where(keyed.c.id == sa.bindparam("contact_id")).values(phone_key=sa.bindparam("key"))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(contacts.c.id, contacts.c.phone)
            .where(contacts.c.id > last_id, contacts.c.phone.is_not(None))
            .order_by(contacts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        keys = [{"contact_id": row.id, "key": key} for row in rows if (key := _phone_key(row.phone))]
        if keys:
            connection.execute(update, keys)
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_email_key"))
        batch_op.drop_index(batch_op.f("ix_contacts_phone_key"))
        batch_op.drop_column("email_key")
        batch_op.drop_column("phone_key")
    op.drop_index(op.f("ix_api_tokens_user_id_revoked_at"), table_name="api_tokens")
    op.drop_table("api_tokens")
