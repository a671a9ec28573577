"""Anonymous polls: open, answer (and change an answer by receipt), count in batches, close, moderate, reveal.

Privacy by construction (docs/privacy.md): an answer is received into the ballot box
(sessions/polls/ballots.py) and counted later with at least k others, so that no database
write carries one person's answer. The server keeps who has responded as one sorted
set and what was answered as counters (texts under random keys), so the two cannot be
joined; when the poll closes, who responded becomes a number. To change an answer a
participant shows a receipt, an HMAC over the poll, their old choice and a nonce; the
key that signs receipts is destroyed when the poll closes. Functions here change the
session and flush; the handler commits.
"""

import hashlib
import hmac
import json
import os
import random
import secrets
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select

from extensions import db
from facilitation import measures
from facilitation.models import Cohort, Organisation, Step
from facilitation.models.organisations import MIN_REVEAL_THRESHOLD
from facilitation.programmes import validate_poll_settings
from refusals import Refusal
from sessions.live.models import LiveSession
from sessions.live.operations import begin, hold, record
from sessions.live.outline import outline_of
from sessions.polls import ballots
from sessions.polls.models import Poll, PollParticipation, PollTally, PollTextAnswer, SpentReceipt

WORD_MAX = 24
WORDS_MAX = 3
# Batches are counted, and text answers rewritten, in an order nobody can predict.
_random = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one ballot when a batch was counted: its counted receipt, or why not."""

    ballot: ballots.Ballot
    receipt: dict | None = None
    refusal: Refusal | None = None


def active_poll(live: LiveSession | None) -> Poll | None:
    if live is None or live.active_poll_id is None:
        return None
    return db.session.get(Poll, live.active_poll_id)


def poll_of_step(live: LiveSession, step_id: int) -> Poll | None:
    return db.session.scalar(
        select(Poll).where(Poll.live_session_id == live.id, Poll.step_id == step_id).order_by(Poll.id.desc()).limit(1)
    )


# The organisation's k for a cohort, in one statement.
_THRESHOLD = (
    select(Organisation.poll_reveal_threshold)
    .join(Cohort, Cohort.organisation_id == Organisation.id)
    .where(Cohort.id == bindparam("cohort_id"))
)


def open_poll(live: LiveSession, seen_version: int, user_id: int, quick: dict | None = None) -> Poll:
    """Open the current step's poll, or a quick poll from the console (settings as in a programme)."""
    begin(live, seen_version, "live")
    current = active_poll(live)
    if current is not None and current.status == "open":
        raise Refusal("poll_open")
    if quick is not None:
        try:
            settings = validate_poll_settings(quick)
        except ValueError as problem:
            raise Refusal("bad_poll", f"That poll cannot be opened: {problem}.") from None
        step_id = None
    else:
        # The step on screen alone, not its plan with every step.
        step = db.session.get_one(Step, outline_of(live).step_ids[live.position])
        if step.kind not in ("poll", "measure"):
            raise Refusal("not_a_poll")
        if poll_of_step(live, step.id) is not None:
            raise Refusal("poll_done")
        settings, step_id = dict(step.settings, question=step.title), step.id
        if step.kind == "measure":
            settings["kind"] = "measure"
    poll = Poll(
        live_session_id=live.id,
        step_id=step_id,
        kind=settings.pop("kind"),
        question=settings.pop("question"),
        settings=settings,
        threshold=max(MIN_REVEAL_THRESHOLD, db.session.execute(_THRESHOLD, {"cohort_id": live.cohort_id}).scalar_one()),
        receipt_key=os.urandom(32),
    )
    db.session.add(poll)
    db.session.flush()
    participation, tally = PollParticipation(poll_id=poll.id, participant_ids=[]), PollTally(poll_id=poll.id)
    db.session.add_all([participation, tally])
    hold(poll, participation, tally)
    live.active_poll_id = poll.id
    record(live, seen_version, "poll_open", user_id)
    return poll


def close_poll(live: LiveSession, seen_version: int, user_id: int) -> tuple[Poll, list[Outcome]]:
    """Close the poll on screen: count every answer still waiting, then leave nothing that links anyone."""
    begin(live, seen_version, "live")
    poll = _active(live, "open")
    outcomes = _close(poll)
    record(live, seen_version, "poll_close", user_id)
    return poll, outcomes


def close_open_poll(live: LiveSession) -> tuple[Poll | None, list[Outcome]]:
    """Moving on from a step (or ending the session) closes its poll if it is still open: an open poll
    nobody can see would keep its list of who answered, and its answers waiting, for ever."""
    poll = active_poll(live)
    if poll is None or poll.status != "open":
        return None, []
    return poll, _close(poll)


