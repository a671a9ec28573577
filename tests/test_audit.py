"""The audit trail: entries land with their action, admins read and filter them and download a CSV,
nobody else sees them, and retention deletes the old ones."""

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from facilitation import audit
from facilitation.models import AuditEntry, Organisation
from tests.conftest import sign_in


def recorded(app, **where) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(db.session.scalars(query))


def table(response) -> str:
    """The entries' table of the audit page (the filters' list names every action too)."""
    page = response.get_data(as_text=True)
    return page.split('id="entries-heading"', 1)[1]


def test_an_entry_names_its_actor_organisation_and_cohort_and_lasts_only_with_a_commit(app, make_user, make_cohort):
    admin = make_user("ada@example.org", role="admin")
    cohort = make_cohort(admin)
    with app.app_context():
        audit.record(admin.id, "records.report_view", cohort_id=cohort.id, target="session 1")
        db.session.rollback()
        audit.record(admin.id, "records.export", cohort_id=cohort.id, details={"format": "csv"})
        db.session.commit()
    [entry] = recorded(app)
    assert (entry.action, entry.actor_id, entry.organisation_id, entry.cohort_id) == (
        "records.export",
        admin.id,
        admin.organisation_id,
        cohort.id,
    )
    assert entry.details == {"format": "csv"}


def test_admins_filter_the_trail_and_download_it_as_csv(client, app, make_user, make_cohort):
    admin = make_user("ada@example.org", role="admin")
    fran = make_user("fran@example.org")
    cohort = make_cohort(fran)
    with app.app_context():
        audit.record(fran.id, "records.report_view", cohort_id=cohort.id, target="session 1")
        audit.record(admin.id, "people.role_change", target="fran@example.org", details={"role": ["a", "b"]})
        audit.record(admin.id, "records.export", cohort_id=cohort.id, target="=HYPERLINK(1)")
        db.session.commit()
    sign_in(client, admin.email)
    page = table(client.get("/admin/audit"))
    assert "Opened a session report" in page and "Changed a role" in page
    only_fran = table(client.get(f"/admin/audit?person={fran.id}"))
    assert "Opened a session report" in only_fran and "Changed a role" not in only_fran
    by_action = table(client.get("/admin/audit?action=people.role_change"))
    assert "Changed a role" in by_action and "Opened a session report" not in by_action
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert "No entries" in client.get(f"/admin/audit?since={tomorrow}").get_data(as_text=True)
    assert client.get("/admin/audit?since=2026-02-02&until=2026-01-01").status_code == 400

    response = client.get(f"/admin/audit.csv?cohort={cohort.id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["action"] for row in rows] == ["records.export", "records.report_view"]
    assert rows[0]["target"] == "'=HYPERLINK(1)"
    assert rows[1]["email"] == "fran@example.org" and rows[1]["cohort"] == "Thursday group"
    # Downloading the trail is itself recorded.
    assert recorded(app, action="audit.export")[0].details["cohort_id"] == cohort.id


def test_a_facilitator_is_refused_and_another_organisation_sees_nothing(client, app, make_user):
    fran = make_user("fran@example.org")
    other = make_user("olu@elsewhere.org", organisation="Elsewhere", role="admin")
    with app.app_context():
        audit.record(fran.id, "records.export", target="secret-marker")
        db.session.commit()
    sign_in(client, fran.email)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
    client.post("/logout", data={})
    other_client = app.test_client()
    sign_in(other_client, other.email)
    assert "secret-marker" not in other_client.get("/admin/audit").get_data(as_text=True)
    assert "secret-marker" not in other_client.get("/admin/audit.csv").get_data(as_text=True)


def test_retention_deletes_only_the_organisations_old_entries(app, make_user):
    ada = make_user("ada@example.org", role="admin")
    olu = make_user("olu@elsewhere.org", organisation="Elsewhere", role="admin")
    now = datetime.now(UTC)
    with app.app_context():
        for actor in (ada, olu):
            old = audit.record(actor.id, "people.invite")
            old.at = now - timedelta(days=800)
            audit.record(actor.id, "people.invite")
        db.session.commit()
        organisation = db.session.get(Organisation, ada.organisation_id)
        assert organisation.audit_retention_days == 730
        assert audit.delete_older_than(ada.organisation_id, audit.retention_cutoff(organisation, now)) == 1
        db.session.commit()
        grouped = select(AuditEntry.organisation_id, func.count()).group_by(AuditEntry.organisation_id)
        counts = {organisation_id: count for organisation_id, count in db.session.execute(grouped)}
    assert counts == {ada.organisation_id: 1, olu.organisation_id: 2}
