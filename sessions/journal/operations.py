"""The private journal: write and update entries (with a revision check), list and search them by week,
export, delete, and share an excerpt for moderation (its keys: sessions/journal/keys.py).

Only this module reads or writes journal text, and it hands it only to callers
acting for the entry's author (sessions/journal/routes.py). Functions change rows
and flush; the caller commits. Nothing here logs text: failures are logged by
entry id and participant id only.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select

from extensions import db
from facilitation.cohorts import meetings
from facilitation.models import Cohort, Participant, Step
from refusals import Refusal
from sessions.journal import crypto, keys, trends
from sessions.journal.models import JournalEntry, JournalKey, SharedExcerpt, random_id
from sessions.live.models import LiveSession
from sessions.live.operations import begin, open_session_of, record
from sessions.live.outline import outline_of

log = logging.getLogger(__name__)

MAX_ENTRY_CHARACTERS = 20_000
MAX_TITLE_CHARACTERS = 200
MAX_EXCERPT_CHARACTERS = 1_000
TOO_LONG = (
    f"An entry can hold up to {MAX_ENTRY_CHARACTERS:,} characters. Nothing was saved; "
    "please shorten it or split it into two entries."
)
KIND_LABELS = {"reflection": "Reflection", "free": "Journal entry", "trigger": "Trigger tracker"}
# The trigger tracker's questions, in the order they are asked.
TRIGGER_FIELDS = (
    ("happened", "What happened?", "Just the facts, as a camera would have seen it."),
    ("surface", "What did I feel on the surface?", "For example anger, irritation, numbness, shutting down."),
    ("underneath", "What did I feel underneath?", "For example fear, grief, longing, shame, loneliness."),
    ("body", "What did my body do?", "For example a tight chest, a hot face, wanting to run."),
    ("did", "What did I do?", ""),
    ("needed", "What did I need?", ""),
)
TRIGGER_FIELD_NAMES = tuple(name for name, _label, _hint in TRIGGER_FIELDS)


# weeks


def current_week(cohort: Cohort, live: LiveSession | None = None, now: datetime | None = None) -> int:
    """The week an entry belongs to: the open session's week, else the latest meeting that has begun."""
    if live is not None and live.is_open:
        return outline_of(live).week
    now = now or datetime.now(UTC)
    begun = [meeting.week for meeting in meetings(cohort) if meeting.starts_at <= now]
    return begun[-1] if begun else 1


# entries


@dataclass
class OpenedEntry:
    """An entry opened for its author."""

    id: str
    kind: str
    week: int
    revision: int
    created_at: datetime
    updated_at: datetime
    conflict_of_id: str | None
    step_id: int | None
    readable: bool = True
    title: str = ""
    text: str = ""
    fields: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def heading(self) -> str:
        return self.title or self.label

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "week": self.week,
            "revision": self.revision,
            "updated_at": int(self.updated_at.timestamp() * 1000),
            "conflict_copy": self.conflict_of_id is not None,
            "readable": self.readable,
            "title": self.title,
            "text": self.text,
            "fields": self.fields,
        }

    def matches(self, query: str) -> bool:
        haystack = " ".join([self.title, self.text, *self.fields.values()]).casefold()
        return query.casefold() in haystack


def _open(entry: JournalEntry, data_key: bytes | None) -> OpenedEntry:
    opened = OpenedEntry(
        id=entry.id,
        kind=entry.kind,
        week=entry.week,
        revision=entry.revision,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        conflict_of_id=entry.conflict_of_id,
        step_id=entry.step_id,
    )
    try:
        if data_key is None:
            raise InvalidTag
        content = json.loads(crypto.open_entry(data_key, entry.participant_id, entry.id, entry.sealed))
    except InvalidTag:
        log.warning("journal entry %s of participant %s could not be opened", entry.id, entry.participant_id)
        opened.readable = False
        return opened
    opened.title, opened.text, opened.fields = (
        content.get("title", ""),
        content.get("text", ""),
        content.get("fields", {}),
    )
    return opened


def _seal(entry: JournalEntry, data_key: bytes, title: str, text: str, fields: dict) -> None:
    content = json.dumps({"title": title, "text": text, "fields": fields}, ensure_ascii=False).encode()
    entry.sealed = crypto.seal_entry(data_key, entry.participant_id, entry.id, content)


def _own(participant: Participant, entry_id: str | None) -> JournalEntry:
    """The participant's own entry; anyone else's, or none, is the same "not found"."""
    entry = db.session.get(JournalEntry, entry_id) if isinstance(entry_id, str) and len(entry_id) <= 32 else None
    if entry is None or entry.participant_id != participant.id:
        raise Refusal("not_found", "There is no such entry in your journal.")
    return entry


