"""The journal beside a live session, in process (tests/fast.py): an entry never travels over the live
connection, an excerpt reaches the team without a name and the room only once approved, and deleting
everything ends the person's connections.

The same over a real server is tested in tests/test_journal_live.py.
"""

from tests.conftest import csrf_token

PRIVATE = "What helped: someone simply stayed. Private part 51c2."
EXCERPT = "What helped: someone simply stayed."


def journal_url(room, path: str = "") -> str:
    return f"/g/{room.cohort.public_id}/journal{path}"


def write(room, person, text: str) -> dict:
    token = csrf_token(person.http, journal_url(room))
    response = person.http.post(
        journal_url(room, "/entries"),
        json={"kind": "free", "text": text},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["entry"]


def share(room, person, entry_id: str, excerpt: str) -> None:
    page = journal_url(room, f"/entries/{entry_id}/share")
    response = person.http.post(page, data={"excerpt": excerpt, "csrf_token": csrf_token(person.http, page)})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_an_excerpt_reaches_the_team_without_a_name_and_the_room_only_once_approved(room):
    room.start()
    ash, bo, _cy = room.participants
    entry = write(room, ash, PRIVATE)
    assert all(PRIVATE not in repr(device.pushes()) for device in room.everyone)

    share(room, ash, entry["id"], EXCERPT)

    [queued] = room.facilitator.events("excerpt:queue")[-1]["pending"]
    assert queued["text"] == EXCERPT and set(queued) == {"id", "text"}
    assert all(EXCERPT not in repr(person.pushes()) for person in room.participants)
    assert bo.call("excerpt:approve", {"version": room.version(), "excerpt": queued["id"]})["error"]["code"] == (
        "forbidden"
    )

    assert room.command("excerpt:approve", excerpt=queued["id"])["ok"]

    for person in room.participants:
        assert person.state["shared"] == [{"id": queued["id"], "text": EXCERPT}]
    assert room.facilitator.events("excerpt:queue")[-1] == {"pending": []}
    assert room.command("excerpt:approve", excerpt=queued["id"])["error"]["code"] == "no_excerpt"
    # The rest of the entry never left the journal.
    assert all("Private part" not in repr(device.pushes()) for device in room.everyone)


def test_deleting_everything_ends_the_persons_connections_and_the_team_forgets_them(room):
    ash = room.participants[0]
    write(room, ash, "to be gone")
    page = journal_url(room, "/delete")

    response = ash.http.post(page, data={"csrf_token": csrf_token(ash.http, page)})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not ash.connected
    room.tasks.run()
    names = [person["name"] for person in room.facilitator.events("presence")[-1]["participants"]]
    assert names == ["Bo", "Cy"]
    assert room.participants[1].events("presence")[-1] == {"online": 2}
    # Their cookie is gone and the connect handler no longer knows them.
    room.connect(ash)
    assert not ash.connected and ash.socket.refusal["data"] == {"code": "not_allowed"}
