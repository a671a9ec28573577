"""Configuration for running behind nginx and on PostgreSQL: the real client address, the right driver."""

import shutil

import pytest

from app import create_app
from config import postgres_driver
from tests.conftest import app_config


def guesses_until_refused(client, address: str) -> list[int]:
    return [client.get(f"/j/GUESS{n:03d}", headers={"X-Forwarded-For": address}).status_code for n in range(21)]


@pytest.mark.parametrize("trusted", [0, 1])
def test_rate_limits_count_each_person_behind_a_trusted_proxy(template_database, tmp_path, trusted):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(template_database, instance / "mend.db")
    client = create_app({**app_config(instance), "MEND_TRUSTED_PROXIES": trusted}).test_client()
    assert guesses_until_refused(client, "203.0.113.5")[-1] == 429
    other_person = client.get("/j/GUESS999", headers={"X-Forwarded-For": "203.0.113.6"}).status_code
    # Trusted: nginx's header names the person, who has their own allowance. Not trusted: everyone
    # behind the proxy shares one address, so one person's guesses lock out everybody.
    assert other_person == (404 if trusted else 429)


def test_postgresql_urls_use_psycopg2():
    assert postgres_driver("postgres://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("postgresql://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("postgresql+psycopg2://mend@db/mend") == "postgresql+psycopg2://mend@db/mend"
    assert postgres_driver("sqlite:////srv/mend.db") == "sqlite:////srv/mend.db"