def _close(poll: Poll) -> list[Outcome]:
    """Count what waits, in this transaction, then anonymise what is stored (docs/privacy.md, "after
    a poll closes"): who responded becomes a number, the text answers are written again in a random
    order under new keys (or, below k, the results go altogether), spent receipts go, and the key
    that signs receipts and seals waiting answers is destroyed. The caller schedules the scrub of
    the files once this commits."""
    participation, tally = _locked(poll)
    if participation is None:
        # Closed by another process while this close waited for the lock.
        raise Refusal("poll_state", "The poll is not open.")
    hold(poll, tally)
    outcomes = count_ballots(poll, ballots.box().take(poll.id, None, _key_of(poll)))
    # One update of the poll: how many responded, closed, its key destroyed.
    poll.responded = len(participation.participant_ids)
    poll.status, poll.receipt_key = "closed", None
    db.session.delete(participation)
    # Only an open-text poll stores answers as rows (the others count into the tally).
    texts = (
        [
            (row.text, row.hidden)
            for row in db.session.scalars(select(PollTextAnswer).where(PollTextAnswer.poll_id == poll.id))
        ]
        if poll.kind == "text"
        else []
    )
    if texts:
        db.session.execute(delete(PollTextAnswer).where(PollTextAnswer.poll_id == poll.id))
    db.session.execute(delete(SpentReceipt).where(SpentReceipt.poll_id == poll.id))
    if tally.answers < poll.threshold:
        # Results nobody will ever be shown are not kept: only how many answered and passed.
        tally.counts, tally.hidden_words = {}, []
    elif texts:
        db.session.flush()
        _random.shuffle(texts)
        db.session.add_all(
            PollTextAnswer(id=secrets.token_urlsafe(16), poll_id=poll.id, text=text, hidden=hidden)
            for text, hidden in texts
        )
    forget_facts(poll.id)
    db.session.flush()
    return outcomes


def reveal_results(live: LiveSession, seen_version: int, user_id: int) -> Poll:
    """Show the results to the room: only after closing, and only with at least k answers."""
    begin(live, seen_version, "live")
    poll = _active(live, "closed")
    if poll.kind == "measure":
        raise Refusal("measure_private")
    answers = db.session.get_one(PollTally, poll.id).answers
    if answers < poll.threshold:
        raise Refusal(
            "below_threshold",
            f"Results are shown only when at least {poll.threshold} people have answered, so that nobody's "
            f"answer can be picked out. {answers} answered this time, so the results stay private.",
        )
    poll.status = "revealed"
    record(live, seen_version, "poll_reveal", user_id)
    return poll


def moderate(live: LiveSession, target: str, hidden: bool) -> Poll:
    """Hide (or show again) a word or an open-text answer before the results are revealed."""
    poll = active_poll(live)
    if poll is None or poll.kind not in ("words", "text"):
        raise Refusal("no_poll")
    if poll.status == "revealed":
        raise Refusal("poll_revealed")
    if poll.kind == "text":
        answer = db.session.get(PollTextAnswer, target)
        if answer is None or answer.poll_id != poll.id:
            raise Refusal("no_answer")
        answer.hidden = hidden
    else:
        tally = db.session.get_one(PollTally, poll.id)
        if target not in tally.counts:
            raise Refusal("no_answer")
        words = set(tally.hidden_words)
        tally.hidden_words = sorted(words | {target} if hidden else words - {target})
    db.session.flush()
    return poll


def _active(live: LiveSession, status: str) -> Poll:
    poll = active_poll(live)
    if poll is None:
        raise Refusal("no_poll")
    if poll.status != status:
        raise Refusal("poll_state", {"open": "The poll is not open.", "closed": "Close the poll first."}[status])
    return poll


# Answering


