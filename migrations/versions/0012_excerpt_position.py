"""A shared excerpt remembers the step it was shown at, so that it leaves the screens on the next step

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # Excerpts shown before this have no step, as if shown in the lobby: a session past its lobby
    # stops showing them, as the next step would have.
    with op.batch_alter_table('shared_excerpt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('shared_excerpt', schema=None) as batch_op:
        batch_op.drop_column('position')
