"""Joining a cohort over HTTP: new participants, returning ones, wrong codes and unusable names."""

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from facilitation.models import Cohort, Participant
from tests.conftest import csrf_token


@pytest.fixture
def cohort(make_user, make_cohort):
    return make_cohort(make_user())


def join(client, code: str, name: str, agree: bool = True):
    url = f"/j/{code}"
    data = {"display_name": name, "csrf_token": csrf_token(client, url)}
    if agree:
        data["agree"] = "y"
    return client.post(url, data=data)


def participant_count(app, cohort) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Participant).where(Participant.cohort_id == cohort.id)
        )


def test_join_page_shows_the_group_and_its_agreement(client, cohort):
    page = client.get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "Thursday group" in page
    assert "Fran" in page  # the facilitator
    assert "Pass" in page and "stays here" in page  # the default group agreement
    assert 'name="display_name"' in page


def cookie_secret(response) -> str:
    return response.headers["Set-Cookie"].split("=", 1)[1].split(";", 1)[0]


def make_link(client, cohort) -> str:
    """A personal link made on the group page, as its path."""
    token = csrf_token(client, f"/g/{cohort.public_id}")
    made = client.post(f"/g/{cohort.public_id}/link", data={"csrf_token": token})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    return re.search(r"http://[^/]+(/p/[\w-]+)", made.get_data(as_text=True)).group(1)


def test_a_new_participant_joins_and_can_make_a_personal_link(app, client, cohort):
    response = join(client, cohort.join_code, "  Sam  ")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"mend_p_{cohort.public_id}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    secret = cookie_secret(response)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You're in, Sam" in page
    # The cookie's secret is never on a page; a personal link is made on request, and is another secret.
    assert secret not in page and "/p/" not in page
    link = make_link(client, cohort)
    assert secret not in link
    with app.app_context():
        participant = db.session.scalar(select(Participant).where(Participant.cohort_id == cohort.id))
        assert participant.display_name == "Sam"
        assert participant.consented_at is not None
        # Only hashes of the secrets are kept.
        assert secret not in participant.rejoin_hash
        assert participant.link_hash is not None and link.removeprefix("/p/") not in participant.link_hash


def test_a_returning_participant_goes_straight_in(app, client, cohort):
    join(client, cohort.join_code, "Sam")
    again = client.get(f"/j/{cohort.join_code}")
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/g/{cohort.public_id}")
    assert "Welcome back, Sam" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert participant_count(app, cohort) == 1


def test_the_personal_link_works_once_on_another_device_and_signs_out_the_first(app, client, cohort):
    join(client, cohort.join_code, "Sam")
    link = make_link(client, cohort)
    other_device = app.test_client()
    assert other_device.get(f"/g/{cohort.public_id}").status_code == 404
    # Opening the link only shows a button, naming nobody: a link previewer uses nothing up.
    shown = other_device.get(link)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "Sam" not in shown.get_data(as_text=True) and "Thursday group" not in shown.get_data(as_text=True)
    assert other_device.get(link).status_code == 200
    response = other_device.post(link, data={"csrf_token": csrf_token(other_device, link)})
    assert response.status_code == 302
    assert "Welcome back, Sam" in other_device.get(response.headers["Location"]).get_data(as_text=True)
    # The link is used up, and the first device's cookie no longer opens the group.
    assert other_device.get(link).status_code == 404
    assert client.get(f"/g/{cohort.public_id}").status_code == 404


def test_a_new_link_replaces_the_old_one(app, client, cohort):
    join(client, cohort.join_code, "Sam")
    old = make_link(client, cohort)
    new = make_link(client, cohort)
    assert old != new
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200


def test_a_double_submitted_join_creates_one_participant(app, client, cohort):
    url = f"/j/{cohort.join_code}"
    data = {"display_name": "Sam", "agree": "y", "csrf_token": csrf_token(client, url)}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert participant_count(app, cohort) == 1


