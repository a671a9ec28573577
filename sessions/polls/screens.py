"""What each kind of client is shown of a poll: how many responded, and results only as
docs/privacy.md allows (the room once revealed and at least k answered; the team per batch)."""

from typing import Any

from sqlalchemy import select

from extensions import db
from facilitation import measures
from sessions.polls.models import Poll, PollParticipation, PollTally, PollTextAnswer
from sessions.polls.operations import waiting_count


def progress(poll: Poll) -> dict:
    """How many have responded: those counted and the first answers waiting (a count of people, never
    of what they chose; it is pushed with a random delay, never at the moment of a tap)."""
    if poll.status != "open":
        return {"poll": poll.id, "responded": poll.responded or 0}
    participation = db.session.get_one(PollParticipation, poll.id)
    _, firsts = waiting_count(poll)
    return {"poll": poll.id, "responded": len(participation.participant_ids) + firsts}


def results(poll: Poll, for_team: bool) -> dict:
    """Aggregate results. The room gets them only once revealed, without hidden answers. The team's
    change only when a batch is counted, and show no figure at all while fewer than k answered."""
    tally = db.session.get_one(PollTally, poll.id)
    out: dict[str, Any] = {"answers": tally.answers, "passes": tally.passes, "threshold": poll.threshold}
    if tally.answers < poll.threshold:
        out["below_threshold"] = True
        return out
    counts = tally.counts
    if poll.kind == "measure":
        out.update(measure_results(poll.settings, counts, poll.threshold))
    elif poll.kind in ("single", "multiple"):
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


def _summary(distribution: dict[float, int], threshold: int) -> dict | None:
    """How many gave a value, and the mean; None below k (an item most people passed stays hidden)."""
    answered = sum(distribution.values())
    if answered < threshold:
        return None
    mean = sum(value * count for value, count in distribution.items()) / answered
    return {"answered": answered, "mean": round(mean, 2)}


def measure_results(instrument: dict, counts: dict[str, int], threshold: int) -> dict:
    """A measure's aggregates: per item its distribution and mean, per score (total, subscales) its
    distribution, mean and band; each only when at least k people gave it."""
    items: list[dict[str, Any]] = []
    for n, item in enumerate(instrument["items"]):
        scale = measures.item_scale(instrument, item)
        values = range(scale["min"], scale["max"] + 1)
        item_counts = [counts.get(f"item:{n}:{value}", 0) for value in values]
        summary = _summary({float(v): c for v, c in zip(values, item_counts, strict=True)}, threshold)
        entry: dict[str, Any] = {"id": item["id"], "text": item["text"], "min": scale["min"], "max": scale["max"]}
        if summary is not None:
            entry.update(summary, counts=item_counts)
        items.append(entry)
    scores = []
    bands_of = {"total": instrument["scoring"]["bands"]}
    bands_of |= {sub["id"]: sub["bands"] for sub in instrument["scoring"]["subscales"]}
    names = {"total": "Total"} | {sub["id"]: sub["name"] for sub in instrument["scoring"]["subscales"]}
    for name, label in names.items():
        ids = (
            None if name == "total" else next(s["items"] for s in instrument["scoring"]["subscales"] if s["id"] == name)
        )
        low, high = measures.score_range(instrument, ids)
        prefix = f"score:{name}:"
        distribution = {float(key.removeprefix(prefix)): c for key, c in counts.items() if key.startswith(prefix)}
        summary = _summary(distribution, threshold)
        entry = {"id": name, "name": label, "min": low, "max": high}
        if summary is not None:
            band = measures.band_of(bands_of[name], summary["mean"])
            entry.update(
                summary,
                distribution=[[value, distribution[value]] for value in sorted(distribution)],
                band=band and {"meaning": band["meaning"], "concern": band["concern"]},
            )
        scores.append(entry)
    return {"items": items, "scores": scores, "higher_is": instrument["scoring"]["higher_is"]}


def poll_screen(poll: Poll | None, for_team: bool, responded: dict | None = None) -> dict | None:
    """The poll as the room (or with `for_team` the team) is shown it; `responded` is its `progress`
    when the caller already read it (the room's and the team's state share one reading)."""
    if poll is None:
        return None
    view = {
        "id": poll.id,
        "kind": poll.kind,
        "question": poll.question,
        "settings": poll.settings,
        "status": poll.status,
        "quick": poll.step_id is None,
        **(responded or progress(poll)),
    }
    if for_team or poll.status == "revealed":
        view["results"] = results(poll, for_team)
    return view
