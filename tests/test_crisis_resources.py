"""Crisis resources and the quick exit over HTTP: every participant page links to them, administrators
edit the lines with every field checked, and the neutral default stands in when there are none."""

from extensions import db
from facilitation.models import Organisation
from tests.conftest import csrf_token, sign_in
from tests.test_join import join

FORM = "/organisation/crisis-resources"


def rows(*lines: dict) -> dict:
    data = {}
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{name}": value for name, value in line.items()})
    return data


def save(client, *lines: dict):
    return client.post(FORM, data={**rows(*lines), "csrf_token": csrf_token(client, FORM)})


def stored(app, organisation_id: int) -> list:
    with app.app_context():
        return db.session.get(Organisation, organisation_id).crisis_resources


def test_every_participant_page_offers_crisis_support_and_a_quick_exit(client, make_user, make_cohort):
    cohort = make_cohort(make_user())
    pages = {
        "/": "/support",
        f"/j/{cohort.join_code}": f"/support/{cohort.public_id}",
        "/j/WRONGCODE": "/support",
        "/g/not-a-group": "/support",
        f"/support/{cohort.public_id}": f"/support/{cohort.public_id}",
    }
    for path, support in pages.items():
        page = client.get(path).get_data(as_text=True)
        assert f'href="{support}"' in page, path
        assert "data-quick-exit" in page and 'data-exit-url="/away"' in page, path
        assert "js/quick-exit.js" in page, path
    assert join(client, cohort.join_code, "Sam").status_code == 302
    group = client.get(f"/g/{cohort.public_id}").get_data(as_text=True)
    assert f'href="/support/{cohort.public_id}"' in group and "data-quick-exit" in group
    assert 'id="pause-button"' in group
    # The pages that ask before something is deleted or forgotten are participant pages too.
    for path in (f"/g/{cohort.public_id}/journal/delete", f"/g/{cohort.public_id}/forget"):
        page = client.get(path).get_data(as_text=True)
        assert f'href="/support/{cohort.public_id}"' in page and "data-quick-exit" in page, path


def test_the_quick_exit_page_says_nothing_about_mend(client):
    response = client.get("/away")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>New tab</title>" in page
    assert "Mend" not in page and "mend" not in page.lower().replace("recommend", "")
    assert response.headers["Cache-Control"] == "no-store"


def test_an_administrator_saves_lines_by_country_and_participants_see_them(app, client, make_user, make_cohort):
    admin = make_user("boss@example.org", role="admin")
    cohort = make_cohort(admin)
    sign_in(client, admin.email)
    assert client.get(FORM).status_code == 200
    response = save(
        client,
        {"country": "United Kingdom", "name": "Samaritans", "phone": "116 123", "notes": "Free, day or night"},
        {"country": "", "name": "", "phone": "", "text": "", "url": "", "notes": ""},
        {"country": "Ireland", "name": "Text About It", "text": "Text HELLO to 50808", "url": "https://example.ie"},
    )
    assert response.status_code == 302
    assert stored(app, admin.organisation_id) == [
        {
            "country": "United Kingdom",
            "name": "Samaritans",
            "phone": "116 123",
            "text": "",
            "url": "",
            "notes": "Free, day or night",
        },
        {
            "country": "Ireland",
            "name": "Text About It",
            "phone": "",
            "text": "Text HELLO to 50808",
            "url": "https://example.ie",
            "notes": "",
        },
    ]
    # The form shows the saved lines and three empty rows.
    form = client.get(FORM).get_data(as_text=True)
    assert 'value="Samaritans"' in form and 'id="lines-4-country"' in form and 'id="lines-5-country"' not in form
    page = client.get(f"/support/{cohort.public_id}").get_data(as_text=True)
    assert page.index("United Kingdom") < page.index("Samaritans") < page.index("Ireland")
    assert 'href="tel:116123"' in page and "Text HELLO to 50808" in page
    assert "local emergency number" in page


def test_bad_lines_are_explained_and_change_nothing(app, client, make_user):
    admin = make_user("boss@example.org", role="admin")
    sign_in(client, admin.email)
    before = stored(app, admin.organisation_id)
    cases = [
        ({"name": "No country", "phone": "116 123"}, "Say which country"),
        ({"country": "UK", "phone": "116 123"}, "Give the line&#39;s name"),
        ({"country": "UK", "name": "Nothing to reach"}, "at least a phone number"),
        ({"country": "UK", "name": "Letters", "phone": "call us"}, "Write the number with digits"),
        ({"country": "UK", "name": "Script", "url": "javascript:alert(1)"}, "starting with https://"),
        ({"country": "UK", "name": "Long", "phone": "1" * 31}, "Keep the phone number to 30 characters or fewer."),
        ({"country": "UK", "name": "N" * 121, "phone": "116 123"}, "Keep the name to 120 characters or fewer."),
    ]
    for line, message in cases:
        response = save(client, line)
        assert response.status_code == 400, line
        assert message in response.get_data(as_text=True), line
    assert stored(app, admin.organisation_id) == before


def test_every_number_is_a_tel_link_dialled_as_digits(app, client, make_user, make_cohort):
    admin = make_user("boss@example.org", role="admin")
    cohort = make_cohort(admin)
    sign_in(client, admin.email)
    response = save(
        client,
        {"country": "UK", "name": "Samaritans", "phone": "116 123"},
        {"country": "UK", "name": "Brackets and dots", "phone": "+44 (0) 800-111.222"},
        {"country": "Anywhere", "name": "Local", "phone": "(020) 7946 0000"},
    )
    assert response.status_code == 302
    page = client.get(f"/support/{cohort.public_id}").get_data(as_text=True)
    for dialled, written in (
        ("116123", "116 123"),
        ("+44800111222", "+44 (0) 800-111.222"),
        ("02079460000", "(020) 7946 0000"),
    ):
        assert f'href="tel:{dialled}">{written}</a>' in page, written
    # The emergency numbers, on every support page, with or without the organisation's lines.
    for path in (f"/support/{cohort.public_id}", "/support"):
        page = client.get(path).get_data(as_text=True)
        for number in ("112", "999", "911", "000"):
            assert f'href="tel:{number}">{number}</a>' in page, (path, number)


def test_only_administrators_edit_crisis_resources(client, make_user):
    facilitator = make_user()
    sign_in(client, facilitator.email)
    response = client.get(FORM)
    assert response.status_code == 403
    assert "Only an administrator" in response.get_data(as_text=True)
    assert client.post(FORM, data={"lines-0-name": "x"}).status_code in (400, 403)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert client.get(FORM).status_code == 302  # to the sign-in page


def test_the_neutral_default_stands_in_without_lines_or_for_an_unknown_group(client, make_user, make_cohort):
    cohort = make_cohort(make_user())
    for path in ("/support", f"/support/{cohort.public_id}", "/support/no-such-group"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "If you or someone else is in danger right now" in page and "112" in page
        assert 'class="crisis-line"' not in page
        assert response.headers["Cache-Control"] == "no-store"