def test_codes_are_forgiving_about_case_and_dashes(client, cohort):
    typed = f"{cohort.join_code[:4].lower()}-{cohort.join_code[4:].lower()}"
    response = client.post("/join", data={"code": typed, "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/j/{cohort.join_code}")
    assert client.get(f"/j/{typed}").status_code == 200


def test_an_unknown_code_gets_a_friendly_page_that_names_no_group(client, cohort):
    response = client.get("/j/ZZZZ9999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "That code didn't work" in page
    assert "Thursday group" not in page


def test_a_regenerated_code_stops_working(app, client, cohort):
    with app.app_context():
        from facilitation.cohorts import regenerate_join_code

        regenerate_join_code(db.session.get(Cohort, cohort.id))
        db.session.commit()
    assert client.get(f"/j/{cohort.join_code}").status_code == 404


def test_guessing_codes_is_rate_limited(client, cohort):
    statuses = [client.get(f"/j/GUESS{n:03d}").status_code for n in range(21)]
    assert statuses[:20] == [404] * 20
    assert statuses[20] == 429
    # Even the right code now waits: guessing is slowed for everyone at that address.
    assert client.get(f"/j/{cohort.join_code}").status_code == 429


def test_guessing_personal_links_is_rate_limited(client, cohort):
    statuses = [client.get(f"/p/guess-{n:03d}").status_code for n in range(21)]
    assert statuses[:20] == [404] * 20
    assert statuses[20] == 429


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please choose a name"),
        ("    ", "Please choose a name"),
        ("x" * 41, "40 characters or fewer"),
        ("<b>Sam</b>", "without &lt; or &gt;"),
        ("Sam\x07", "invisible or control characters"),
        ("Sam\u202egnp.exe", "invisible or control characters"),
        ("Sa\u200bm", "invisible or control characters"),
    ],
)
def test_unusable_names_are_refused_and_nothing_is_created(app, client, cohort, name, message):
    response = join(client, cohort.join_code, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "mend_p_" not in response.headers["Set-Cookie"]
    assert participant_count(app, cohort) == 0


def test_joining_needs_agreement(app, client, cohort):
    response = join(client, cohort.join_code, "Sam", agree=False)
    assert response.status_code == 400
    assert "tick the box" in response.get_data(as_text=True)
    assert participant_count(app, cohort) == 0


def test_a_taken_name_gets_a_suggestion(app, client, cohort):
    join(client, cohort.join_code, "Sam")
    someone_else = app.test_client()
    response = join(someone_else, cohort.join_code, "sAM")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already called sAM" in page
    assert "sAM 2" in page
    assert join(someone_else, cohort.join_code, "sAM 2").status_code == 302
    assert participant_count(app, cohort) == 2


def test_the_same_name_in_another_cohort_is_fine(app, client, make_user, make_cohort, cohort):
    other = make_cohort(make_user("lee@example.org"), name="Monday group")
    join(client, cohort.join_code, "Sam")
    assert join(app.test_client(), other.join_code, "Sam").status_code == 302


def test_a_join_post_without_csrf_is_refused(app, client, cohort):
    response = client.post(f"/j/{cohort.join_code}", data={"display_name": "Sam", "agree": "y"})
    assert response.status_code == 400
    assert participant_count(app, cohort) == 0


def test_forgetting_the_device_leaves_nothing_to_replay(app, client, cohort):
    first = join(client, cohort.join_code, "Sam")
    secret = cookie_secret(first)
    link = make_link(client, cohort)
    token = csrf_token(client, f"/g/{cohort.public_id}")
    forgotten = client.post(f"/g/{cohort.public_id}/forget", data={"csrf_token": token})
    assert forgotten.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get(f"/g/{cohort.public_id}").status_code == 404
    # A copy of the deleted cookie is worthless, and it never was a link.
    replay = app.test_client()
    replay.set_cookie(f"mend_p_{cohort.public_id}", secret)
    assert replay.get(f"/g/{cohort.public_id}").status_code == 404
    assert client.get(f"/p/{secret}").status_code == 404
    # The link made before forgetting brings Sam back, once.
    back = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert back.status_code == 302
    assert "Welcome back, Sam" in client.get(back.headers["Location"]).get_data(as_text=True)
    assert participant_count(app, cohort) == 1


def test_a_forged_personal_link_leaks_nothing(client, cohort):
    response = client.get("/p/not-a-real-secret")
    assert response.status_code == 404
    assert "Thursday group" not in response.get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/p/not-a-real-secret", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Facilitator (Ana)", "Ana"),
        ("Moderator Bo", "Bo"),
        ("Host", None),
        ("admins", None),
        ("DemoFacilitator", None),
        ("Co-facilitator", None),
        ("Fàcilitator Sam", "Sam"),
        ("Fасilitator Sam", "Sam"),  # Cyrillic а and с
        ("Facilitator Fran", None),  # what is left is the facilitator's name
    ],
)
def test_a_name_that_claims_to_run_the_group_is_refused(app, client, cohort, name, suggestion):
    response = join(client, cohort.join_code, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "sounds like someone who runs the group" in page
    if suggestion:
        assert f"We've put “{suggestion}” in the box" in page
    else:
        assert 'id="suggestion"' not in page
    assert participant_count(app, cohort) == 0
    if suggestion:
        assert join(client, cohort.join_code, suggestion).status_code == 302


@pytest.mark.parametrize("name", ["Fran", "fran", "FRАN", "Ｆｒａｎ"])  # the last two: a Cyrillic А, full width
def test_the_facilitators_own_name_is_refused_with_another_offered(app, client, cohort, name):
    response = join(client, cohort.join_code, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is the name of this group&#39;s facilitator" in page
    assert f"We've put “{name} 2” in the box" in page
    assert participant_count(app, cohort) == 0


@pytest.mark.parametrize("look_alike", ["Ѕаm", "Ｓａｍ", "𝐒𝐚𝐦", "Sarn"])  # Cyrillic, full width, bold, r+n
def test_a_look_alike_of_a_members_name_is_refused(app, client, cohort, look_alike):
    assert join(client, cohort.join_code, "Sam").status_code == 302
    response = join(app.test_client(), cohort.join_code, look_alike)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"already has a name that looks just like {look_alike}" in page
    assert f"We've put “{look_alike} 2” in the box" in page
    assert participant_count(app, cohort) == 1


@pytest.mark.parametrize("name", ["Ghost", "Badminton", "Hostetler", "Francis", "Ana"])
def test_names_that_only_contain_such_words_are_welcome(app, client, cohort, name):
    assert join(client, cohort.join_code, name).status_code == 302


def test_a_closed_group_says_so_before_judging_a_name(app, client, cohort):
    with app.app_context():
        db.session.get(Cohort, cohort.id).enrolment_open = False
        db.session.commit()
    data = {"display_name": "Facilitator", "agree": "y", "csrf_token": csrf_token(client, "/")}
    page = client.post(f"/j/{cohort.join_code}", data=data).get_data(as_text=True)
    assert "not taking new members" in page
    assert "runs the group" not in page
    assert participant_count(app, cohort) == 0


def test_look_alike_names_from_before_the_upgrade_both_stay(app, client, cohort):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    def keys() -> dict[str, str]:
        rows = db.session.execute(text("SELECT display_name, name_key FROM participant ORDER BY id"))
        return dict(rows.all())

    with app.app_context():
        downgrade(revision="0009")
        for name in ("Sam", "Ѕаm", "Sarn"):  # all three look alike; case-folded, they were three keys
            db.session.execute(
                text(
                    "INSERT INTO participant (cohort_id, display_name, name_key, rejoin_hash, consented_at, "
                    "created_at, admitted_at) VALUES (:cohort, :name, :key, :hash, '2026-11-30 18:00:00', "
                    "'2026-11-30 18:00:00', '2026-11-30 18:00:00')"
                ),
                {"cohort": cohort.id, "name": name, "key": name.casefold(), "hash": f"hash of {name}"},
            )
        db.session.commit()
        upgrade()
        after = keys()
        assert after["Sam"] == "sarn"
        assert after["Ѕаm"] != after["Sarn"] and {after["Ѕаm"][:4], after["Sarn"][:4]} == {"sarn"}
        db.session.remove()
    # Everyone is still there, and a newcomer meets the first one's key.
    assert participant_count(app, cohort) == 3
    assert "looks just like SARN" in join(client, cohort.join_code, "SARN").get_data(as_text=True)
    with app.app_context():
        downgrade(revision="0009")
        assert keys() == {"Sam": "sam", "Ѕаm": "ѕаm", "Sarn": "sarn"}
        upgrade()
