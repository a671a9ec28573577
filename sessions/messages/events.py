"""Socket.IO events of private messages: a facilitator's words to one participant's devices, or to
one breakout room's members. Nobody else's socket receives them (tests/test_messages.py captures
every other socket's traffic)."""

from sessions.live.models import LiveSession
from sessions.messages import operations as messages
from sessions.messages.schemas import MessageToParticipant, MessageToRoom
from sessions.realtime import pushes
from sessions.realtime.plumbing import FACILITATOR, Caller, handler
from sessions.realtime.rooms import own_room


def _send(message: messages.Message) -> dict:
    payload = message.payload()
    for participant_id in message.participant_ids:
        pushes.queue("message", payload, to=own_room(participant_id))
    return {"ok": True, "devices": message.devices}


@handler("message:participant", FACILITATOR)
def message_participant(caller: Caller, payload: MessageToParticipant) -> dict:
    return _send(messages.to_participant(caller.cohort_id, caller.signed_in_user_id, payload.participant, payload.text))


@handler("message:room", FACILITATOR, live=True)
def message_room(caller: Caller, payload: MessageToRoom, live: LiveSession) -> dict:
    return _send(messages.to_room(live, caller.signed_in_user_id, payload.round, payload.room, payload.text))
