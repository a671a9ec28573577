"""Configuration for running behind nginx and on PostgreSQL: the real client address, the right driver."""

import shutil

import pytest

from app import create_app
from config import postgres_driver
from extensions import db
from facilitation.models import Organisation, User
from tests.conftest import CSRF_INPUT, PASSWORD, app_config


def tmp_app(template_database, tmp_path, **settings):
    instance = tmp_path / "proxied"
    instance.mkdir()
    shutil.copy(template_database, instance / "mend.db")
    return create_app({**app_config(instance), **settings})


def guesses_until_refused(client, address: str) -> list[int]:
    return [client.get(f"/j/GUESS{n:03d}", headers={"X-Forwarded-For": address}).status_code for n in range(21)]


@pytest.mark.parametrize("trusted", [0, 1])
def test_rate_limits_count_each_person_behind_a_trusted_proxy(template_database, tmp_path, trusted):
    client = tmp_app(template_database, tmp_path, MEND_TRUSTED_PROXIES=trusted).test_client()
    assert guesses_until_refused(client, "203.0.113.5")[-1] == 429
    other_person = client.get("/j/GUESS999", headers={"X-Forwarded-For": "203.0.113.6"}).status_code
    # Trusted: nginx's header names the person, who has their own allowance. Not trusted: everyone
    # behind the proxy shares one address, so one person's guesses lock out everybody.
    assert other_person == (404 if trusted else 429)


def test_forms_work_over_https_behind_the_proxy_without_a_referer(template_database, tmp_path):
    # Browsers send no Referer to Mend (its pages ask them not to), also when nginx serves HTTPS.
    app = tmp_app(template_database, tmp_path, MEND_TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        user = User(organisation=Organisation(name="Harbour"), email="fran@example.org", name="Fran")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    token = CSRF_INPUT.search(client.get("/login", headers=https).get_data(as_text=True)).group(1)
    signed_in = client.post(
        "/login", data={"email": "fran@example.org", "password": PASSWORD, "csrf_token": token}, headers=https
    )
    assert signed_in.status_code == 302


def test_postgresql_urls_use_psycopg2():
    assert postgres_driver("postgres://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("postgresql://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("postgresql+psycopg2://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("sqlite:////srv/mend.db") == "sqlite:////srv/mend.db"
