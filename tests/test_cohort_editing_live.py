"""A co-facilitator added to a cohort mid-course, on a real server with real Socket.IO clients: refused
before, and from their next connection on they have the console and receive the pause alerts."""

import re

import pytest
import socketio

from tests.live import LiveClient, create_facilitator, make_group, wait_until

CASEY = ("casey@mend.example", "casey-facilitator-password")


def test_a_co_facilitator_added_mid_course_gets_the_console_and_pause_alerts_at_the_next_connect(
    server, demo_login, clients
):
    group = make_group(server, demo_login, names=("Ash", "Bo"))
    presenting = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    ash = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.extend([presenting, ash])
    assert presenting.call("session:start", {"version": presenting.latest["version"]})["ok"]
    casey = create_facilitator(server, *CASEY, "Demo organisation", name="Casey")

    # Not yet a facilitator of this cohort: no console, no connection.
    console_url = f"/live/{group.live_session_id}/console"
    assert casey.get(console_url).status_code == 404
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(server, casey, group.public_id, "facilitator", reconnection=False)

    edit_url = f"/cohorts/{group.cohort_id}/edit"
    form = group.facilitator.get(edit_url).text
    options = dict(
        (label.split(" (")[0], value)
        for value, label in re.findall(r'<option (?:selected )?value="(\d+)"[^>]*>([^<]+)<', form)
    )
    saved = group.facilitator.post_form(
        edit_url,
        {
            "name": "Live test group",
            "facilitators": [options["Demo Facilitator"], options["Casey"]],
            "start_date": "2026-11-02",
            "weekday": "0",
            "start_time": "18:00",
            "timezone": "Europe/London",
            "meeting_place": "Room 4, Harbour House",
        },
    )
    assert saved.status_code == 302, saved.text

    # Their next page load and connection: the console, and the team's pause alerts.
    assert casey.get(console_url).status_code == 200
    colleague = LiveClient(server, casey, group.public_id, "facilitator")
    clients.append(colleague)
    assert colleague.latest["status"] == "live"
    assert ash.call("pause:raise", {})["ok"]
    for facilitator in (presenting, colleague):
        wait_until(lambda f=facilitator: f.events("safety:signals"))
        assert [s["name"] for s in facilitator.events("safety:signals")[-1]["signals"]] == ["Ash"]
    assert colleague.call("pause:acknowledge", {"signal": colleague.events("safety:signals")[-1]["new"]})["ok"]
