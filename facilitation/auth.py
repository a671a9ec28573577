"""Facilitator accounts: sign in (rate-limited), sign out, change password, and the one-time links:
accepting an invitation, choosing a new password with a reset link, "Forgot my password".

A session cookie names the user and their session version (`User.get_id`); signing out or changing
the password raises the version, which ends every session signed in before, and closes the user's
open sockets.
"""

import secrets
from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from extensions import address_block, db, limiter, login_manager
from facilitation import audit, passwords
from facilitation.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
)
from facilitation.models import User
from refusals import Refusal
from sessions.live.models import Connection
from sessions.realtime import pushes
from sessions.realtime.plumbing import commit

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(alternative_id: str) -> User | None:
    """The user a session (or remember) cookie names, while the session version in it is current."""
    user_id, _, version = alternative_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of `user` signed in so far, once the caller commits: their cookies stop
    naming a user, and their open sockets (consoles, projectors) are closed."""
    user.session_version += 1
    user_id = user.id

    def sockets() -> list[str]:
        # Read after the commit: a socket that connected meanwhile is among them, or was refused by
        # its connect's own check of the version (sessions/live/events.py on_connect).
        return list(db.session.scalars(select(Connection.sid).where(Connection.user_id == user_id)))

    pushes.queue_disconnect(sockets)


def _failed(response) -> bool:
    # Only failed attempts use up the allowance; a facilitator who signs in is not slowed.
    return response.status_code != 302


def _account_and_address_key() -> str:
    # Per account alone, anyone could lock the real facilitator out by guessing from elsewhere.
    return "login:" + address_block() + ":" + request.form.get("email", "").strip().lower()[:254]


@cache
def _nobody_hash() -> str:
    """A hash that no password matches, made once: an email without an account costs the same
    password check as one with, so the answer's timing does not say which emails have accounts."""
    return passwords.hashed(secrets.token_urlsafe(32))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("facilitation.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("5 per minute;20 per hour", key_func=_account_and_address_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("facilitation.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        # The password is hashed once whether or not the email has an account (the same time for both).
        correct = passwords.matches(user.password_hash if user else _nobody_hash(), form.password.data)
        if user is not None and correct and not user.is_active:
            # Only someone who knows the password learns that the account exists and is deactivated.
            audit.record(None, "auth.sign_in_refused", target=user.email, organisation_id=user.organisation_id)
            commit()
            form.password.errors.append(
                "This account has been deactivated. Ask an administrator of your organisation to reactivate it."
            )
            return render_template("auth/login.html", form=form), 403
        if user is not None and correct:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        # A failed sign-in is not recorded in the audit trail: the write would make a wrong password for
        # an account take longer than one for an unknown email, telling a guesser which emails exist.
        form.password.errors.append("That email and password do not match an account.")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    end_sessions(current_user._get_current_object())
    commit()
    logout_user()
    # A fresh session also invalidates every CSRF token issued before sign-out.
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"], deduct_when=_failed)
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
            return render_template("auth/password.html", form=form), 400
        user = current_user._get_current_object()
        user.set_password(form.new.data)
        end_sessions(user)
        audit.record(user.id, "auth.password_change")
        commit()
        # This browser stays signed in, with the new version; every other session has ended.
        login_user(user)
        flash("Your password is changed. Any other device signed in to your account is signed out.")
        return redirect(url_for("facilitation.dashboard"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


# One-time links. A link's page and its form are the same URL; the token is in the path (so the
# Referrer-Policy keeps it from other sites, and nginx's log keeps only the kind of link).


LINK_GONE = ("link_used", "link_expired", "link_withdrawn")


def _unusable(refusal: Refusal, kind: str):
    """The page for a link that exists but can no longer be used, or the refusal's own for anything else."""
    if refusal.code not in LINK_GONE:
        raise refusal
    reason = refusal.code.removeprefix("link_")
    return render_template("auth/link_unusable.html", reason=reason, kind=kind), refusal.status


def _link_page(token: str, kind: str, form_class, template: str, use: Callable, welcome: Callable[[User], str]):
    """A one-time link's page: its form, then `use(link, form)` gives the account it signs in."""
    from facilitation import people

    try:
        link = people.usable_link(token, kind)
        form = form_class()
        if not form.validate_on_submit():
            return render_template(template, form=form, link=link), 400 if form.errors else 200
        user = use(link, form)
    except Refusal as refusal:
        return _unusable(refusal, kind)
    commit()
    session.clear()
    login_user(user)
    flash(welcome(user))
    return redirect(url_for("facilitation.dashboard"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def accept_invitation(token: str):
    from facilitation import people

    return _link_page(
        token,
        "invitation",
        AcceptInvitationForm,
        "auth/accept_invitation.html",
        lambda link, form: people.accept_invitation(link, form.name.data or "", form.password.data or ""),
        lambda user: f"Welcome to Mend, {user.name}. You are signed in.",
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def reset_password(token: str):
    from facilitation import people

    return _link_page(
        token,
        "reset",
        NewPasswordForm,
        "auth/reset_password.html",
        lambda link, form: people.reset_password(link, form.password.data or ""),
        lambda _user: "Your new password is set. Any device that was signed in to your account is signed out.",
    )


def _forgot_email_key() -> str:
    return "forgot:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_forgot_email_key, methods=["POST"])
def forgot_password():
    """Mails a reset link to an active account of an organisation that sends mail. The answer is the
    same whether or not the email has an account, and whatever the organisation's mail settings."""
    from facilitation import mail, people

    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = people.account_for(form.email.data)
        if user is not None and user.is_active and user.organisation.mail_configured:
            _link, token = people.issue_reset(user, by=None)
            mail.send(
                user.organisation,
                user.email,
                "Choose a new Mend password",
                render_template(
                    "auth/mail_reset.txt", user=user, url=url_for("auth.reset_password", token=token, _external=True)
                ),
            )
            commit()
        return render_template("auth/forgot_password_sent.html")
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200
