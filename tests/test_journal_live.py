"""The journal over a real server: writing in a reflection step and between sessions, conflicts between two
devices, limits, another person's entry, shared excerpts through moderation, deletion, and the canary: a
unique string written during a live session reaches no other socket, page, database file or log."""

import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

from diff_match_patch import diff_match_patch

from tests.live import Browser, LiveClient, make_group, started_group, wait_until
from tests.services import SCALED
from tests.test_links_live import make_personal_link

# Each test runs on the embedded default and on PostgreSQL with the Redis message queue.
BACKENDS = ("sqlite", SCALED)


def journal_url(group, path: str = "") -> str:
    return f"/g/{group.public_id}/journal{path}"


def save(browser: Browser, group, payload: dict):
    token = browser.token(journal_url(group))
    return browser.http.post(
        browser.server.url + journal_url(group, "/entries"),
        json=payload,
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        timeout=10,
    )


def paced(client, event: str, payload: dict | None = None) -> dict:
    """Send like a person would: this test drives a whole session faster than the per-connection limit."""
    ack = client.call(event, payload or {})
    if not ack["ok"] and ack["error"]["code"] == "rate_limited":
        time.sleep(1)
        ack = client.call(event, payload or {})
    return ack


def go_to(console, kind: str) -> int:
    state = paced(console, "snapshot")["state"]
    position = next(item["position"] for item in state["agenda"] if item["kind"] == kind)
    ack = paced(console, "step:go", {"version": state["version"], "position": position})
    assert ack["ok"], ack
    return position


def test_a_reflection_is_saved_as_written_and_found_again(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients)
    position = go_to(console, "reflection")
    session = console.latest["session"]["id"]
    ash = group.participants[0]
    first = save(
        ash, group, {"kind": "reflection", "text": "I felt", "reflection": {"session": session, "position": position}}
    )
    assert first.status_code == 200 and first.json()["ok"], first.text
    entry = first.json()["entry"]
    more = save(
        ash, group, {"kind": "reflection", "text": "I felt seen", "id": entry["id"], "revision": entry["revision"]}
    )
    assert more.json()["entry"]["revision"] == entry["revision"] + 1 and more.json()["conflict_copy"] is None
    found = ash.get(
        journal_url(group, f"/reflection?session={session}&position={position}"), headers={"Accept": "application/json"}
    )
    assert found.json()["entry"]["text"] == "I felt seen"
    assert found.headers["Cache-Control"] == "no-store"
    # Bo has no entry for the step, and the week's count says one person wrote, without saying who.
    other = group.participants[1].get(journal_url(group, f"/reflection?session={session}&position={position}"))
    assert other.json()["entry"] is None
    assert console.call("snapshot")["state"]["journal"] == {"week": 1, "writers": 1}
    page = ash.get(journal_url(group)).text
    assert "I felt seen" in page and "Week 1" in page
    # A step that is not a reflection cannot be written against.
    wrong = save(ash, group, {"kind": "reflection", "text": "x", "reflection": {"session": session, "position": 0}})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "no_reflection"


