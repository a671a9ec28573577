"""What every event's payload schema is built from: strict JSON objects, ids a database can store,
and the payloads several capabilities share."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# A row's id, as the databases store it: larger numbers cannot name anything and are refused as
# `bad_payload` rather than reaching a query (where SQLite raises OverflowError).
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
# What Mend itself writes in hex (receipt nonces and MACs): anything else is not one of them.
Hex = Annotated[str, Field(pattern=r"^[0-9a-f]*$")]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAuth(Payload):
    cohort: str = Field(min_length=1, max_length=24)
    role: Literal["participant", "facilitator", "projector"]


class Empty(Payload):
    pass


class Versioned(Payload):
    version: int = Field(ge=0, le=2**63 - 1)
