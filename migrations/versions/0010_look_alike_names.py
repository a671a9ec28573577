"""A participant's name key is what the name looks like, not only its case-folded spelling

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from facilitation.cohorts import name_key


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Names cannot hold control characters, so no key made from one ends in this and an id.
APART = "\x1f"


def _rekey(key_of) -> None:
    """Give every participant the key `key_of(display_name)`. Two who joined before with names that
    look alike keep both their names: the later one's key gets its id, so neither is turned away and
    a newcomer still meets the first one's key."""
    connection = op.get_bind()
    participants = connection.execute(
        sa.text("SELECT id, cohort_id, display_name FROM participant ORDER BY id")
    ).all()
    keys, seen = {}, set()
    for participant_id, cohort_id, display_name in participants:
        key = key_of(display_name)
        if (cohort_id, key) in seen:
            key = f"{key[:140]}{APART}{participant_id}"
        seen.add((cohort_id, key))
        keys[participant_id] = key
    update = sa.text("UPDATE participant SET name_key = :key WHERE id = :id")
    # First a key nobody's new key can be, so that no row meets another's old key on the way.
    for participant_id in keys:
        connection.execute(update, {"key": f"{APART}{participant_id}", "id": participant_id})
    for participant_id, key in keys.items():
        connection.execute(update, {"key": key, "id": participant_id})


def upgrade():
    _rekey(name_key)


def downgrade():
    _rekey(str.casefold)