def test_two_devices_editing_at_once_keep_both_versions(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=None)
    phone = group.participants[0]
    # Two pages holding the same key (a personal link signs other devices out, so: two tabs, as it were).
    laptop = Browser(server)
    cookie = f"mend_p_{group.public_id}"
    laptop.http.cookies.set(cookie, phone.http.cookies.get(cookie))
    assert laptop.get(f"/g/{group.public_id}").status_code == 200
    entry = save(phone, group, {"kind": "free", "text": "started on the bus"}).json()["entry"]
    on_laptop = save(laptop, group, {"kind": "free", "text": "finished at home", "id": entry["id"], "revision": 1})
    assert on_laptop.json()["conflict_copy"] is None
    on_phone = save(phone, group, {"kind": "free", "text": "bus, later", "id": entry["id"], "revision": 1}).json()
    assert on_phone["ok"] and on_phone["conflict_copy"] and "Both versions are kept" in on_phone["message"]
    page = laptop.get(journal_url(group)).text
    assert "bus, later" in page and "finished at home" in page and "Conflict copy" in page
    # Saves racing at the same revision: every text survives.
    barrier = threading.Barrier(2)
    current = on_phone["entry"]["revision"]
    results = []

    def race(browser, text):
        barrier.wait()
        results.append(save(browser, group, {"kind": "free", "text": text, "id": entry["id"], "revision": current}))

    threads = [threading.Thread(target=race, args=(b, t)) for b, t in ((phone, "race one"), (laptop, "race two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    page = phone.get(journal_url(group)).text
    assert "race one" in page and "race two" in page


def test_bad_requests_are_refused_and_change_nothing(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash", "Bo"), open_week=None)
    ash, bo = group.participants
    entry = save(ash, group, {"kind": "free", "text": "mine alone"}).json()["entry"]
    too_long = save(ash, group, {"kind": "free", "text": "x" * 20_001, "id": entry["id"], "revision": 1})
    assert too_long.status_code == 413 and "20,000 characters" in too_long.json()["error"]["message"]
    # Bo asking for Ash's entry by id is told exactly what a made-up id is told.
    theirs = save(bo, group, {"kind": "free", "text": "overwrite", "id": entry["id"], "revision": 1})
    made_up = save(bo, group, {"kind": "free", "text": "overwrite", "id": "f" * 32, "revision": 1})
    assert theirs.status_code == made_up.status_code == 404 and theirs.json() == made_up.json()
    for path in (f"/entries/{entry['id']}", f"/entries/{entry['id']}/share"):
        assert bo.get(journal_url(group, path)).status_code == 404
    deleted = bo.post_form(journal_url(group, f"/entries/{entry['id']}/delete"), {}, token_from=journal_url(group))
    assert deleted.status_code == 404
    # Without the cookie or without the CSRF token, nothing at all.
    stranger = Browser(server)
    assert stranger.get(journal_url(group)).status_code == 404
    no_token = ash.http.post(
        server.url + journal_url(group, "/entries"), json={"kind": "free", "text": "x"}, timeout=10
    )
    assert no_token.status_code == 400
    bad = save(ash, group, {"kind": "poem", "text": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_entry"
    # Without JavaScript the editor posts a form: a refused save shows the text again with the reason.
    form = {"id": entry["id"], "revision": "1", "kind": "free", "title": "", "text": "long day " + "y" * 20_000}
    refused = ash.post_form(
        journal_url(group, "/entries"), form, token_from=journal_url(group, f"/entries/{entry['id']}")
    )
    assert refused.status_code == 413
    assert "up to 20,000 characters" in refused.text and "long day yyyy" in refused.text
    page = ash.get(journal_url(group)).text
    assert "mine alone" in page and "overwrite" not in page and "x" * 100 not in page and "long day" not in page


def test_a_shared_excerpt_reaches_the_room_only_after_approval_and_without_a_name(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients)
    ash = group.participants[0]
    entry = save(ash, group, {"kind": "free", "text": "What helped: someone simply stayed. Private part."}).json()[
        "entry"
    ]
    shared = ash.post_form(
        journal_url(group, f"/entries/{entry['id']}/share"), {"excerpt": "What helped: someone simply stayed."}
    )
    assert shared.status_code == 302
    wait_until(lambda: console.events("excerpt:queue"))
    [queued] = console.events("excerpt:queue")[-1]["pending"]
    assert queued["text"] == "What helped: someone simply stayed." and set(queued) == {"id", "text"}
    assert not any("someone simply stayed" in repr(payload) for p in people for _e, payload in p.received)
    after = len(people[1].states)
    ack = console.call(
        "excerpt:approve", {"version": console.call("snapshot")["state"]["version"], "excerpt": queued["id"]}
    )
    assert ack["ok"], ack
    state = people[1].wait_for(lambda s: s.get("shared"), after=after)
    assert state["shared"] == [{"id": queued["id"], "text": "What helped: someone simply stayed."}]
    assert console.call("snapshot")["state"]["excerpts"] == []
    again = console.call(
        "excerpt:approve", {"version": console.call("snapshot")["state"]["version"], "excerpt": queued["id"]}
    )
    assert again["error"]["code"] == "no_excerpt"
    assert people[0].call("excerpt:decline", {"excerpt": queued["id"]})["error"]["code"] == "forbidden"
    # The rest of the entry never left the journal.
    assert not any("Private part" in repr(payload) for c in [console, *people] for _e, payload in c.received)
    # A declined excerpt disappears without being shown.
    ash.post_form(journal_url(group, f"/entries/{entry['id']}/share"), {"excerpt": "second thought"})
    wait_until(lambda: console.events("excerpt:queue")[-1]["pending"])
    pending = console.events("excerpt:queue")[-1]["pending"][0]
    assert console.call("excerpt:decline", {"excerpt": pending["id"]})["ok"]
    assert console.call("snapshot")["state"]["excerpts"] == []
    assert all(item["text"] != "second thought" for item in people[1].call("snapshot")["state"]["shared"])


def test_deleting_everything_forgets_the_participant_everywhere(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy", "Di"), week=3)
    ash = group.participants[0]
    save(ash, group, {"kind": "free", "text": "to be gone"})
    # Ash leaves in the middle of a breakout round.
    go_to(console, "breakout")
    version = paced(console, "snapshot")["state"]["version"]
    assert paced(console, "breakout:propose", {"version": version, "ad_hoc": {"group_size": 2, "minutes": 5}})["ok"]
    state = paced(console, "snapshot")["state"]
    assert paced(console, "breakout:start", {"version": state["version"], "round": state["breakout"]["id"]})["ok"]
    link = make_personal_link(ash, group.public_id)
    page = ash.get(journal_url(group, "/delete")).text
    assert "cannot be undone" in page and "your place in" in page
    response = ash.post_form(journal_url(group, "/delete"), {})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert f"mend_p_{group.public_id}" not in ash.http.cookies
    wait_until(lambda: not people[0].client.connected)
    assert ash.get(link).status_code == 404
    assert Browser(server).get(link).status_code == 404
    team = paced(console, "snapshot")["state"]
    names = [p["name"] for p in team["presence"]["participants"]]
    assert "Ash" not in names and "Bo" in names
    assert "Ash" not in repr(team["breakout"]) and "Bo" in repr(team["breakout"])


def test_canary_reaches_only_its_author(server, demo_login, clients):
    """A unique string written in a live session with slides, a poll and a breakout round goes nowhere but
    to its author."""
    canary = f"canary-{uuid.uuid4().hex}"
    # Week 3 of the built-in course has slides, polls, an exercise in threes and a reflection.
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy"), week=3)
    projector = LiveClient(server, group.facilitator, group.public_id, "projector")
    ash_second_tab = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.extend([projector, ash_second_tab])
    ash = group.participants[0]

    def version() -> int:
        return paced(console, "snapshot")["state"]["version"]

    # A slide, then an anonymous poll, with a free entry written while the poll is open.
    go_to(console, "slide")
    go_to(console, "poll")
    assert paced(console, "poll:open", {"version": version()})["ok"]
    poll = paced(console, "snapshot")["state"]["poll"]["id"]
    assert save(ash, group, {"kind": "free", "text": f"during the poll {canary}"}).json()["ok"]
    for person in people:
        assert person.call("poll:answer", {"poll": poll, "answer": {"pass": True}})["ok"]
    assert paced(console, "poll:close", {"version": version()})["ok"]
    # A breakout round: Ash writes in the journal while in a room whose notes the others are editing.
    go_to(console, "breakout")
    assert paced(console, "breakout:propose", {"version": version()})["ok"]
    round_id = paced(console, "snapshot")["state"]["breakout"]["id"]
    assert paced(console, "breakout:start", {"version": version(), "round": round_id})["ok"]
    patch = diff_match_patch().patch_toText(diff_match_patch().patch_make("", "our room's notes"))
    assert people[1].call("breakout:notes", {"round": round_id, "revision": 0, "patch": patch})["ok"]
    tracker = {"kind": "trigger", "text": "", "title": f"T {canary}", "fields": {"underneath": f"grief {canary}"}}
    assert save(ash, group, tracker).json()["ok"]
    assert paced(console, "breakout:close", {"version": version(), "round": round_id})["ok"]
    # The reflection step, written and rewritten.
    reflection = go_to(console, "reflection")
    session = console.latest["session"]["id"]
    written = save(
        ash,
        group,
        {"kind": "reflection", "text": f"Today {canary}", "reflection": {"session": session, "position": reflection}},
    )
    assert written.json()["ok"], written.text
    entry = written.json()["entry"]
    save(
        ash,
        group,
        {"kind": "reflection", "text": f"Today {canary}, more", "id": entry["id"], "revision": entry["revision"]},
    )
    ash.post_form(journal_url(group), {})  # a stray form post: refused, nothing logged with text
    assert paced(console, "step:go", {"version": version(), "position": reflection + 1})["ok"]
    console_page = group.facilitator.get(f"/live/{group.live_session_id}/console")
    assert console_page.status_code == 200 and canary not in console_page.text
    assert paced(console, "session:end", {"version": version()})["ok"]
    # Every event every other socket received, and what their snapshots answer.
    wait_until(lambda: projector.latest["status"] == "ended")
    others = [console, projector, *people[1:]]
    for client in others:
        client.received.append(("snapshot-ack", client.call("snapshot")))
        assert client.received, "each socket must have received something"
        assert canary not in repr(client.received), f"canary reached a {client}"
    # The author's own second tab got nothing of the journal either: journal text is sent only as HTTP answers.
    assert canary not in repr(ash_second_tab.received)
    # Every facilitator screen.
    facilitator = group.facilitator
    pages = [
        f"/cohorts/{group.cohort_id}",
        "/dashboard",
        f"/live/{group.live_session_id}/projector",
        f"/cohorts/{group.cohort_id}/invitation",
    ]
    for path in pages:
        response = facilitator.get(path)
        assert response.status_code == 200, path
        assert canary not in response.text, path
    cohort_page = facilitator.get(f"/cohorts/{group.cohort_id}").text
    assert "wrote something in their private journal" in cohort_page and "Ash" in cohort_page
    # Facilitators cannot open the journal pages at all.
    assert facilitator.get(journal_url(group)).status_code == 404
    # Nothing in the raw database (file and write-ahead log, or a PostgreSQL dump), or the server's output.
    if server.env.get("DATABASE_URL"):
        dump = subprocess.run(["pg_dump", server.env["DATABASE_URL"]], capture_output=True, text=True, check=True)
        assert "journal" in dump.stdout and canary not in dump.stdout
    else:
        instance = Path(server.instance)
        for name in ("mend.db", "mend.db-wal", "mend.db-shm"):
            path = instance / name
            if path.exists():
                assert canary.encode() not in path.read_bytes(), name
        with sqlite3.connect(instance / "mend.db") as raw:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        assert canary.encode() not in (instance / "mend.db").read_bytes()
    assert canary not in server.text
    # The author's export has all of it.
    export = ash.get(journal_url(group, "/export.md"))
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert export.text.count(canary) == 4
    assert canary in ash.get(journal_url(group, "/print")).text
