"""Who is in the room: enrolment, waiting room, one-time links, projector links, session versions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment_open", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("waiting_room", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("projector_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_cohort_projector_hash"), ["projector_hash"])
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("link_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_participant_link_hash"), ["link_hash"])
    # Everyone who joined before the waiting room existed is in the room.
    op.execute("UPDATE participant SET admitted_at = created_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_participant_link_hash"), type_="unique")
        batch_op.drop_column("link_hash")
        batch_op.drop_column("admitted_at")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_cohort_projector_hash"), type_="unique")
        batch_op.drop_column("projector_hash")
        batch_op.drop_column("waiting_room")
        batch_op.drop_column("enrolment_open")
