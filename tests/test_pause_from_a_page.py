""" "I need a pause" from a journal page, over a real server: the page holds no live connection, so it
posts; the signal is the same one the live view raises, it reaches every facilitator and the person's
own devices and no one else, and between sessions there is no one to ask."""

from tests.live import LiveClient, make_group, open_session, wait_until

JSON = {"Accept": "application/json"}
SHOWN_PANEL, HIDDEN_PANEL = 'aria-label="Your pause request">', 'aria-label="Your pause request" hidden>'


def journal_post(browser, group, path: str, **headers):
    data = {"csrf_token": browser.token(f"/g/{group.public_id}/journal"), "back": f"/g/{group.public_id}/journal"}
    return browser.http.post(
        f"{browser.server.url}/g/{group.public_id}{path}", data=data, headers=headers, timeout=10, allow_redirects=False
    )


def test_a_journal_page_raises_the_same_pause_the_team_sees(server, demo_login, clients):
    group = make_group(server, demo_login, open_week=None)
    ash, bo = group.participants[:2]
    # Between sessions no one is there to answer: the journal offers no pause, and a post is refused.
    assert 'id="pause-button"' not in ash.get(f"/g/{group.public_id}/journal").text
    refused = journal_post(ash, group, "/pause", **JSON)
    assert refused.status_code == 400 and refused.json()["code"] == "no_session"
    asked = ash.http.get(f"{server.url}/g/{group.public_id}/pause", headers=JSON, timeout=10)
    assert asked.status_code == 400 and asked.json()["code"] == "no_session"

    open_session(group, 1)
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    ash_live = LiveClient(server, ash, group.public_id, "participant")
    bo_live = LiveClient(server, bo, group.public_id, "participant")
    clients.extend([console, ash_live, bo_live])
    version = console.call("snapshot")["state"]["version"]
    assert 'id="pause-button"' in ash.get(f"/g/{group.public_id}/journal").text

    answer = journal_post(ash, group, "/pause", **JSON)
    assert answer.status_code == 200 and answer.json() == {
        "ok": True,
        "pause": {"status": "raised", "from": None, "reply": None},
    }
    wait_until(lambda: console.events("safety:signals"))
    alert = console.events("safety:signals")[-1]
    assert [s["name"] for s in alert["signals"]] == ["Ash"] and alert["new"] == alert["signals"][0]["id"]
    # The group page open on another device learns of it; nobody else hears anything, not even a version.
    wait_until(lambda: ash_live.events("pause:status"))
    assert ash_live.events("pause:status")[-1]["status"] == "raised"
    assert [e for e, _ in bo_live.received if e in ("safety:signals", "pause:status")] == []
    assert console.call("snapshot")["state"]["version"] == version
    # The journal page shows it from then on, with "I'm OK now"; a second tap is the same request.
    page = ash.get(f"/g/{group.public_id}/journal").text
    assert SHOWN_PANEL in page and "Your facilitators know you need a pause." in page and "I'm OK now" in page
    assert journal_post(ash, group, "/pause", **JSON).json()["ok"]
    assert len(console.events("safety:signals")) == 1

    # A journal page open meanwhile asks how the request stands: only the person's own.
    status = f"{server.url}/g/{group.public_id}/pause"
    assert ash.http.get(status, headers=JSON, timeout=10).json() == answer.json()
    assert bo.http.get(status, headers=JSON, timeout=10).json() == {"ok": True, "pause": None}
    signal = alert["signals"][0]["id"]
    assert console.call("pause:acknowledge", {"signal": signal, "reply": "Take your time."})["ok"]
    assert "Demo Facilitator has seen it" in ash.get(f"/g/{group.public_id}/journal").text
    asked = ash.http.get(status, headers=JSON, timeout=10)
    assert asked.headers["Cache-Control"] == "no-store"
    assert asked.json()["pause"] == {"status": "acknowledged", "from": "Demo Facilitator", "reply": "Take your time."}

    # Without scripts the post answers with the journal page again.
    ok = journal_post(ash, group, "/pause/ok")
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/g/{group.public_id}/journal")
    wait_until(lambda: console.events("safety:signals")[-1]["signals"][0]["resolved_at"] is not None)
    wait_until(lambda: ash_live.events("pause:status")[-1]["status"] == "resolved")
    assert HIDDEN_PANEL in ash.get(f"/g/{group.public_id}/journal").text
    # A journal post cannot send a person elsewhere.
    data = {"csrf_token": ash.token(f"/g/{group.public_id}/journal"), "back": "https://elsewhere.example/"}
    away = ash.http.post(f"{server.url}/g/{group.public_id}/pause", data=data, timeout=10, allow_redirects=False)
    assert away.headers["Location"].endswith(f"/g/{group.public_id}/journal")


def test_a_flood_of_journal_taps_is_refused_kindly(server, demo_login, clients):
    group = make_group(server, demo_login)
    ash = group.participants[0]
    answers = [journal_post(ash, group, "/pause", **JSON) for _ in range(7)]
    assert all(answer.json()["ok"] for answer in answers[:5])
    assert answers[5].status_code == 429
    assert "already have your request" in answers[5].json()["message"]
