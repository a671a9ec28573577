"""Cohorts and their participants: creating groups, join codes, the schedule, and joining.

Functions here change the session and flush; the request handler commits.
"""

import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from confusable_homoglyphs.confusables import confusables_data  # type: ignore[import-untyped]  # ships no types
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from facilitation.kept_cohorts import kept_cohort
from facilitation.models import Cohort, Organisation, Participant, Programme, User
from facilitation.models.cohorts import hash_rejoin_secret, new_join_code, normalise_join_code
from refusals import Refusal
from sessions.live.models import LiveSession
from sessions.live.operations import open_session_of
from sessions.records.models import ScheduleChange

DISPLAY_NAME_MAX = 40
NAME_KEY_MAX = 160
# Words that say a person runs the group: a participant's name must not claim it.
STAFF_WORDS = ("facilitator", "host", "moderator", "admin", "administrator", "organiser", "organizer", "staff")

DEFAULT_AGREEMENT = """\
- **What is said here stays here.** We do not repeat anyone's story outside the group. We may share what we learned, never who said it.
- **First names or a pseudonym.** Use any name you like. Nobody needs to give their full name or where they live.
- **No recording.** No screenshots, photos or recordings of the group, its screens or its people.
- **"Pass" is always fine.** You never have to speak, answer a poll or take part in an exercise, and you never have to explain why.
- **Speak from your own experience.** We listen without advising, judging or fixing.
- **Take care of yourself.** Use "I need a pause" at any time; a facilitator will notice, and nobody else will.
- **If someone seems at risk**, a facilitator will check in with them privately and, if anyone's safety is in danger, may contact emergency services. This is the one limit to confidentiality.
"""


@dataclass(frozen=True)
class Meeting:
    week: int
    starts_at: datetime
    # "held" (a session was run), "live" (open now), "planned", or a planned meeting "moved" or "added".
    status: str = "planned"


@dataclass(frozen=True)
class Slot:
    """A date the group is to meet: a regular weekly date, a moved one, or one added."""

    starts_at: datetime
    regular_date: date | None
    kind: str


