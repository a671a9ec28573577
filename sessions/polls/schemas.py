"""Payloads of the poll events (docs/protocol.md, "Client to server")."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from sessions.realtime.payloads import Hex, Id, Payload, Versioned

# As a programme file allows them (facilitation/programmes.py), checked here in the facilitator's words.
QUESTION_MAX, OPTION_MAX, OPTIONS = 200, 80, (2, 10)
TEXT_LENGTH = (20, 500)
KINDS = ("single", "multiple", "scale", "words", "text")


def plain(sentence: str) -> PydanticCustomError:
    """A refusal of what a person typed, in words they can act on (sessions/realtime/schemas.py describe())."""
    return PydanticCustomError("plain_words", "{sentence}", {"sentence": sentence})


def check_quick_poll(quick: dict[str, Any]) -> None:
    """What the console's quick poll form can get wrong, each said as what to change."""
    kind = quick.get("kind")
    if kind not in KINDS:
        raise plain("Choose the kind of poll: one choice, several choices, a scale, a few words or short text.")
    question = quick.get("question")
    if not isinstance(question, str) or not question.strip():
        raise plain("Write the question first.")
    if len(question.strip()) > QUESTION_MAX:
        raise plain(f"Keep the question to {QUESTION_MAX} characters or fewer; it has {len(question.strip())}.")
    if kind in ("single", "multiple"):
        _check_options(quick.get("options"), quick.get("max_picks") if kind == "multiple" else None)
    if kind == "scale":
        labels = quick.get("labels")
        if not (
            isinstance(labels, list)
            and len(labels) == 2
            and all(isinstance(end, str) and end.strip() for end in labels)
        ):
            raise plain("A scale needs its two ends, one per line, such as “Not at all” and “Completely”.")
    length = quick.get("max_length")
    if (
        kind == "text"
        and length is not None
        and not (isinstance(length, int) and TEXT_LENGTH[0] <= length <= TEXT_LENGTH[1])
    ):
        raise plain(
            f"Answers can be from {TEXT_LENGTH[0]} to {TEXT_LENGTH[1]} characters long; choose a length in that range."
        )


def _check_options(options: object, max_picks: object) -> None:
    if not isinstance(options, list) or not all(isinstance(option, str) for option in options):
        options = []
    options = [option.strip() for option in options if option.strip()]
    if len(options) < OPTIONS[0]:
        raise plain("Give at least two options, one per line. “Pass” is offered by itself.")
    if len(options) > OPTIONS[1]:
        raise plain(f"Give at most {OPTIONS[1]} options; there are {len(options)}.")
    if any(len(option) > OPTION_MAX for option in options):
        raise plain(f"Keep each option to {OPTION_MAX} characters or fewer.")
    seen: set[str] = set()
    for option in options:
        if option.casefold() == "pass":
            raise plain("Leave “pass” out: every poll offers it by itself.")
        if option.casefold() in seen:
            raise plain(f"Each option can appear only once, and “{option}” is there twice.")
        seen.add(option.casefold())
    if max_picks is not None and not (isinstance(max_picks, int) and 1 <= max_picks <= len(options)):
        raise plain(f"People can pick from 1 to {len(options)} options; choose a number in that range.")


class PollOpen(Versioned):
    # A quick poll's settings, as in a programme file (kind, question, options, labels, max_picks, max_length);
    # without it, the current step's poll opens.
    quick: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _quick_poll_in_plain_words(self) -> "PollOpen":
        if self.quick is not None:
            check_quick_poll(self.quick)
        return self


class Answer(Payload):
    """Exactly one of: pass, picks (single/multiple), value (scale), words, text, items (measure)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    pass_: bool | None = Field(default=None, alias="pass")
    picks: list[int] | None = Field(default=None, max_length=10)
    value: int | None = None
    words: list[str] | None = Field(default=None, max_length=3)
    text: str | None = Field(default=None, max_length=2000)
    # A measure's answers, one per item in order; null passes that item.
    items: list[int | None] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Answer":
        names = ("pass_", "picks", "value", "words", "text", "items")
        given = [name for name in names if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pass, picks, value, words, text or items")
        return self

    def as_dict(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


class Receipt(Payload):
    poll: Id
    # "received" while the answer waits to be counted, "counted" once it is in the counters.
    stage: Literal["received", "counted"]
    choice: str = Field(max_length=2000)
    nonce: Hex = Field(max_length=64)
    mac: Hex = Field(max_length=64)


class PollAnswer(Payload):
    poll: Id
    answer: Answer
    previous: Receipt | None = None
    # A measure's answers only: whether to keep them in the person's own journal, for their trend.
    keep: bool = True


class PollModerate(Payload):
    target: str = Field(min_length=1, max_length=64)
    hidden: bool
