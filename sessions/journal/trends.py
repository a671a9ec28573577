"""A participant's own answers to the programme's measures, kept in their journal for their own trend.

Each answer is one `JournalScore`, sealed under the author's data key like a journal entry
(sessions/journal/crypto.py); the measure, the week and the values are inside the seal. It is read
only for its author (their trend chart and their export) and goes with their journal (shredded with
the key, deleted with "delete everything"). The group's aggregates are the anonymous poll's counters
(sessions/polls/), never these rows. Functions flush; the caller commits.
"""

import json
import logging

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select

from extensions import db
from facilitation import measures
from sessions.journal import crypto, keys
from sessions.journal.models import JournalScore, random_id

log = logging.getLogger(__name__)


def _context(score: JournalScore) -> str:
    # Its own id space within the entry seal: a score moved into an entry row no longer opens.
    return f"score:{score.id}"


def _opened(participant_id: int) -> list[tuple[JournalScore, dict | None]]:
    rows = list(db.session.scalars(select(JournalScore).where(JournalScore.participant_id == participant_id)))
    data_key = keys.data_key(participant_id, create=False) if rows else None
    opened = []
    for row in rows:
        content = None
        if data_key is not None:
            try:
                content = json.loads(crypto.open_entry(data_key, participant_id, _context(row), row.sealed))
            except (InvalidTag, ValueError):
                log.warning("a kept score of participant %s could not be opened", participant_id)
        opened.append((row, content))
    return opened


def keep(participant_id: int, poll_id: int, week: int, instrument: dict, answer: dict) -> None:
    """Keep (or replace) this person's own answers to one measure; a pass forgets what was kept."""
    for row, content in _opened(participant_id):
        if content is not None and content["poll"] == poll_id:
            db.session.delete(row)
    if "items" in answer:
        values = answer["items"]
        content = {
            "poll": poll_id,
            "week": week,
            "instrument": instrument["instrument"],
            "name": instrument["short_name"],
            "higher_is": instrument["scoring"]["higher_is"],
            "range": list(measures.score_range(instrument)),
            "items": [item["text"] for item in instrument["items"]],
            "values": values,
            "scores": measures.scores(instrument, values),
        }
        row = JournalScore(id=random_id(), participant_id=participant_id)
        data_key = keys.data_key(participant_id, create=True)
        row.sealed = crypto.seal_entry(data_key, participant_id, _context(row), json.dumps(content).encode())
        db.session.add(row)
    db.session.flush()


def trend_of(participant_id: int) -> list[dict]:
    """This person's kept answers, by measure, oldest week first: what their own chart shows."""
    by_measure: dict[str, dict] = {}
    for _row, content in _opened(participant_id):
        if content is None:
            continue
        measure = by_measure.setdefault(
            content["instrument"],
            {
                "instrument": content["instrument"],
                "name": content["name"],
                "higher_is": content["higher_is"],
                "range": content["range"],
                "weeks": [],
            },
        )
        measure["weeks"].append(
            {
                "week": content["week"],
                "values": content["values"],
                "scores": content["scores"],
                "items": content["items"],
            }
        )
    for measure in by_measure.values():
        measure["weeks"].sort(key=lambda week: week["week"])
    return sorted(by_measure.values(), key=lambda measure: measure["name"])


def has_scores(participant_id: int) -> bool:
    return (
        db.session.scalar(select(JournalScore.id).where(JournalScore.participant_id == participant_id).limit(1))
        is not None
    )


def forget_all(participant_id: int) -> None:
    db.session.execute(delete(JournalScore).where(JournalScore.participant_id == participant_id))
