"""Payloads of the poll events (docs/protocol.md, "Client to server")."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from sessions.realtime.payloads import Hex, Id, Payload, Versioned


class PollOpen(Versioned):
    # A quick poll's settings, as in a programme file (kind, question, options, labels, max_picks, max_length);
    # without it, the current step's poll opens.
    quick: dict[str, Any] | None = None


class Answer(Payload):
    """Exactly one of: pass, picks (single/multiple), value (scale), words, text."""

    model_config = ConfigDict(extra="forbid", strict=True)
    pass_: bool | None = Field(default=None, alias="pass")
    picks: list[int] | None = Field(default=None, max_length=10)
    value: int | None = None
    words: list[str] | None = Field(default=None, max_length=3)
    text: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Answer":
        given = [name for name in ("pass_", "picks", "value", "words", "text") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pass, picks, value, words or text")
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


class PollModerate(Payload):
    target: str = Field(min_length=1, max_length=64)
    hidden: bool
