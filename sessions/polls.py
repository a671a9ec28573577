"""Anonymous polls: open, answer (and change an answer by receipt), close, moderate, reveal.

Privacy by construction (docs/privacy.md): the server keeps who has responded as
one sorted set and what was answered as counters (texts under random keys), so
the two cannot be joined. To change an answer a participant shows a receipt, an
HMAC over the poll, their old choice and a nonce; the key that signs receipts is
destroyed when the poll closes. Functions here change the session and flush; the
handler commits.
"""

import hashlib
import hmac
import json
import os
import secrets
import unicodedata

from sqlalchemy import delete, select

from extensions import db
from facilitation.models import Organisation
from facilitation.models.organisations import MIN_REVEAL_THRESHOLD
from facilitation.programmes import validate_poll_settings
from sessions.engine import SessionError, begin, record
from sessions.models import LiveSession
from sessions.poll_models import Poll, PollParticipation, PollTally, PollTextAnswer, SpentReceipt

WORD_MAX = 24
WORDS_MAX = 3


def active_poll(live: LiveSession | None) -> Poll | None:
    if live is None or live.active_poll_id is None:
        return None
    return db.session.get(Poll, live.active_poll_id)


def poll_of_step(live: LiveSession, step_id: int) -> Poll | None:
    return db.session.scalar(
        select(Poll).where(Poll.live_session_id == live.id, Poll.step_id == step_id).order_by(Poll.id.desc()).limit(1)
    )


def open_poll(live: LiveSession, seen_version: int, user_id: int, quick: dict | None = None) -> Poll:
    """Open the current step's poll, or a quick poll from the console (settings as in a programme)."""
    begin(live, seen_version, "live")
    current = active_poll(live)
    if current is not None and current.status == "open":
        raise SessionError("poll_open")
    if quick is not None:
        try:
            settings = validate_poll_settings(quick)
        except ValueError as problem:
            raise SessionError("bad_poll", f"That poll cannot be opened: {problem}.") from None
        step_id = None
    else:
        step = live.session_plan.steps[live.position]
        if step.kind != "poll":
            raise SessionError("not_a_poll")
        if poll_of_step(live, step.id) is not None:
            raise SessionError("poll_done")
        settings, step_id = dict(step.settings, question=step.title), step.id
    organisation = db.session.get(Organisation, live.cohort.organisation_id)
    poll = Poll(
        live_session_id=live.id,
        step_id=step_id,
        kind=settings.pop("kind"),
        question=settings.pop("question"),
        settings=settings,
        threshold=max(MIN_REVEAL_THRESHOLD, organisation.poll_reveal_threshold),
        receipt_key=os.urandom(32),
    )
    db.session.add(poll)
    db.session.flush()
    db.session.add_all([PollParticipation(poll_id=poll.id, participant_ids=[]), PollTally(poll_id=poll.id)])
    live.active_poll_id = poll.id
    record(live, seen_version, "poll_open", user_id)
    return poll


def close_poll(live: LiveSession, seen_version: int, user_id: int) -> Poll:
    begin(live, seen_version, "live")
    poll = _active(live, "open")
    poll.status, poll.receipt_key = "closed", None
    record(live, seen_version, "poll_close", user_id)
    return poll