def _clean(kind: str, title: str, text: str, fields: dict | None) -> tuple[str, str, dict]:
    if kind not in KIND_LABELS or not isinstance(title, str) or not isinstance(text, str):
        raise Refusal("bad_entry")
    fields = fields or {}
    if kind != "trigger":
        fields = {}
    if not isinstance(fields, dict) or any(
        name not in TRIGGER_FIELD_NAMES or not isinstance(value, str) for name, value in fields.items()
    ):
        raise Refusal("bad_entry")
    if len(title) > MAX_TITLE_CHARACTERS:
        raise Refusal("bad_entry", f"A title can be up to {MAX_TITLE_CHARACTERS} characters long.")
    if len(title) + len(text) + sum(len(value) for value in fields.values()) > MAX_ENTRY_CHARACTERS:
        raise Refusal("too_long", TOO_LONG)
    return title.strip(), text, {name: value for name, value in fields.items() if value.strip()}


@dataclass
class Saved:
    entry: OpenedEntry
    # The id of the conflict copy kept when the save was based on an older revision.
    conflict_copy_id: str | None = None


def reflection_step(cohort: Cohort, live_session_id: int, position: int) -> tuple[LiveSession, Step]:
    live = db.session.get(LiveSession, live_session_id)
    if live is None or live.cohort_id != cohort.id or not 0 <= position < len(live.session_plan.steps):
        raise Refusal("no_reflection")
    step = live.session_plan.steps[position]
    if step.kind != "reflection":
        raise Refusal("no_reflection")
    return live, step


def reflection_entry(participant: Participant, live: LiveSession, step: Step) -> JournalEntry | None:
    return db.session.scalar(
        select(JournalEntry).where(
            JournalEntry.participant_id == participant.id,
            JournalEntry.live_session_id == live.id,
            JournalEntry.step_id == step.id,
            JournalEntry.conflict_of_id.is_(None),
        )
    )


def save_entry(
    participant: Participant,
    *,
    kind: str,
    text: str,
    title: str = "",
    fields: dict | None = None,
    entry_id: str | None = None,
    base_revision: int | None = None,
    reflection: tuple[int, int] | None = None,
) -> Saved:
    """Create or update an entry. An update based on an older revision keeps both versions: the
    new text becomes the entry and the version it would have overwritten becomes a conflict copy.

    `reflection` is (live session id, step position) for a reflection step's first save.
    """
    title, text, fields = _clean(kind, title, text, fields)
    entry = None
    live = step = None
    if entry_id is not None:
        entry = _own(participant, entry_id)
    elif reflection is not None:
        live, step = reflection_step(participant.cohort, *reflection)
        kind = "reflection"
        entry = reflection_entry(participant, live, step)
        # A second device's first save of the same reflection: based on nothing, so a conflict if any exists.
        base_revision = 0
    if entry is None and not (text.strip() or title or fields):
        raise Refusal("empty")
    data_key = keys.data_key(participant.id, create=True)
    conflict_copy = None
    if entry is None:
        week = (
            live.session_plan.number
            if live
            else current_week(participant.cohort, open_session_of(participant.cohort_id))
        )
        entry = JournalEntry(
            id=random_id(),
            participant_id=participant.id,
            week=week,
            kind=kind,
            step_id=step.id if step else None,
            live_session_id=live.id if live else None,
        )
        _seal(entry, data_key, title, text, fields)
        db.session.add(entry)
    else:
        if base_revision != entry.revision:
            conflict_copy = _conflict_copy(entry, data_key)
        entry.updated_at = datetime.now(UTC)
        _seal(entry, data_key, title, text, fields)
    db.session.flush()
    return Saved(_open(entry, data_key), conflict_copy.id if conflict_copy else None)


def _conflict_copy(entry: JournalEntry, data_key: bytes) -> JournalEntry:
    stored = _open(entry, data_key)
    if not stored.readable:
        raise Refusal("unreadable")
    copy = JournalEntry(
        id=random_id(),
        participant_id=entry.participant_id,
        week=entry.week,
        kind=entry.kind,
        conflict_of_id=entry.id,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )
    _seal(copy, data_key, stored.title, stored.text, stored.fields)
    db.session.add(copy)
    return copy


def open_entry(participant: Participant, entry_id: str) -> OpenedEntry:
    entry = _own(participant, entry_id)
    return _open(entry, keys.data_key(participant.id, create=False))


