"""A page that cannot get a database connection in time asks the browser to come back, rather than
failing: on PostgreSQL, with every connection of the pool held, as when a crowd arrives at once."""

import flask_migrate

from app import create_app
from config import postgres_driver
from extensions import db
from tests.conftest import app_config
from tests.services import postgres_database


def test_a_page_without_a_free_database_connection_says_one_moment_and_tries_again(tmp_path):
    with postgres_database() as url:
        config = {
            **app_config(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": postgres_driver(url),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3},
        }
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade()
            db.session.remove()
            held = db.engine.connect()  # the pool's one connection, as a long request holds it
            try:
                page = app.test_client().get("/j/ABCDEFGH")
                answer = app.test_client().get("/j/ABCDEFGH", headers={"Accept": "application/json"})
            finally:
                held.close()
            # Retry-After is set (Flask-Limiter writes its own figure into it when its headers are on).
            assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
            text = page.get_data(as_text=True)
            assert "Lots of people are arriving at once" in text and 'href="/j/ABCDEFGH" data-retry-after="3"' in text
            assert answer.status_code == 503 and answer.get_json()["code"] == "busy"
            # With the connection free again, the same page answers as it always does.
            assert app.test_client().get("/j/ABCDEFGH").status_code == 404
            db.engine.dispose()
