"""Live sessions point at their latest breakout round

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latest_round_id", sa.Integer(), nullable=True))
    # Sessions already run (or running during the upgrade) keep their rounds.
    op.execute(
        "UPDATE live_session SET latest_round_id = "
        "(SELECT max(breakout_round.id) FROM breakout_round WHERE breakout_round.live_session_id = live_session.id)"
    )


def downgrade():
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.drop_column("latest_round_id")
