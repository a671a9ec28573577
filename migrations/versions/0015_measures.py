"""Measures: step and poll kinds for instruments, each person's own scores, shared trends, check-ins

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-18 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_step_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_step_kind_known'), "kind in ('slide', 'poll', 'breakout', 'reflection', 'measure')")
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_poll_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_poll_kind_known'), "kind in ('single', 'multiple', 'scale', 'words', 'text', 'measure')")
    op.create_table('journal_score',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_journal_score_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_score')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('journal_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_score_participant_id'), ['participant_id'], unique=False)
    op.create_table('shared_trend',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('trend', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_shared_trend_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_shared_trend_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_shared_trend'))
    )
    with op.batch_alter_table('shared_trend', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_trend_cohort_id'), ['cohort_id'], unique=False)
    with op.batch_alter_table('safety_signal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=10), server_default='pause', nullable=False))
        batch_op.create_check_constraint(op.f('ck_safety_signal_reason_known'), "reason in ('pause', 'check_in')")


def downgrade():
    with op.batch_alter_table('safety_signal', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_safety_signal_reason_known'), type_='check')
        batch_op.drop_column('reason')
    with op.batch_alter_table('shared_trend', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_trend_cohort_id'))
    op.drop_table('shared_trend')
    with op.batch_alter_table('journal_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_score_participant_id'))
    op.drop_table('journal_score')
    # Measures become unknown kinds again: their polls and steps cannot stay.
    op.execute("DELETE FROM poll WHERE kind = 'measure'")
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_poll_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_poll_kind_known'), "kind in ('single', 'multiple', 'scale', 'words', 'text')")
    op.execute("UPDATE step SET kind = 'slide' WHERE kind = 'measure'")
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_step_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_step_kind_known'), "kind in ('slide', 'poll', 'breakout', 'reflection')")
