"""What a cohort keeps between sessions: the team's session notes, schedule changes, calendar choice

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_note',
    sa.Column('live_session_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['live_session_id'], ['live_session.id'], name=op.f('fk_session_note_live_session_id_live_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_session_note_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('live_session_id', name=op.f('pk_session_note'))
    )
    op.create_table('schedule_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('regular_date', sa.Date(), nullable=True),
    sa.Column('new_date', sa.Date(), nullable=True),
    sa.Column('new_time', sa.Time(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('skip', 'move', 'add')", name=op.f('ck_schedule_change_kind_known')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_schedule_change_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_schedule_change_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_change'))
    )
    with op.batch_alter_table('schedule_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_change_cohort_id'), ['cohort_id'], unique=False)

    op.create_table('calendar_choice',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('names_group', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_calendar_choice_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_calendar_choice'))
    )


def downgrade():
    op.drop_table('calendar_choice')
    with op.batch_alter_table('schedule_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_change_cohort_id'))
    op.drop_table('schedule_change')
    op.drop_table('session_note')
