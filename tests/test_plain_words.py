"""What a person can get wrong in an event (a quick poll's question and options, a reply, a message,
an answer, a time) is refused in plain words that say what to change, and changes nothing; a payload
only a program could get wrong keeps the neutral sentence for programs."""

import pytest

SINGLE = {"kind": "single", "question": "Which feels closest today?", "options": ["Calm", "Tense"]}


@pytest.fixture
def room(make_room):
    room = make_room(participants=3)
    room.start()
    room.forget()
    return room


@pytest.mark.parametrize(
    ("quick", "sentence"),
    [
        ({**SINGLE, "options": ["Calm"]}, "Give at least two options, one per line. “Pass” is offered by itself."),
        ({**SINGLE, "options": []}, "Give at least two options, one per line. “Pass” is offered by itself."),
        ({**SINGLE, "options": [str(n) for n in range(11)]}, "Give at most 10 options; there are 11."),
        ({**SINGLE, "options": ["Calm", "calm "]}, "Each option can appear only once, and “calm” is there twice."),
        ({**SINGLE, "options": ["Calm", "Pass"]}, "Leave “pass” out: every poll offers it by itself."),
        ({**SINGLE, "options": ["Calm", "x" * 81]}, "Keep each option to 80 characters or fewer."),
        ({**SINGLE, "question": "  "}, "Write the question first."),
        ({**SINGLE, "question": "q" * 201}, "Keep the question to 200 characters or fewer; it has 201."),
        (
            {"kind": "vote", "question": "Q"},
            "Choose the kind of poll: one choice, several choices, a scale, a few words or short text.",
        ),
        (
            {"kind": "scale", "question": "Q", "labels": ["Low"]},
            "A scale needs its two ends, one per line, such as “Not at all” and “Completely”.",
        ),
        (
            {"kind": "multiple", "question": "Q", "options": ["A", "B"], "max_picks": 3},
            "People can pick from 1 to 2 options; choose a number in that range.",
        ),
        (
            {"kind": "text", "question": "Q", "max_length": 5},
            "Answers can be from 20 to 500 characters long; choose a length in that range.",
        ),
    ],
)
def test_a_quick_poll_a_person_got_wrong_is_refused_in_plain_words(room, quick, sentence):
    version = room.version()
    ack = room.command("poll:open", quick=quick)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_payload", ack
    assert ack["error"]["message"] == sentence
    assert room.version() == version
    assert all(device.heard() == [] for device in room.everyone)


def test_what_people_type_elsewhere_is_refused_in_plain_words(room):
    console, ash = room.facilitator, room.participants[0]
    version = room.version()
    cases = [
        (console, "timer:start", {"version": version, "seconds": 5}, "The timer must run for at least 10 seconds."),
        (console, "timer:start", {"version": version, "seconds": 4 * 3600}, "The timer can run for at most 3 hours."),
        (console, "timer:add", {"version": version, "seconds": 7200}, "You can add at most 1 hour at once."),
        (
            console,
            "pause:acknowledge",
            {"signal": 1, "reply": "r" * 281},
            "The reply is too long: keep it to 280 characters or fewer.",
        ),
        (
            console,
            "message:participant",
            {"participant": 1, "text": ""},
            "The message is empty: write something first.",
        ),
        (
            console,
            "message:room",
            {"round": 1, "room": 1, "text": "m" * 501},
            "The message is too long: keep it to 500 characters or fewer.",
        ),
        (
            ash,
            "poll:answer",
            {"poll": 1, "answer": {"text": "a" * 2001}},
            "Your answer is too long: keep it to 2000 characters or fewer.",
        ),
        (ash, "poll:answer", {"poll": 1, "answer": {"words": ["a", "b", "c", "d"]}}, "Give at most 3 words."),
    ]
    for device, event, payload, sentence in cases:
        ack = device.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "bad_payload", (event, ack)
        assert ack["error"]["message"] == sentence, (event, ack)
    # What only a program gets wrong is told as such, naming the field for whoever wrote the program.
    ack = console.call("step:go", {"version": str(version), "position": 1})
    assert ack["error"]["message"].startswith("That request was not in the expected form (version")
    assert room.version() == version