def entries_of(participant: Participant, week: int | None = None, query: str = "") -> list[OpenedEntry]:
    """The participant's entries, newest first, optionally of one week and containing `query`."""
    statement = select(JournalEntry).where(JournalEntry.participant_id == participant.id)
    if week is not None:
        statement = statement.where(JournalEntry.week == week)
    entries = db.session.scalars(statement.order_by(JournalEntry.week.desc(), JournalEntry.updated_at.desc()))
    data_key = keys.data_key(participant.id, create=False)
    opened = [_open(entry, data_key) for entry in entries]
    query = query.strip()
    return [entry for entry in opened if entry.matches(query)] if query else opened


def by_week(entries: list[OpenedEntry]) -> list[tuple[int, list[OpenedEntry]]]:
    weeks: dict[int, list[OpenedEntry]] = {}
    for entry in entries:
        weeks.setdefault(entry.week, []).append(entry)
    return sorted(weeks.items(), reverse=True)


def delete_entry(participant: Participant, entry_id: str) -> None:
    db.session.delete(_own(participant, entry_id))
    db.session.flush()


def delete_everything(participant: Participant) -> None:
    """Shred the journal (the data key first, then the entries) and remove the participant record."""
    db.session.execute(delete(JournalKey).where(JournalKey.participant_id == participant.id))
    db.session.execute(delete(JournalEntry).where(JournalEntry.participant_id == participant.id))
    trends.forget_all(participant.id)
    db.session.delete(participant)
    db.session.flush()


def export_markdown(participant: Participant) -> str:
    """The whole journal as one Markdown document, oldest week first."""
    cohort = participant.cohort
    lines = [
        f"# My journal: {cohort.name}",
        "",
        f"Exported on {datetime.now(UTC):%d %B %Y}. This copy is not encrypted: keep it somewhere private.",
    ]
    for week, entries in sorted(by_week(entries_of(participant))):
        lines += ["", f"## Week {week}"]
        for entry in reversed(entries):
            lines += ["", f"### {entry.heading} ({entry.updated_at:%d %B %Y})"]
            if entry.conflict_of_id:
                lines += ["", "*Conflict copy: the version saved on another device before a later change.*"]
            if not entry.readable:
                lines += ["", "*This entry could not be read.*"]
                continue
            if entry.text:
                lines += ["", entry.text]
            for name, label, _hint in TRIGGER_FIELDS:
                if entry.fields.get(name):
                    lines += ["", f"**{label}**", "", entry.fields[name]]
    for measure in trends.trend_of(participant.id):
        lines += ["", f"## My answers: {measure['name']}"]
        for week in measure["weeks"]:
            total = week["scores"].get("total")
            lines += ["", f"### Week {week['week']}" + ("" if total is None else f": total {total:g}"), ""]
            lines += [
                f"- {text}: {'passed' if value is None else value}"
                for text, value in zip(week["items"], week["values"], strict=True)
            ]
    return "\n".join(lines) + "\n"


# shared excerpts


def share_excerpt(participant: Participant, entry_id: str, text: str) -> SharedExcerpt:
    """Queue an excerpt of one's own entry for the facilitators, without name, entry or time."""
    _own(participant, entry_id)
    text = text.strip() if isinstance(text, str) else ""
    if not 1 <= len(text) <= MAX_EXCERPT_CHARACTERS:
        raise Refusal("bad_excerpt", f"An excerpt to share can be 1 to {MAX_EXCERPT_CHARACTERS:,} characters long.")
    excerpt = SharedExcerpt(cohort_id=participant.cohort_id, text=text)
    db.session.add(excerpt)
    db.session.flush()
    return excerpt


def _pending(cohort_id: int, excerpt_id: str) -> SharedExcerpt:
    excerpt = db.session.get(SharedExcerpt, excerpt_id)
    if excerpt is None or excerpt.cohort_id != cohort_id or excerpt.status != "pending":
        raise Refusal("no_excerpt")
    return excerpt


def approve_excerpt(live: LiveSession, seen_version: int, excerpt_id: str, user_id: int) -> None:
    """Show a pending excerpt to the room at this step of this session: a live change, so it bumps the
    version."""
    begin(live, seen_version, "lobby", "live")
    excerpt = _pending(live.cohort_id, excerpt_id)
    excerpt.status, excerpt.live_session_id = "approved", live.id
    excerpt.position = live.position if live.status == "live" else None
    record(live, seen_version, "excerpt_approve", user_id)


def decline_excerpt(cohort_id: int, excerpt_id: str) -> None:
    db.session.delete(_pending(cohort_id, excerpt_id))
    db.session.flush()
