"""The slowest notes edit one participant could send, against a real server: the server keeps answering
everyone else, and the sender gets a clear refusal (issue 17, "Bounded work per event").

A patch of two long deletions whose ends are in the notes and whose middles are not cost diff-match-patch's
fuzzy `patch_apply` about two seconds of CPU each on the one event loop; six of them froze every room.
"""

import threading
import time

import requests

from tests.live import LiveClient, make_group, wait_until

LETTERS = "klmnopqrstuvwxyz"
NOTES = "ab" * 2400


def long_deletions(notes: str) -> str:
    size = 2900
    middle = "".join(LETTERS[n % 16] for n in range(size - 64))
    return f"@@ -1,{size} +1,0 @@\n-{notes[:32]}{middle}{notes[size - 32 : size]}\n" * 2


def test_the_slowest_notes_edit_leaves_healthz_and_another_room_responsive(server, demo_login, clients):
    abusers = make_group(server, demo_login, names=("Ash", "Bo"))
    console = LiveClient(server, abusers.facilitator, abusers.public_id, "facilitator")
    abuser = LiveClient(server, abusers.participants[0], abusers.public_id, "participant")
    partner = LiveClient(server, abusers.participants[1], abusers.public_id, "participant")
    bystanders = make_group(server, demo_login, names=("Cy", "Dee"))
    bystander = LiveClient(server, bystanders.participants[0], bystanders.public_id, "participant")
    clients.extend([console, abuser, partner, bystander])
    version = console.call("session:start", {"version": console.latest["version"]})["version"]
    exercise = next(item["position"] for item in console.latest["agenda"] if item["kind"] == "breakout")
    version = console.call("step:go", {"version": version, "position": exercise})["version"]
    version = console.call("breakout:propose", {"version": version})["version"]
    round_id = console.call("snapshot")["state"]["breakout"]["id"]
    assert console.call("breakout:start", {"version": version, "round": round_id})["ok"]
    first = abuser.call(
        "breakout:notes", {"round": round_id, "revision": 0, "patch": f"@@ -0,0 +1,4800 @@\n+{NOTES}\n"}
    )
    assert first["ok"], first

    answers: list[dict] = []

    def abuse() -> None:
        payload = {"round": round_id, "revision": 1, "patch": long_deletions(NOTES)}
        answers.append(abuser.call("breakout:notes", payload, timeout=60))

    senders = [threading.Thread(target=abuse) for _ in range(6)]
    for sender in senders:
        sender.start()
    time.sleep(0.05)
    started = time.monotonic()
    health = requests.get(f"{server.url}/healthz", timeout=30)
    healthz_seconds = time.monotonic() - started
    started = time.monotonic()
    snapshot = bystander.call("snapshot", timeout=30)
    snapshot_seconds = time.monotonic() - started
    for sender in senders:
        sender.join(timeout=60)

    assert health.status_code == 200
    assert snapshot["ok"]
    # Seconds before (a second of CPU per edit), milliseconds now: a generous bound for a shared machine.
    assert healthz_seconds < 1.0 and snapshot_seconds < 1.0, (healthz_seconds, snapshot_seconds)
    wait_until(lambda: len(answers) == 6)
    codes = {answer["error"]["code"] for answer in answers}
    assert codes <= {"notes_conflict", "rate_limited"} and "notes_conflict" in codes, answers
    assert all(answer["error"]["message"].endswith(".") for answer in answers)
    assert abuser.call("snapshot")["state"]["you"]["breakout"]["room"]["notes"] == NOTES