def reveal_results(live: LiveSession, seen_version: int, user_id: int) -> Poll:
    """Show the results to the room: only after closing, and only with at least k answers."""
    begin(live, seen_version, "live")
    poll = _active(live, "closed")
    answers = db.session.get(PollTally, poll.id).answers
    if answers < poll.threshold:
        raise SessionError(
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
        raise SessionError("no_poll")
    if poll.status == "revealed":
        raise SessionError("poll_revealed")
    if poll.kind == "text":
        answer = db.session.get(PollTextAnswer, target)
        if answer is None or answer.poll_id != poll.id:
            raise SessionError("no_answer")
        answer.hidden = hidden
    else:
        tally = db.session.get(PollTally, poll.id)
        if target not in tally.counts:
            raise SessionError("no_answer")
        words = set(tally.hidden_words)
        tally.hidden_words = sorted(words | {target} if hidden else words - {target})
    db.session.flush()
    return poll


def _active(live: LiveSession, status: str) -> Poll:
    poll = active_poll(live)
    if poll is None:
        raise SessionError("no_poll")
    if poll.status != status:
        raise SessionError("poll_state", {"open": "The poll is not open.", "closed": "Close the poll first."}[status])
    return poll


# Answering


def normalise_answer(poll: Poll, answer: dict) -> dict:
    """The canonical form of an answer, or SessionError("bad_answer") saying what is wrong."""
    if answer.get("pass") is True and len(answer) == 1:
        return {"pass": True}
    kind, settings = poll.kind, poll.settings
    if kind in ("single", "multiple"):
        picks = answer.get("picks")
        options = len(settings["options"])
        if not isinstance(picks, list) or not picks or not all(isinstance(p, int) for p in picks):
            raise SessionError("bad_answer", "Choose at least one option, or pass.")
        if any(not 0 <= p < options for p in picks):
            raise SessionError("bad_answer", "That option is not in this poll.")
        limit = 1 if kind == "single" else settings.get("max_picks") or options
        if len(set(picks)) > limit:
            raise SessionError("bad_answer", f"Choose at most {limit} option{'s' if limit > 1 else ''}.")
        return {"picks": sorted(set(picks))}
    if kind == "scale":
        value = answer.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            raise SessionError("bad_answer", "Choose a number from 0 to 10, or pass.")
        return {"value": value}
    if kind == "words":
        words = answer.get("words")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise SessionError("bad_answer", "Give one to three short words, or pass.")
        cleaned = sorted({_clean_text(w).casefold() for w in words} - {""})
        if not 1 <= len(cleaned) <= WORDS_MAX:
            raise SessionError("bad_answer", "Give one to three short words, or pass.")
        if any(len(w) > WORD_MAX or " " in w for w in cleaned):
            raise SessionError("bad_answer", f"Each word can be up to {WORD_MAX} letters, without spaces.")
        return {"words": cleaned}
    text = answer.get("text")
    limit = settings.get("max_length", 280)
    cleaned = _clean_text(text) if isinstance(text, str) else ""
    if not cleaned:
        raise SessionError("bad_answer", "Write a few words, or pass.")
    if len(cleaned) > limit:
        raise SessionError("bad_answer", f"Please keep your answer to {limit} characters.")
    return {"text": cleaned}


def _clean_text(text: str) -> str:
    # Stored as plain text (shown escaped); invisible and control characters are dropped.
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")).split())


def _canonical(choice: dict) -> str:
    return json.dumps(choice, sort_keys=True, separators=(",", ":"))


def _mac(poll: Poll, choice: str, nonce: str) -> str:
    return hmac.new(poll.receipt_key, f"{poll.id}|{choice}|{nonce}".encode(), hashlib.sha256).hexdigest()


def _receipt(poll: Poll, choice: dict) -> dict:
    nonce = secrets.token_hex(16)
    canonical = _canonical(choice)
    return {"poll": poll.id, "choice": canonical, "nonce": nonce, "mac": _mac(poll, canonical, nonce)}


def _apply(poll: Poll, tally: PollTally, choice: dict, sign: int) -> dict:
    """Add (sign=1) or remove (sign=-1) one response from the counters; returns the choice to sign."""
    if choice.get("pass"):
        tally.passes += sign
        return choice
    counts = dict(tally.counts)
    keys = {
        "picks": lambda: [str(p) for p in choice["picks"]],
        "value": lambda: [str(choice["value"])],
        "words": lambda: choice["words"],
    }
    for field, listed in keys.items():
        if field in choice:
            for key in listed():
                counts[key] = counts.get(key, 0) + sign
                if counts[key] <= 0:
                    del counts[key]
    tally.counts = counts
    tally.answers += sign
    if "text" in choice:
        answer = PollTextAnswer(id=secrets.token_urlsafe(16), poll_id=poll.id, text=choice["text"])
        db.session.add(answer)
        return {"text_id": answer.id}
    if "text_id" in choice:
        db.session.execute(delete(PollTextAnswer).where(PollTextAnswer.id == choice["text_id"]))
    return choice


def answer_poll(live: LiveSession, participant_id: int, poll_id: int, answer: dict, previous: dict | None) -> dict:
    """Record one participant's answer (or pass) and return their receipt.

    A second answer must show the receipt of the first; the first is then taken
    out of the counters and the receipt can never be used again.
    """
    poll = active_poll(live)
    if poll is None or poll.id != poll_id:
        raise SessionError("no_poll")
    # Lock both rows (PostgreSQL) so that simultaneous answers never lose a count.
    participation = db.session.scalar(
        select(PollParticipation).where(PollParticipation.poll_id == poll.id).with_for_update()
    )
    tally = db.session.scalar(select(PollTally).where(PollTally.poll_id == poll.id).with_for_update())
    if poll.status != "open":
        raise SessionError("poll_state", "This poll is closed; answers can no longer change.")
    choice = normalise_answer(poll, answer)
    if participant_id in participation.participant_ids:
        if previous is None:
            raise SessionError("already_answered")
        _spend(poll, previous)
        _apply(poll, tally, json.loads(previous["choice"]), -1)
    else:
        participation.participant_ids = sorted([*participation.participant_ids, participant_id])
    signed = _apply(poll, tally, choice, +1)
    db.session.flush()
    return _receipt(poll, signed)


def _spend(poll: Poll, previous: dict) -> None:
    expected = _mac(poll, previous["choice"], previous["nonce"])
    if previous.get("poll") != poll.id or not hmac.compare_digest(expected, previous["mac"]):
        raise SessionError("bad_receipt")
    nonce_hash = hashlib.sha256(previous["nonce"].encode()).hexdigest()
    if db.session.get(SpentReceipt, (poll.id, nonce_hash)) is not None:
        raise SessionError("bad_receipt")
    db.session.add(SpentReceipt(poll_id=poll.id, nonce_hash=nonce_hash))


# What people see


def progress(poll: Poll) -> dict:
    participation = db.session.get(PollParticipation, poll.id)
    return {"poll": poll.id, "responded": len(participation.participant_ids)}


def results(poll: Poll, for_team: bool) -> dict:
    """Aggregate results. The room gets them only once revealed, without hidden answers."""
    tally = db.session.get(PollTally, poll.id)
    out = {"answers": tally.answers, "passes": tally.passes, "threshold": poll.threshold}
    counts = tally.counts
    if poll.kind in ("single", "multiple"):
        out["options"] = [
            {"label": label, "count": counts.get(str(n), 0)} for n, label in enumerate(poll.settings["options"])
        ]
    elif poll.kind == "scale":
        out["scale"] = [counts.get(str(n), 0) for n in range(11)]
        out["labels"] = poll.settings["labels"]
    elif poll.kind == "words":
        hidden = set(tally.hidden_words)
        words = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        out["words"] = [
            {"word": w, "count": c, **({"hidden": w in hidden} if for_team else {})}
            for w, c in words
            if for_team or w not in hidden
        ]
    else:
        # Sorted by random key: a random order that stays put between updates.
        rows = db.session.scalars(
            select(PollTextAnswer).where(PollTextAnswer.poll_id == poll.id).order_by(PollTextAnswer.id)
        )
        out["texts"] = [
            {"text": row.text, **({"id": row.id, "hidden": row.hidden} if for_team else {})}
            for row in rows
            if for_team or not row.hidden
        ]
    return out


def poll_view(poll: Poll | None, for_team: bool) -> dict | None:
    if poll is None:
        return None
    view = {
        "id": poll.id,
        "kind": poll.kind,
        "question": poll.question,
        "settings": poll.settings,
        "status": poll.status,
        "quick": poll.step_id is None,
        **progress(poll),
    }
    if for_team or poll.status == "revealed":
        view["results"] = results(poll, for_team)
    return view