def create_cohort(
    *,
    organisation: Organisation,
    programme: Programme,
    name: str,
    facilitators: Sequence[User],
    start_date: date,
    weekday: int,
    start_time: time,
    timezone: str,
    agreement_md: str = DEFAULT_AGREEMENT,
    meeting_place: str = "",
) -> Cohort:
    """A new cohort, its waiting room on or off as the organisation's settings say."""
    cohort = Cohort(
        organisation=organisation,
        programme=programme,
        name=name.strip(),
        facilitators=list(facilitators),
        start_date=start_date,
        weekday=weekday,
        start_time=start_time,
        timezone=timezone,
        agreement_md=agreement_md,
        meeting_place=meeting_place.strip(),
        join_code=unused_join_code(),
        waiting_room=bool(organisation.waiting_room_default),
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


# What editing may change, in the order the audit trail lists it.
EDITABLE = ("name", "start_date", "weekday", "start_time", "timezone", "meeting_place")


def edit_cohort(cohort: Cohort, facilitators: Sequence[User], **values: object) -> dict[str, list]:
    """Change the cohort's name, schedule, meeting place and facilitators; return what changed, as
    {field: [before, after]} (facilitators by id). A facilitator added now may run the cohort from
    their next page load or connection (facilitation/access.py asks the cohort's list each time).
    The schedule's changes (skips, moves, added meetings) stay as they are: sessions/records."""
    if cohort.is_archived:
        raise Refusal("bad_request", "This cohort is archived: bring it back before changing it.", title="Archived")
    if not facilitators:
        raise Refusal("bad_request", "A cohort needs at least one facilitator. Nothing was changed.")
    changed: dict[str, list] = {}
    for name in EDITABLE:
        value = values[name]
        if isinstance(value, str):
            value = value.strip()
        before = getattr(cohort, name)
        if value != before:
            changed[name] = [str(before), str(value)]
            setattr(cohort, name, value)
    before_ids, after_ids = sorted(f.id for f in cohort.facilitators), sorted(f.id for f in facilitators)
    if before_ids != after_ids:
        changed["facilitators"] = [before_ids, after_ids]
        cohort.facilitators = list(facilitators)
    db.session.flush()
    return changed


def archive_cohort(cohort: Cohort, archived: bool, now: datetime | None = None) -> bool:
    """Archive the cohort (read-only, off the dashboard, its join code letting nobody in) or bring it
    back; True if that changed anything. Enrolment stays as it was, for when it comes back."""
    if archived == cohort.is_archived:
        return False
    if archived and open_session_of(cohort.id) is not None:
        raise Refusal(
            "bad_request", "End the session that is open before archiving this cohort.", title="A session is open"
        )
    cohort.archived_at = (now or datetime.now(UTC)) if archived else None
    db.session.flush()
    return True


def unused_join_code() -> str:
    while True:
        code = new_join_code()
        if db.session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is None:
            return code


def regenerate_join_code(cohort: Cohort) -> str:
    """Give the cohort a fresh code; the old one stops working at once."""
    cohort.join_code = unused_join_code()
    db.session.flush()
    return cohort.join_code


def cohorts_for(user: User, archived: bool = False) -> list[Cohort]:
    """Administrators see every cohort of their organisation; facilitators see their own. Archived
    cohorts are listed apart (`archived=True`)."""
    query = select(Cohort).where(
        Cohort.organisation_id == user.organisation_id,
        Cohort.archived_at.is_not(None) if archived else Cohort.archived_at.is_(None),
    )
    query = query.order_by(Cohort.name)
    if not user.is_admin:
        query = query.where(Cohort.facilitators.any(User.id == user.id))
    return list(db.session.scalars(query))


def first_date(cohort: Cohort) -> date:
    """The first meeting day: the start date, or the first chosen weekday after it (cohorts made before
    the form refused a start date off the meeting day)."""
    return cohort.start_date + timedelta(days=(cohort.weekday - cohort.start_date.weekday()) % 7)


def _changes(cohort: Cohort) -> list[ScheduleChange]:
    return list(db.session.scalars(select(ScheduleChange).where(ScheduleChange.cohort_id == cohort.id)))


def slots(cohort: Cohort, needed: int, after: date | None = None) -> list[Slot]:
    """The first `needed` dates the group meets after the day `after`, in order: its regular weekly
    dates not skipped (a moved one at its new time), and the meetings added."""
    zone = ZoneInfo(cohort.timezone)
    changes = _changes(cohort)
    skipped = {change.regular_date for change in changes if change.kind == "skip"}
    moved = {change.regular_date: change for change in changes if change.kind == "move"}
    found = [
        Slot(datetime.combine(change.new_date, change.new_time, tzinfo=zone), None, "added")
        for change in changes
        if change.kind == "add" and change.new_date is not None and change.new_time is not None
    ]
    regular = first_date(cohort)
    # Enough weeks for every date still needed, and for every date skipped or already behind.
    while len([slot for slot in found if after is None or slot.starts_at.date() > after]) < needed + len(moved):
        if regular not in skipped:
            change = moved.get(regular)
            if change is not None and change.new_date is not None and change.new_time is not None:
                found.append(Slot(datetime.combine(change.new_date, change.new_time, tzinfo=zone), regular, "moved"))
            else:
                found.append(Slot(datetime.combine(regular, cohort.start_time, tzinfo=zone), regular, "regular"))
        regular += timedelta(weeks=1)
        if regular > first_date(cohort) + timedelta(weeks=52 * (SCHEDULE_YEARS + 2)):
            break
    upcoming = [slot for slot in found if after is None or slot.starts_at.date() > after]
    return sorted(upcoming, key=lambda slot: slot.starts_at)[:needed]


def meetings(cohort: Cohort) -> list[Meeting]:
    """The sessions run (and the one open now), then the weeks still to come on the dates that follow.

    The next week follows what was run: one more than the week of the latest session, however the
    weeks before went (a week run twice, or one left out). Dates on or before the latest session's
    day are behind the group; each later date takes the next week in turn, so a date that passes
    without a session counts as a week met, unless a facilitator skipped it."""
    zone = ZoneInfo(cohort.timezone)
    held = [
        Meeting(
            live.session_plan.number,
            _as_utc(live.started_at or live.opened_at).astimezone(zone),
            "live" if live.is_open else "held",
        )
        for live in db.session.scalars(
            select(LiveSession).where(LiveSession.cohort_id == cohort.id).order_by(LiveSession.opened_at)
        )
    ]
    week = held[-1].week if held else 0
    last_day = held[-1].starts_at.date() if held else None
    planned = [
        Meeting(number, slot.starts_at, "planned" if slot.kind == "regular" else slot.kind)
        for number, slot in enumerate(
            slots(cohort, max(len(cohort.programme.sessions) - week, 0), last_day), start=week + 1
        )
    ]
    return held + planned


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def next_meeting(cohort: Cohort, now: datetime | None = None) -> Meeting | None:
    """The session open now, or else the next meeting that has not yet ended (a meeting in progress
    counts as next)."""
    return next_meeting_while(cohort, open_session_of(cohort.id), now)


def next_meeting_while(cohort: Cohort, live: LiveSession | None, now: datetime | None = None) -> Meeting | None:
    """`next_meeting`, for a caller that has read the cohort's open session `live` (or None) already."""
    now = now or datetime.now(UTC)
    # A session open now is the next meeting whatever the schedule says: no need to plan the weeks
    # (the group page of every arrival asks).
    if live is not None:
        zone = ZoneInfo(cohort.timezone)
        return Meeting(live.session_plan.number, _as_utc(live.started_at or live.opened_at).astimezone(zone), "live")
    for meeting in meetings(cohort):
        if meeting.status == "live":
            return meeting
        if meeting.status == "held":
            continue
        plan = cohort.programme.sessions[meeting.week - 1]
        if meeting.starts_at + timedelta(minutes=plan.duration_minutes) > now:
            return meeting
    return None


# Changing the schedule: a regular date skipped or moved, or a meeting added. Dates are kept within
# SCHEDULE_YEARS of the first meeting, so that no typed year sends the schedule anywhere absurd.
SCHEDULE_YEARS = 3


def _within_reach(cohort: Cohort, day: date) -> None:
    first = first_date(cohort)
    if not first - timedelta(days=366) <= day <= first + timedelta(days=366 * SCHEDULE_YEARS):
        raise Refusal(
            "bad_request",
            f"{day:%d %B %Y} is too far from this group's first meeting ({first:%d %B %Y}). Nothing was changed.",
            title="Not a date for this group",
        )


def _regular(cohort: Cohort, day: date) -> None:
    """Refuse a date that is not one of the group's own weekly dates, or already changed."""
    _within_reach(cohort, day)
    offset = (day - first_date(cohort)).days
    if offset < 0 or offset % 7:
        raise Refusal(
            "bad_request",
            f"The group does not meet on {day:%A %d %B %Y}. Choose one of its weekly dates. Nothing was changed.",
            title="Not a date for this group",
        )
    if any(change.regular_date == day for change in _changes(cohort)):
        raise Refusal(
            "bad_request",
            f"The meeting of {day:%d %B %Y} was already skipped or moved. Nothing was changed.",
            title="Already changed",
        )


def skip_meeting(cohort: Cohort, day: date, user: User) -> ScheduleChange:
    """The group does not meet on `day`: the weeks still to come move on by one date."""
    _regular(cohort, day)
    change = ScheduleChange(cohort_id=cohort.id, kind="skip", regular_date=day, created_by_id=user.id)
    db.session.add(change)
    db.session.flush()
    return change


def move_meeting(cohort: Cohort, day: date, to: date, at: time, user: User) -> ScheduleChange:
    _regular(cohort, day)
    _within_reach(cohort, to)
    change = ScheduleChange(
        cohort_id=cohort.id, kind="move", regular_date=day, new_date=to, new_time=at, created_by_id=user.id
    )
    db.session.add(change)
    db.session.flush()
    return change


def add_meeting(cohort: Cohort, to: date, at: time, user: User) -> ScheduleChange:
    """An extra meeting (to run a week again, or catch up): the weeks still to come take it in turn."""
    _within_reach(cohort, to)
    change = ScheduleChange(cohort_id=cohort.id, kind="add", new_date=to, new_time=at, created_by_id=user.id)
    db.session.add(change)
    db.session.flush()
    return change


# What a participant's pages show with their cohort, read with it: lazily, each was a statement of its
# own on every arrival. The join page names the programme and the facilitators (whose names nobody may
# join as); every participant page has the organisation's quick exit; the group page names the weeks.
JOIN_PAGE = (joinedload(Cohort.programme), joinedload(Cohort.organisation), selectinload(Cohort.facilitators))
GROUP_PAGE = (joinedload(Cohort.programme).selectinload(Programme.sessions), joinedload(Cohort.organisation))


# Built once, with bound parameters: on every arrival, building a statement cost more than running it.
_BY_CODE = select(Cohort).where(Cohort.join_code == bindparam("code")).options(*JOIN_PAGE)
_FOR_GROUP_PAGE = select(Cohort).where(Cohort.public_id == bindparam("public_id")).options(*GROUP_PAGE)
_BY_REJOIN_HASH = select(Participant).where(Participant.rejoin_hash == bindparam("rejoin_hash"))


def cohort_by_code(typed: str) -> Cohort | None:
    """The cohort with this join code, with what its join page shows: kept (detached) between arrivals."""
    code = normalise_join_code(typed)
    if not code:
        return None
    return kept_cohort("code", code, lambda loading: loading.scalar(_BY_CODE, {"code": code}))


def cohort_for_group_page(public_id: str) -> Cohort | None:
    """A cohort by its public id, with what its group page shows of it: kept (detached) between views."""
    key = public_id[:24]
    return kept_cohort("public_id", key, lambda loading: loading.scalar(_FOR_GROUP_PAGE, {"public_id": key}))


def clean_display_name(raw: str | None) -> str:
    """Return the name as the room will see it, or raise a Refusal saying what to change."""
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise Refusal("bad_name", "Please choose a name. A first name or a made-up one is fine.")
    if len(name) > DISPLAY_NAME_MAX:
        raise Refusal("bad_name", f"Please keep your name to {DISPLAY_NAME_MAX} characters or fewer.")
    # Cc: control characters; Cf: invisible formatting, including bidirectional overrides.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        raise Refusal("bad_name", "Your name contains invisible or control characters. Please type it again.")
    if any(ch in "<>" for ch in name):
        raise Refusal("bad_name", "Please use letters, numbers and simple punctuation, without < or >.")
    return name


@cache
def _prototypes() -> dict[str, str]:
    """What each confusable character is taken for: Unicode's confusables (UTS #39), as the
    confusable-homoglyphs package ships them. It lists each pair both ways and drops which way it
    went, but every source maps to one prototype: a character with several look-alikes, or whose
    look-alike is several characters long, is the prototype; of a lone pair either will do, and
    the smaller is taken. (Right-to-left characters come wrapped in direction marks.)"""
    marks = str.maketrans("", "", "\u200e\u200f")
    alike: dict[str, set[str]] = {}
    for character, homoglyphs in confusables_data.items():
        alike.setdefault(character.translate(marks), set()).update(h["c"].translate(marks) for h in homoglyphs)
    prototypes = {}
    for character, others in alike.items():
        if len(character) != 1 or len(others) != 1:
            continue
        (other,) = others
        if len(other) > 1 or len(alike.get(other, ())) > 1 or other < character:
            prototypes[character] = other
    return prototypes


def _skeleton(text: str) -> str:
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(character, character) for character in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def name_key(name: str) -> str:
    """What a name looks like, ignoring case: two names with the same key cannot be told apart in the
    room ("Sam", "sAM", "Sarn", and "Ѕаm" with Cyrillic letters). Unique per cohort. Case goes first,
    so "Ian" and "lan" (a capital I, a small L) stay two names, as "ian" and "lan" are."""
    key = name
    for _ in range(3):  # folding a prototype can give a character with a prototype of its own
        # NFKC first: the confusables leave compatibility forms ("Ｓａｍ", "ﬁ") to it.
        folded = _skeleton(unicodedata.normalize("NFKC", key).casefold())
        if folded == key:
            break
        key = folded
    return key[:NAME_KEY_MAX]


def _words(key: str) -> list[str]:
    # Accents off too: "Fàcilitator" claims the same as "Facilitator".
    bare = "".join(character for character in key if not unicodedata.combining(character))
    return re.findall(r"\w+", bare)


@cache
def _staff_keys() -> tuple[str, ...]:
    return tuple(name_key(word) for word in STAFF_WORDS)


def _is_staff_word(word: str) -> bool:
    # A long word inside another counts ("DemoFacilitator", "cofacilitator"); a short one only alone
    # ("Ghost" and "Badminton" are fine).
    return any(word in (staff, staff + "s") or (len(staff) >= 8 and staff in word) for staff in _staff_keys())


def _facilitator_keys(cohort: Cohort) -> set[str]:
    """A facilitator's whole name and first name, as keys."""
    keys = set()
    for facilitator in cohort.facilitators:
        keys.add(name_key(facilitator.name))
        keys.update(name_key(word) for word in facilitator.name.split()[:1])
    return keys


def _holder_of(cohort: Cohort, name: str) -> str | None:
    """The name of the member whose name looks like `name`, if there is one."""
    return db.session.scalar(
        select(Participant.display_name).where(
            Participant.cohort_id == cohort.id, Participant.name_key == name_key(name)
        )
    )


def name_taken(cohort: Cohort, name: str) -> bool:
    return _holder_of(cohort, name) is not None


def free_name_like(cohort: Cohort, name: str) -> str:
    for number in range(2, 100):
        suffix = f" {number}"
        candidate = name[: DISPLAY_NAME_MAX - len(suffix)] + suffix
        if not name_taken(cohort, candidate):
            return candidate
    return f"Guest {secrets.randbelow(9000) + 1000}"


def _without_staff_words(name: str) -> str:
    kept = [word for word in name.split() if not any(_is_staff_word(part) for part in _words(name_key(word)))]
    return " ".join(kept).strip(" ()[]{}-–—,.:;/|")


def refuse_staff_names(cohort: Cohort, name: str) -> None:
    """Refuse a name that claims to run the group: a word such as "facilitator" or "host", or the
    name of one of its facilitators (or a look-alike of either), with a name to use instead."""
    if any(_is_staff_word(word) for word in _words(name_key(name))):
        rest, suggestion = _without_staff_words(name), None
        if rest and name_key(rest) not in _facilitator_keys(cohort):
            suggestion = free_name_like(cohort, rest) if name_taken(cohort, rest) else rest
        raise Refusal(
            "name_reserved",
            f"“{name}” sounds like someone who runs the group. So that everyone knows who is who, "
            "please choose a name without words like “facilitator” or “host”.",
            suggestion=suggestion,
        )
    if name_key(name) in _facilitator_keys(cohort):
        raise Refusal(
            "name_reserved",
            f"{name} is the name of this group's facilitator. So that everyone knows who is who, "
            "please add an initial or choose another name.",
            suggestion=free_name_like(cohort, name),
        )


def refuse_taken_name(cohort: Cohort, name: str) -> None:
    holder = _holder_of(cohort, name)
    if holder is None:
        return
    if holder.casefold() == name.casefold():
        message = f"Someone in this group is already called {name}."
    else:
        message = f"Someone in this group already has a name that looks just like {name}."
    raise Refusal("name_taken", message, suggestion=free_name_like(cohort, name))


def join_cohort(cohort: Cohort, raw_name: str | None) -> tuple[Participant, str]:
    """Create a participant who agreed to the group agreement; return it and its rejoin secret.

    The secret is returned once, to be put in the participant's cookie; only its hash is stored.
    A closed cohort takes nobody new; with its waiting room on, a new participant waits until a
    facilitator admits them.
    """
    if not cohort.enrolment_open or cohort.is_archived:
        raise Refusal("enrolment_closed")
    name = clean_display_name(raw_name)
    refuse_staff_names(cohort, name)
    secret = secrets.token_urlsafe(32)
    participant = Participant(
        cohort_id=cohort.id,
        display_name=name,
        name_key=name_key(name),
        rejoin_hash=hash_rejoin_secret(secret),
        consented_at=datetime.now(UTC),
        admitted_at=None if cohort.waiting_room else datetime.now(UTC),
    )
    try:
        with db.session.begin_nested():
            db.session.add(participant)
    except IntegrityError:
        # The name (or a look-alike) is taken: the unique name key says so, and only then is the holder
        # read, for the sentence and a free name to suggest. A free name, every arrival but a few, costs
        # no read of its own.
        refuse_taken_name(cohort, name)
        raise
    return participant, secret


def participant_by_secret(secret: str | None) -> Participant | None:
    if not secret or len(secret) > 128:
        return None
    return db.session.scalar(_BY_REJOIN_HASH, {"rejoin_hash": hash_rejoin_secret(secret)})
