"""A crowd arriving faster than the database can serve them: the person whose page cannot get a
database connection in time reads that lots of people are arriving, and the page comes by itself.
On PostgreSQL (skipped without it, unless CI=true), with a pool of two connections."""

import re
import threading

import pytest
import requests

from tests.browser.conftest import PHONE, axe_violations, screenshot
from tests.live import Browser, live_server
from tests.services import postgres_database


@pytest.fixture
def database():
    with postgres_database() as url:
        yield url


@pytest.fixture
def server(tmp_path, database):
    # Two connections (starting up takes two), waited for a second: pages that hold both keep the next
    # one waiting past that.
    pool = {"MEND_DB_POOL_SIZE": "2", "MEND_DB_MAX_OVERFLOW": "0", "MEND_DB_POOL_TIMEOUT": "1"}
    with live_server(tmp_path / "instance", DATABASE_URL=database, **pool) as running:
        yield running


def test_a_page_that_waits_too_long_for_the_database_says_lots_of_people_are_arriving(
    server, database, open_page, demo_login, console_errors
):
    import psycopg2

    facilitator = Browser(server).sign_in(*demo_login)
    cohort = re.search(r'href="(/cohorts/\d+)"', facilitator.get("/dashboard").text).group(1)
    join_url = re.search(r"/j/[A-Z0-9]{8}", facilitator.get(cohort).text).group(0)

    # Two other people's page loads hold the pool's connections: their reads of the cohort wait behind
    # a lock, as requests wait for a busy database.
    locker = psycopg2.connect(database)
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE cohort IN ACCESS EXCLUSIVE MODE")
        held = [
            threading.Thread(target=requests.get, args=(f"{server.url}{join_url}",), kwargs={"timeout": 60})
            for _ in range(2)
        ]
        for load in held:
            load.start()
        phone = open_page(PHONE)
        answer = phone.goto(join_url)
        assert answer.status == 503
        assert phone.get_by_role("heading").first.is_visible()
        assert "Lots of people are arriving at once" in phone.inner_text("main")
        assert phone.get_by_role("link", name="Try again now").is_visible()
        assert axe_violations(phone) == []
        # The browser reports the refused page itself as a failed load; nothing else failed.
        refused = [e for e in console_errors if "status of 503" in e]
        assert len(refused) == 1
        console_errors.remove(refused[0])
        screenshot(phone, "busy-page-phone")
    finally:
        locker.rollback()
        locker.close()
    for load in held:
        load.join(timeout=60)
    # The busy page loads the same address again by itself: the join form, without a tap.
    phone.wait_for_selector("#display_name", timeout=15_000)
    assert phone.url.endswith(join_url)
