"""The one way Mend refuses a request, over a socket or HTTP: a code for programs, a sentence for
people, and nothing changed.

Every code is in `ERRORS` with its default sentence; docs/protocol.md lists the same codes and
tests/test_protocol_doc.py checks that the two agree. A refusal may say more than the default
(`Refusal("not_found", "There is no such entry in your journal.")`) and carry details for the
screen (`suggestion`, a free name to offer).
"""

ERRORS = {
    "bad_payload": "That request was not in the expected form, so nothing changed.",
    "unknown_event": "Mend does not know that request, so nothing changed.",
    "forbidden": "You are not allowed to do that in this session.",
    "no_session": "There is no open session for this group right now.",
    "stale_version": "The session moved on before your command arrived. Here is where it is now.",
    "wrong_state": "The session is not in a state where that can happen.",
    "invalid_step": "There is no such step in this session.",
    "invalid_timer": "A timer runs for between 10 seconds and 3 hours.",
    "no_timer": "There is no timer running to add time to.",
    "already_open": "Another session of this group is still open.",
    "not_found": "There is nothing here by that name, or it is not yours to open.",
    "rate_limited": "Too many requests at once. Wait a moment and try again.",
    "server_error": "Something went wrong on the server, so nothing changed. Please try again.",
    "not_allowed": "This connection could not be identified. Open your group link again.",
    "poll_open": "A poll is already open. Close it before opening another.",
    "bad_poll": "That poll cannot be opened: its settings are not valid.",
    "not_a_poll": "The current step is not a poll. Use a quick poll instead.",
    "poll_done": "This step's poll has already run in this session.",
    "no_poll": "There is no such poll open on screen.",
    "poll_state": "The poll is not in a state where that can happen.",
    "poll_revealed": "The results are already shown, so answers can no longer be hidden.",
    "measure_private": "A measure's results are for the facilitators only; they are not shown to the room.",
    "below_threshold": "Too few people answered to show the results without risking someone being picked out.",
    "no_answer": "There is no such answer in this poll.",
    "bad_answer": "That answer does not fit this poll.",
    "already_answered": "You have answered already. To change your answer, use the device you answered on.",
    "bad_receipt": "That answer could not be changed: the receipt is not valid or was already used.",
    "not_a_breakout": "The current step is not an exercise in small groups. Use an ad hoc round instead.",
    "round_open": "Rooms are already open. Bring everyone back before starting another round.",
    "no_round": "There are no breakout rooms open right now.",
    "round_ended": "That breakout round is over or was replaced, so nothing changed.",
    "round_state": "The rooms are not in a state where that can happen.",
    "too_few_people": "At least two people who are taking part are needed to make a room.",
    "alone": "Someone would be alone in a room. Move someone so that nobody is alone.",
    "no_participant": "That person is not part of this group.",
    "no_room": "That room is not part of this round.",
    "not_in_room": "You are not in a breakout room right now.",
    "notes_too_long": "The notes are full: a room's notes hold up to 5,000 characters.",
    "notes_conflict": "Someone else changed the same words at the same moment. Your text is kept; try again.",
    "notes_edit_too_big": "That change to the notes is too large to send at once, so nothing changed. Try a smaller one.",
    # Safety in the room
    "no_signal": "There is no such pause request open in this session.",
    "signal_resolved": "That person has already said they are OK now.",
    "break_running": "A grounding break is already running. End it before starting another.",
    "no_break": "There is no grounding break running.",
    "bad_break": (
        "A grounding break lasts between 30 seconds and 30 minutes, breathing in for 2 to 10 seconds "
        "and out for 2 to 12 seconds."
    ),
    "no_content_note": "This step has no content note to choose about.",
    # Audio and video (sessions/video/)
    "video_off": "This group does not use video.",
    "video_not_your_room": "That video room is not the one you are in now. Your page will move you with the group.",
    "video_unavailable": "Video cannot start right now. You are still in the session; try again in a moment.",
    # The private journal (its HTTP requests) and its shared excerpts (sessions/journal/operations.py).
    "no_excerpt": "There is no such excerpt waiting to be shown.",
    "too_long": "That is longer than Mend keeps. Nothing was saved; please shorten it.",
    "empty": "There is nothing to save yet.",
    "bad_entry": "That entry was not in the expected form, so nothing was saved.",
    "unreadable": "This entry could not be read: it has been damaged or its key is gone. It was left as it is.",
    "bad_excerpt": "An excerpt to share can be 1 to 1,000 characters long.",
    "no_reflection": "That step is not a reflection of this group's session.",
    # Pages and forms (app.py answers what Flask and Werkzeug refuse before Mend's code runs).
    "bad_request": "That request was incomplete, so nothing was changed. Go back and try again.",
    "form_expired": "Nothing was changed. Go back, reload the page and try again.",
    "too_large": "What you sent is larger than Mend accepts. Nothing was changed.",
    "busy": "Lots of people are arriving at once. This page will try again by itself in a few seconds.",
    # Joining a group (facilitation/cohorts.py)
    "bad_name": "Please choose another name.",
    "name_taken": "Someone in this group already has that name. Please choose another.",
    "name_reserved": "That name belongs to the people who run this group. Please choose another.",
    "waiting": "You're in the waiting room. A facilitator will let you in shortly; this page will open by itself.",
    "enrolment_closed": "This group is not taking new members. If you were invited, ask your facilitator.",
    # People and their account links (facilitation/people.py)
    "link_used": "This link has been used already: each one works once.",
    "link_expired": "This link has expired.",
    "link_withdrawn": "This link was withdrawn.",
    "no_such_role": "Choose a role: facilitator or administrator.",
    "has_account": "That email already has a Mend account.",
    "last_admin": "The organisation needs at least one active administrator. Make someone else one first.",
    "own_account": "You cannot deactivate your own account. Ask another administrator.",
}

# HTTP answers a refusal with 400 unless it says otherwise here.
HTTP_STATUS = {
    "not_found": 404,
    "too_long": 413,
    "too_large": 413,
    "forbidden": 403,
    "rate_limited": 429,
    "server_error": 500,
    "busy": 503,
    "link_used": 410,
    "link_expired": 410,
    "link_withdrawn": 410,
}
# The refusal for each HTTP error Flask or Werkzeug raises itself.
FROM_HTTP = {400: "bad_request", 404: "not_found", 413: "too_large", 429: "rate_limited"}
# A page's heading for a refusal that gives none of its own (details["title"]).
PAGE_TITLES = {
    "not_found": "Page not found",
    "rate_limited": "Please wait a moment",
    "bad_request": "Something was missing",
    "form_expired": "This form has expired",
    "too_large": "Too large",
    "busy": "One moment",
}
# What must not be known to exist gets the very page of a missing one, whatever the refusal said.
PAGE_NOT_FOUND = "There is nothing here. Check the link you were given."


class Refusal(Exception):
    """A refused request; `code` is for programs, `message` is a sentence for people."""

    def __init__(self, code: str, message: str | None = None, **details: object):
        self.code = code
        self.message = message or ERRORS[code]
        self.details = details
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_error(self) -> dict:
        """The refusal as an acknowledgement or a JSON answer: `{"ok": false, "error": {...}}`."""
        return {"ok": False, "error": {"code": self.code, "message": self.message}}
