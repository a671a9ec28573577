"""A closed poll keeps how many responded, not who; the team's content-note figure

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:30:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responded", sa.Integer(), nullable=True))
    # Polls closed before this release: who responded becomes a number, as it does at every close now.
    connection = op.get_bind()
    closed = connection.execute(
        sa.text(
            "SELECT poll.id, poll_participation.participant_ids FROM poll "
            "JOIN poll_participation ON poll_participation.poll_id = poll.id WHERE poll.status != 'open'"
        )
    ).all()
    for poll_id, participant_ids in closed:
        people = participant_ids if isinstance(participant_ids, list) else json.loads(participant_ids or "[]")
        connection.execute(
            sa.text("UPDATE poll SET responded = :count WHERE id = :id"), {"count": len(people), "id": poll_id}
        )
    op.execute("DELETE FROM poll_participation WHERE poll_id IN (SELECT id FROM poll WHERE status != 'open')")
    op.create_table(
        "content_note_figure",
        sa.Column("live_session_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("choices", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["live_session_id"], ["live_session.id"],
            name=op.f("fk_content_note_figure_live_session_id_live_session"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["step.id"], name=op.f("fk_content_note_figure_step_id_step"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("live_session_id", "step_id", name=op.f("pk_content_note_figure")),
    )


def downgrade():
    op.drop_table("content_note_figure")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("responded")
