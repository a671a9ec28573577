"""Cohort editing and the organisation's settings: meeting place, archive, retention, quick exit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-17 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_place', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_meeting_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('records_deleted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('journals_deleted_at', sa.DateTime(), nullable=True))

    # Organisations keep what they had: London time, Mend's own quick-exit page, no waiting room, and
    # nothing deleted until an administrator sets a retention period.
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_timezone', sa.String(length=64), server_default='Europe/London', nullable=False))
        batch_op.add_column(sa.Column('quick_exit_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('waiting_room_default', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('records_kept_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('journals_kept_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retention_notice_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('retention_claimed_until', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_organisation_retention_positive'), "records_kept_days >= 1 AND journals_kept_days >= 1")
        batch_op.create_check_constraint(op.f('ck_organisation_retention_notice_positive'), "retention_notice_days >= 0")


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_retention_notice_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_organisation_retention_positive'), type_='check')
        batch_op.drop_column('retention_claimed_until')
        batch_op.drop_column('retention_notice_days')
        batch_op.drop_column('journals_kept_days')
        batch_op.drop_column('records_kept_days')
        batch_op.drop_column('waiting_room_default')
        batch_op.drop_column('quick_exit_url')
        batch_op.drop_column('default_timezone')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('journals_deleted_at')
        batch_op.drop_column('records_deleted_at')
        batch_op.drop_column('last_meeting_at')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('meeting_place')