def normalise_answer(poll: "Poll | PollFacts", answer: dict) -> dict:
    """The canonical form of an answer, or Refusal("bad_answer") saying what is wrong."""
    if answer.get("pass") is True and len(answer) == 1:
        return {"pass": True}
    kind, settings = poll.kind, poll.settings
    if kind == "measure":
        return _measure_answer(settings, answer)
    if kind in ("single", "multiple"):
        picks = answer.get("picks")
        options = len(settings["options"])
        if not isinstance(picks, list) or not picks or not all(isinstance(p, int) for p in picks):
            raise Refusal("bad_answer", "Choose at least one option, or pass.")
        if any(not 0 <= p < options for p in picks):
            raise Refusal("bad_answer", "That option is not in this poll.")
        limit = 1 if kind == "single" else settings.get("max_picks") or options
        if len(set(picks)) > limit:
            raise Refusal("bad_answer", f"Choose at most {limit} option{'s' if limit > 1 else ''}.")
        return {"picks": sorted(set(picks))}
    if kind == "scale":
        value = answer.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            raise Refusal("bad_answer", "Choose a number from 0 to 10, or pass.")
        return {"value": value}
    if kind == "words":
        words = answer.get("words")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise Refusal("bad_answer", "Give one to three short words, or pass.")
        cleaned_words = sorted({_clean_text(w).casefold() for w in words} - {""})
        if not 1 <= len(cleaned_words) <= WORDS_MAX:
            raise Refusal("bad_answer", "Give one to three short words, or pass.")
        if any(len(w) > WORD_MAX or " " in w for w in cleaned_words):
            raise Refusal("bad_answer", f"Each word can be up to {WORD_MAX} letters, without spaces.")
        return {"words": cleaned_words}
    text = answer.get("text")
    limit = settings.get("max_length", 280)
    cleaned = _clean_text(text) if isinstance(text, str) else ""
    if not cleaned:
        raise Refusal("bad_answer", "Write a few words, or pass.")
    if len(cleaned) > limit:
        raise Refusal("bad_answer", f"Please keep your answer to {limit} characters.")
    return {"text": cleaned}


def _measure_answer(instrument: dict, answer: dict) -> dict:
    """One value per item, each on its item's scale or None (passed); passing every item is a pass."""
    values = answer.get("items")
    items = instrument["items"]
    if not isinstance(values, list) or len(values) != len(items):
        raise Refusal("bad_answer", f"Answer or pass each of the {len(items)} questions.")
    for item, value in zip(items, values, strict=True):
        scale = measures.item_scale(instrument, item)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not scale["min"] <= value <= scale["max"]
        ):
            raise Refusal("bad_answer", f"Choose a number from {scale['min']} to {scale['max']}, or pass.")
    if all(value is None for value in values):
        return {"pass": True}
    return {"items": list(values)}


def measure_keys(instrument: dict, values: list[int | None]) -> list[str]:
    """The counters one measure answer adds to: each item's value, and each score it completes."""
    keys = [f"item:{n}:{value}" for n, value in enumerate(values) if value is not None]
    keys += [f"score:{name}:{score:g}" for name, score in measures.scores(instrument, values).items()]
    return keys


def _clean_text(text: str) -> str:
    # Stored as plain text (shown escaped); invisible and control characters are dropped.
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")).split())


# Answering: received at once into the ballot box, counted later in batches (sessions/polls/ballots.py)

# How long this process trusts what it read of a poll (open or not, its key, its settings).
FACTS_SECONDS = 0.5
# Past this many polls known, the expired ones are forgotten.
FACTS_KEPT = 256


@dataclass(frozen=True, slots=True)
class PollFacts:
    """What answering needs to know of a poll, read once and kept briefly, so that a thousand answers
    arriving at once do not read the poll a thousand times."""

    id: int
    cohort_id: int
    kind: str
    settings: dict
    threshold: int
    status: str
    receipt_key: bytes | None


_facts: dict[int, tuple[float, PollFacts]] = {}
_FACTS = select(Poll, LiveSession.cohort_id).join(LiveSession, LiveSession.id == Poll.live_session_id)


