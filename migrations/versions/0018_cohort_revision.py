"""What participant pages show of cohorts has a revision, so that each process may keep them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'cohort_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_revision')),
    )
    op.bulk_insert(table, [{'id': 1, 'revision': 0}])


def downgrade():
    op.drop_table('cohort_revision')
