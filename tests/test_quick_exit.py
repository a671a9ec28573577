"""Quick exit goes where the organisation's settings say (issue 20), else to the deployment's
address, else to Mend's own blank page."""

import re

from extensions import db
from facilitation.cohorts import join_cohort
from facilitation.models import Cohort
from sessions.live.identity import cookie_name


def exit_url(page: str) -> str:
    return re.search(r'data-exit-url="([^"]+)"', page).group(1)


def test_quick_exit_follows_the_organisations_setting(app, client, make_user, make_cohort):
    cohort = make_cohort(make_user())
    with app.app_context():
        stored = db.session.get_one(Cohort, cohort.id)
        _participant, secret = join_cohort(stored, "Ash")
        db.session.commit()
    client.set_cookie(cookie_name(stored), secret)
    assert exit_url(client.get(f"/g/{cohort.public_id}").get_data(as_text=True)) == "/away"
    with app.app_context():
        db.session.get_one(Cohort, cohort.id).organisation.quick_exit_url = "https://weather.example/today"
        db.session.commit()
    assert exit_url(client.get(f"/g/{cohort.public_id}").get_data(as_text=True)) == "https://weather.example/today"
    # The join page of the same group too.
    stranger = app.test_client()
    assert exit_url(stranger.get(f"/j/{cohort.join_code}").get_data(as_text=True)) == "https://weather.example/today"
