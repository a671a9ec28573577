"""Facilitator accounts: sign-in, sign-out, password change, rate limits, CSRF, the create-user command."""

import statistics
import time

from sqlalchemy import select

from extensions import db
from facilitation.models import Organisation, User
from tests.conftest import PASSWORD, csrf_token, sign_in


def password_is(app, user, password: str) -> bool:
    with app.app_context():
        return db.session.get(User, user.id).check_password(password)


def test_pages_need_sign_in(client):
    for url in ("/dashboard", "/programmes", "/cohorts/new", "/cohorts/1", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_sign_in_shows_the_dashboard(client, make_user):
    user = make_user()
    response = sign_in(client, user.email.upper())
    assert response.status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "My cohorts" in page
    assert "Sign out" in page


def test_wrong_password_is_refused_with_a_plain_message(client, make_user):
    user = make_user()
    response = sign_in(client, user.email, "not the password")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user()
    response = sign_in(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_repeated_failures_are_rate_limited(client, make_user):
    user = make_user()
    statuses = [sign_in(client, user.email, f"guess {n}").status_code for n in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    # Even the right password waits until the limit passes.
    assert sign_in(client, user.email).status_code == 429


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_guessing_from_one_address_does_not_lock_the_facilitator_out_elsewhere(app, client, make_user):
    user = make_user()
    attacker = from_address(app, "203.0.113.7")
    statuses = [sign_in(attacker, user.email, f"guess {n}").status_code for n in range(7)]
    assert statuses[5:] == [429, 429]
    assert sign_in(client, user.email).status_code == 302


def test_guesses_from_one_ipv6_block_count_together(app, make_user):
    user = make_user()
    statuses = [sign_in(from_address(app, f"2001:db8:1:2::{n + 1}"), user.email, "guess").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429


def test_one_address_guessing_many_accounts_is_slowed(app, make_user):
    attacker = from_address(app, "203.0.113.8")
    statuses = [sign_in(attacker, f"person{n}@example.org", "guess").status_code for n in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_an_unknown_email_takes_as_long_as_a_known_one(client, make_user):
    user = make_user()
    sign_in(client, "warm-up@example.org", "guess")  # the first unknown email makes the stand-in hash
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for attempt in range(4):
        for kind, email in (("known", user.email), ("unknown", f"nobody{attempt}@example.org")):
            token = csrf_token(client, "/login")
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "password": "a guess", "csrf_token": token})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 401
    # One password check each, alike within a generous margin (without the stand-in, 1 to 20 or worse).
    assert statistics.median(timings["unknown"]) > statistics.median(timings["known"]) / 3


def test_post_without_csrf_token_is_rejected_and_changes_nothing(app, signed_in):
    client, user = signed_in
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert password_is(app, user, PASSWORD)


def test_form_replayed_after_sign_out_is_rejected(app, signed_in):
    client, user = signed_in
    token = csrf_token(client, "/account/password")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, user.email)
    replay = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "replayed passphrase!",
            "confirm": "replayed passphrase!",
            "csrf_token": token,
        },
    )
    assert replay.status_code == 400
    assert password_is(app, user, PASSWORD)


def test_sign_out_ends_the_session(signed_in):
    client, _ = signed_in
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_change_password(app, signed_in):
    client, user = signed_in
    token = csrf_token(client, "/account/password")
    wrong = client.post(
        "/account/password",
        data={
            "current": "nope",
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    assert "not your current password" in wrong.get_data(as_text=True)
    short = client.post(
        "/account/password", data={"current": PASSWORD, "new": "short", "confirm": "short", "csrf_token": token}
    )
    assert "at least 10 characters" in short.get_data(as_text=True)
    done = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert password_is(app, user, "a brand new passphrase")
    assert not password_is(app, user, PASSWORD)


def test_open_redirect_after_sign_in_is_refused(client, make_user):
    user = make_user()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/dashboard")


def test_create_user_command(app, runner):
    result = runner.invoke(
        args=["mend", "create-user", "--email", "Ada@Example.org", "--org", "Riverside", "--admin"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert user.role == "admin"
        assert user.organisation.name == "Riverside"
        assert user.password_hash.startswith("scrypt:")
    again = runner.invoke(
        args=["mend", "create-user", "--email", "ada@example.org", "--org", "Riverside"],
        input="another long password\nanother long password\n",
    )
    assert again.exit_code != 0
    assert "already exists" in again.output
    with app.app_context():
        riversides = select(db.func.count()).select_from(Organisation).where(Organisation.name == "Riverside")
        assert db.session.scalar(riversides) == 1


def test_create_user_refuses_a_short_password(app, runner):
    result = runner.invoke(
        args=["mend", "create-user", "--email", "bo@example.org", "--org", "Riverside"], input="short\nshort\n"
    )
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "bo@example.org")) is None


def remember_cookie(app, user) -> str:
    """The remember-me cookie Flask-Login would set for `user` as they are now."""
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        return encode_cookie(db.session.get(User, user.id).get_id())


def test_a_remember_cookie_from_before_sign_out_signs_nobody_in(app, signed_in):
    client, user = signed_in
    before = remember_cookie(app, user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    stranger = app.test_client()
    stranger.set_cookie("remember_token", before)
    assert stranger.get("/dashboard").status_code == 302
    # A current one still would: the version, not the cookie's kind, is what ended it.
    current = app.test_client()
    current.set_cookie("remember_token", remember_cookie(app, user))
    assert current.get("/dashboard").status_code == 200


def test_a_session_cookie_without_a_version_signs_nobody_in(signed_in):
    client, user = signed_in
    # As a cookie signed in before session versions existed named its user.
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert client.get("/dashboard").status_code == 302
