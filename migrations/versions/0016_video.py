"""Video: the organisation's choice of provider

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'video_setting',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=10), nullable=False),
        sa.Column('link_template', sa.String(length=500), nullable=True),
        sa.Column('jitsi_app_id', sa.String(length=100), nullable=True),
        sa.Column('jitsi_secret_sealed', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_video_setting_organisation_id_organisation'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_video_setting')),
    )


def downgrade():
    op.drop_table('video_setting')
