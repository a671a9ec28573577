"""Payloads of the breakout events (docs/protocol.md, "Client to server")."""

from typing import Literal

from pydantic import Field

from sessions.realtime.payloads import Id, Payload, Versioned


class AdHocBreakout(Payload):
    title: str = Field(default="", max_length=120)
    group_size: Literal[2, 3]
    minutes: int = Field(ge=2, le=60)
    prompt: str = Field(default="", max_length=1000)


class BreakoutPropose(Versioned):
    # Without `ad_hoc`, the current breakout step's settings are used.
    ad_hoc: AdHocBreakout | None = None
    late_arrivals: Literal["smallest", "wait"] = "smallest"
    auto_recall: bool = False


class BreakoutCommand(Versioned):
    round: Id


class BreakoutMove(BreakoutCommand):
    participant: Id
    # A room of this round, or null for the main room.
    room: Id | None


class BreakoutTime(BreakoutCommand):
    seconds: int = Field(ge=30, le=1800)


class BreakoutMessage(BreakoutCommand):
    text: str = Field(min_length=1, max_length=300)


class BreakoutHelpAnswer(Payload):
    round: Id
    room: Id


class BreakoutSitOut(Payload):
    sitting_out: bool


class BreakoutHelp(Payload):
    round: Id


class BreakoutNotes(Payload):
    round: Id
    revision: int = Field(ge=0, le=2**63 - 1)
    # A diff-match-patch patch (its text form) made against `revision` of the notes.
    patch: str = Field(min_length=1, max_length=12000)


class BreakoutShare(Payload):
    round: Id
    agree: bool