def facts_of(poll_id: int) -> PollFacts | None:
    cached = _facts.get(poll_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    row = db.session.execute(_FACTS.where(Poll.id == poll_id)).first()
    if row is None:
        return None
    poll, cohort_id = row
    facts = PollFacts(poll.id, cohort_id, poll.kind, poll.settings, poll.threshold, poll.status, poll.receipt_key)
    moment = time.monotonic()
    if len(_facts) > FACTS_KEPT:
        for stale in [known for known, (until, _) in _facts.items() if until < moment]:
            del _facts[stale]
    _facts[poll_id] = (moment + FACTS_SECONDS, facts)
    return facts


def week_of(poll_id: int) -> int:
    """The week of the session a poll ran in (a measure's answers are kept by week)."""
    poll = db.session.get_one(Poll, poll_id)
    return db.session.get_one(LiveSession, poll.live_session_id).session_plan.number


def forget_facts(poll_id: int) -> None:
    _facts.pop(poll_id, None)


def _canonical(choice: dict) -> str:
    return json.dumps(choice, sort_keys=True, separators=(",", ":"))


def _key_of(poll: Poll | PollFacts) -> bytes:
    """The key that signs the poll's receipts and seals its waiting answers, destroyed when it closes."""
    if poll.receipt_key is None:
        raise Refusal("poll_state", "This poll is closed; answers can no longer change.")
    return poll.receipt_key


def _mac(key: bytes, poll_id: int, stage: str, choice: str, nonce: str) -> str:
    message = f"{poll_id}|{stage}|{choice}|{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _receipt(poll: Poll | PollFacts, stage: str, choice: dict, nonce: str | None = None) -> dict:
    """Proof for the answering browser, and for nobody else, that it gave `choice`: "received" while
    the answer waits in the box, "counted" once it is in the counters."""
    nonce = nonce or secrets.token_hex(16)
    canonical = _canonical(choice)
    mac = _mac(_key_of(poll), poll.id, stage, canonical, nonce)
    return {"poll": poll.id, "stage": stage, "choice": canonical, "nonce": nonce, "mac": mac}


def _signed(choice: dict) -> dict:
    """What a receipt names: the answer itself, or for a text only its random key (the text stays
    with its author's browser and the counters)."""
    return {"text_id": choice["text_id"]} if "text" in choice else choice


def _genuine(poll: Poll | PollFacts, receipt: dict) -> bool:
    if receipt.get("poll") != poll.id or poll.receipt_key is None:
        return False
    expected = _mac(poll.receipt_key, poll.id, receipt["stage"], receipt["choice"], receipt["nonce"])
    return hmac.compare_digest(expected, receipt["mac"])


def _spent(poll_id: int, nonce: str) -> bool:
    nonce_hash = hashlib.sha256(nonce.encode()).hexdigest()
    return db.session.get(SpentReceipt, (poll_id, nonce_hash)) is not None


def receive_answer(cohort_id: int, participant_id: int, poll_id: int, answer: dict, previous: dict | None) -> dict:
    """Check one participant's answer (or pass) and put it in the ballot box; return its "received" receipt.

    Nothing is written to the database: the answer is counted with others later. A second answer
    must show the receipt of the first: a "received" one replaces the answer still waiting, a
    "counted" one is spent when the new answer is counted (the old one then leaves the counters).
    """
    facts = facts_of(poll_id)
    if facts is None or facts.cohort_id != cohort_id:
        raise Refusal("no_poll")
    if facts.status != "open":
        raise Refusal("poll_state", "This poll is closed; answers can no longer change.")
    choice = normalise_answer(facts, answer)
    if "text" in choice:
        choice["text_id"] = secrets.token_urlsafe(16)
    box = ballots.box()
    # A first answer needs no look at the box: `put` refuses it if one waits.
    waiting = box.get(poll_id, participant_id, facts.receipt_key) if previous is not None else None
    replacing, replaces = None, None
    if previous is not None:
        if not _genuine(facts, previous):
            raise Refusal("bad_receipt")
        if previous["stage"] == "counted":
            if _spent(poll_id, previous["nonce"]):
                raise Refusal("bad_receipt")
            replaces = previous
            if waiting is not None:
                replacing = waiting.nonce
        elif waiting is not None and waiting.nonce == previous["nonce"]:
            replacing, replaces = waiting.nonce, waiting.previous
        elif waiting is not None:
            raise Refusal("bad_receipt")
        # Otherwise the answer it names no longer waits: counted meanwhile (its counted receipt is on
        # its way, and counting this one will say so), or lost with a restart: this is then a first answer.
    ballot = ballots.Ballot(participant_id, choice, secrets.token_hex(16), replaces)
    if not box.put(poll_id, ballot, _key_of(facts), replacing):
        raise Refusal("already_answered")
    return _receipt(facts, "received", _signed(choice), ballot.nonce)


def waiting_count(poll: Poll) -> tuple[int, int]:
    """(answers waiting to be counted, of which first answers)."""
    return ballots.box().sizes(poll.id)


def answer_status(poll: Poll, participant_id: int) -> str:
    """For the participant's own snapshot: "counted", "waiting" or "none" (so that their browser sends
    again an answer a restart lost)."""
    if ballots.box().waits(poll.id, participant_id):
        return "waiting"
    participation = db.session.get(PollParticipation, poll.id)
    return "counted" if participation is not None and participant_id in participation.participant_ids else "none"


def _locked(poll: Poll) -> tuple[PollParticipation | None, PollTally]:
    """The poll's counters, locked once per batch (PostgreSQL), so that two processes counting at once
    never lose a count; who answered is gone (None) once the poll has closed."""
    participation = db.session.scalar(
        select(PollParticipation).where(PollParticipation.poll_id == poll.id).with_for_update()
    )
    tally = db.session.scalars(select(PollTally).where(PollTally.poll_id == poll.id).with_for_update()).one()
    return participation, tally


def batch_in_progress(poll_id: int) -> bool:
    """Whether another process is counting a batch of this poll's answers right now (a close waits)."""
    return ballots.box().counting(poll_id)


def batch_done(poll_id: int) -> None:
    ballots.box().finish_batch(poll_id)


def due_batch(poll: Poll) -> int:
    """How many waiting answers to count now: none until 2k wait, then all but k of them, so that
    every batch, the one at close included, counts at least k answers (docs/privacy.md)."""
    waiting, _ = waiting_count(poll)
    return waiting - poll.threshold if waiting >= 2 * poll.threshold else 0


def count_batch(poll_id: int) -> tuple[Poll | None, list[Outcome]]:
    """Count a batch of the poll's waiting answers if one is due; for a poll already closed, refuse
    whatever still waits (it arrived at another process just as the poll closed)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.status != "open":
        late = ballots.box().take_unopened(poll_id)
        refusal = Refusal("poll_state", "The poll closed before your answer could be counted.")
        return poll, [Outcome(ballots.Ballot(person, {}, nonce), refusal=refusal) for person, nonce in late]
    due = due_batch(poll)
    if due == 0:
        return poll, []
    box = ballots.box()
    taken = box.take(poll.id, due, _key_of(poll), batch=True)
    # The poll's row is read again: a close may have committed while the batch was taken.
    db.session.refresh(poll)
    return poll, count_ballots(poll, taken)


def count_ballots(poll: Poll, taken: list[ballots.Ballot]) -> list[Outcome]:
    """Count `taken` in one go, in a random order, and flush; each gets its counted receipt or a refusal."""
    if not taken:
        return []
    participation, tally = _locked(poll)
    if participation is None:
        # Closed (by another process) between taking these and counting them.
        refusal = Refusal("poll_state", "The poll closed before your answer could be counted.")
        return [Outcome(ballot, refusal=refusal) for ballot in taken]
    people = set(participation.participant_ids)
    _random.shuffle(taken)
    outcomes = []
    for ballot in taken:
        try:
            outcomes.append(Outcome(ballot, receipt=_count(poll, tally, people, ballot)))
        except Refusal as refusal:
            outcomes.append(Outcome(ballot, refusal=refusal))
    participation.participant_ids = sorted(people)
    db.session.flush()
    return outcomes


def _count(poll: Poll, tally: PollTally, people: set[int], ballot: ballots.Ballot) -> dict:
    if ballot.previous is not None:
        if ballot.participant_id not in people or _spent(poll.id, ballot.previous["nonce"]):
            raise Refusal("bad_receipt")
        nonce_hash = hashlib.sha256(ballot.previous["nonce"].encode()).hexdigest()
        db.session.add(SpentReceipt(poll_id=poll.id, nonce_hash=nonce_hash))
        _apply(poll, tally, json.loads(ballot.previous["choice"]), -1)
    elif ballot.participant_id in people:
        raise Refusal("already_answered", "Your answer from another device was counted first.")
    people.add(ballot.participant_id)
    _apply(poll, tally, ballot.choice, +1)
    return _receipt(poll, "counted", _signed(ballot.choice))


def _apply(poll: Poll, tally: PollTally, choice: dict, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one response from the counters."""
    if choice.get("pass"):
        tally.passes += sign
        return
    keys = [str(p) for p in choice.get("picks", ())] + choice.get("words", [])
    if "items" in choice:
        keys += measure_keys(poll.settings, choice["items"])
    if "value" in choice:
        keys.append(str(choice["value"]))
    counts = dict(tally.counts)
    for key in keys:
        counts[key] = counts.get(key, 0) + sign
        if counts[key] <= 0:
            del counts[key]
    # Sorted, so that the stored JSON says nothing of which option was chosen first.
    tally.counts = dict(sorted(counts.items()))
    tally.answers += sign
    if "text" in choice:
        db.session.add(PollTextAnswer(id=choice["text_id"], poll_id=poll.id, text=choice["text"]))
    elif "text_id" in choice:
        db.session.execute(delete(PollTextAnswer).where(PollTextAnswer.id == choice["text_id"]))
