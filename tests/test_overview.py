"""The organisation overview: every cohort, its facilitators, status, attendance trend and what
needs attention, for administrators only."""

from datetime import timedelta

from extensions import db
from facilitation.models import Cohort
from tests.conftest import csrf_token, sign_in
from tests.test_records import START, people, run_week


def test_an_admin_sees_every_cohort_with_its_trend_and_what_needs_attention(app, client, make_user, make_cohort):
    fran = make_user()
    sam = make_user("sam@example.org")
    admin = make_user("ada@example.org", role="admin")
    elsewhere = make_user("olu@example.org", organisation="Elsewhere")
    thursday, friday = make_cohort(fran), make_cohort(sam, name="Friday group")
    make_cohort(elsewhere, name="Not ours")
    with app.app_context():
        cohort = db.session.get(Cohort, thursday.id)
        ash, bo, cy = people(cohort, "Ash", "Bo", "Cy")
        run_week(cohort, 1, START, {ash: (0, 90), bo: (0, 90), cy: (0, 90)})
        run_week(cohort, 2, START + timedelta(weeks=1), {ash: (0, 90)})
        run_week(cohort, 3, START + timedelta(weeks=2), {ash: (0, 90)})
        db.session.get(Cohort, friday.id).archived_at = START
        db.session.commit()
    sign_in(client, admin.email)
    page = client.get("/overview").get_data(as_text=True)
    assert "Not ours" not in page
    assert page.index("Thursday group") < page.index("Friday group")  # the archived last
    thursday_row = page.split("Thursday group</a>")[1].split("</tr>")[0]
    assert "Fran" in thursday_row and "of 12 next" in thursday_row
    assert "3, 1, 1" in thursday_row and "Steady at 1" in thursday_row
    assert "2 missed the last two meetings" in thursday_row
    friday_row = page.split("Friday group</a>")[1].split("</tr>")[0]
    assert "Sam" in friday_row and "Archived" in friday_row and "No session yet" in friday_row
    # Not for facilitators.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, fran.email)
    assert client.get("/overview").status_code == 403
