"""The `flask --app app mend ...` commands: accounts, programmes and the journal key."""

import logging
from pathlib import Path

import click
from cryptography.exceptions import InvalidTag
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from extensions import db
from facilitation import audit
from facilitation.catalogue import import_programme
from facilitation.forms import MIN_PASSWORD
from facilitation.models import Organisation, User
from facilitation.programmes import ProgrammeError, load_programme
from sessions.realtime.plumbing import commit, rollback
from sessions.records.cli import export_cohort


@click.group()
def mend() -> None:
    """Manage Mend: accounts, programmes, the journal key and exports."""


def _migrate() -> None:
    """Bring the database up to date, quietly: a command prints its own result and nothing else, and
    Alembic (configured by migrations/alembic.ini) reports every step it takes at INFO."""
    logging.disable(logging.INFO)
    try:
        upgrade(directory=current_app.extensions["migrate"].directory)
    finally:
        logging.disable(logging.NOTSET)


def _load(path: Path):
    try:
        return load_programme(path)
    except ProgrammeError as error:
        for issue in error.issues:
            click.echo(str(issue), err=True)
        raise click.ClickException(f"{len(error.issues)} problem(s) found; nothing was imported.") from None


@mend.command("create-user")
@click.option("--email", required=True, help="Sign-in email, unique across Mend.")
@click.option("--org", "organisation_name", required=True, help="Organisation name; created if new.")
@click.option("--name", default="", help="Name shown to colleagues and participants (default: from the email).")
@click.option("--admin", is_flag=True, help="Make the user an administrator of the organisation.")
@click.password_option("--password", help="Prompted for when not given.")
@with_appcontext
def create_user(email: str, organisation_name: str, name: str, admin: bool, password: str) -> None:
    """Create a facilitator (or, with --admin, an organisation administrator)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("this is not an email address", param_hint="--email")
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"use at least {MIN_PASSWORD} characters", param_hint="--password")
    _migrate()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise click.ClickException(f"An account for {email} already exists.")
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == organisation_name.strip()))
    if organisation is None:
        organisation = Organisation(name=organisation_name.strip())
        db.session.add(organisation)
    user = User(
        organisation=organisation,
        email=email,
        name=name.strip() or email.split("@")[0],
        role="admin" if admin else "facilitator",
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(None, "people.create_cli", target=email, details={"role": user.role}, organisation_id=organisation.id)
    commit()
    click.echo(f"Created {user.role} {email} in {organisation.name}.")


@mend.command("check-programme")
@click.argument("path", type=click.Path(path_type=Path))
def check_programme(path: Path) -> None:
    """Validate a programme folder and report every problem with its file and line."""
    spec = _load(path)
    steps = sum(len(s.steps) for s in spec.sessions)
    click.echo(f"{spec.title}: {len(spec.sessions)} sessions, {steps} steps, no problems found.")


@mend.command("import-programme")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--org", "organisation_name", default=None, help="Only for this organisation (default: everyone).")
@with_appcontext
def import_programme_command(path: Path, organisation_name: str | None) -> None:
    """Import a programme folder (as a new version if it changed). Nothing is imported on error."""
    spec = _load(path)
    _migrate()
    organisation_id = None
    if organisation_name:
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == organisation_name))
        if organisation is None:
            raise click.ClickException(f"There is no organisation called {organisation_name}.")
        organisation_id = organisation.id
    programme, created = import_programme(spec, organisation_id)
    if created:
        audit.record(
            None,
            "programme.import",
            target=f"{programme.title}, version {programme.version}",
            organisation_id=organisation_id,
        )
    commit()
    if created:
        click.echo(f"Imported {programme.title}, version {programme.version}: {len(programme.sessions)} sessions.")
    else:
        click.echo(f"{programme.title} is unchanged; version {programme.version} stays current.")


@mend.command("rotate-journal-key")
@with_appcontext
def rotate_journal_key() -> None:
    """Re-wrap every participant's journal key under a new application key. Stop Mend first.

    Entries are not touched. The new key goes to the instance folder's journal_key (or, when the
    current key comes from MEND_JOURNAL_KEY, to journal_key.new for you to move into the environment).
    """
    from sessions.journal import crypto as journal_crypto
    from sessions.journal import keys as journal_keys

    _migrate()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    try:
        journal_keys.load_application_key(app)
    except journal_crypto.JournalKeyError as problem:
        raise click.ClickException(str(problem)) from None
    new_key = journal_crypto.new_key()
    instance = Path(app.instance_path)
    # Written before the database changes, so that a crash in between never loses the key the data needs.
    pending = instance / journal_crypto.NEW_KEY_FILE
    journal_crypto.write_key_file(pending, new_key)
    try:
        count = journal_keys.rotate_application_key(new_key)
    except InvalidTag:
        rollback()
        pending.unlink()
        raise click.ClickException(
            "A participant's journal key could not be unwrapped (the database was changed); nothing was rotated."
        ) from None
    audit.record(None, "keys.journal_key_rotate", details={"keys": count})
    commit()
    journal_keys.use_application_key(app, new_key)
    new_id = journal_crypto.key_id(new_key)
    if app.config.get("MEND_JOURNAL_KEY"):
        click.echo(
            f"Re-wrapped {count} journal key(s) under a new application key (key id {new_id}). "
            f"The new key is in {pending}: set MEND_JOURNAL_KEY to its contents, then delete that file. "
            "The old key no longer opens anything."
        )
        return
    target = instance / journal_crypto.KEY_FILE
    pending.replace(target)
    click.echo(
        f"Re-wrapped {count} journal key(s) under a new application key (key id {new_id}). "
        f"The new key replaced the old one in {target}. Back it up: without it, no journal can be read."
    )


mend.add_command(export_cohort)


@mend.command("retention")
@with_appcontext
def retention() -> None:
    """Delete what is past each organisation's retention period, now (for cron), and scrub the files.

    The same run as the one Mend does by itself every MEND_RETENTION_SECONDS; it waits for a run
    already under way in a server process rather than repeating it."""
    from datetime import UTC, datetime

    from facilitation.retention import run_and_scrub

    _migrate()
    outcome = run_and_scrub(current_app._get_current_object(), datetime.now(UTC), respect_claims=False)  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app
    if not (outcome.records or outcome.journals or outcome.audit_entries):
        click.echo("Nothing is past its retention period.")
        return
    if outcome.records:
        click.echo(
            f"Deleted the reports and attendance of {len(outcome.records)} cohort(s): {outcome.sessions} session(s)."
        )
    if outcome.journals:
        click.echo(
            f"Deleted the journals and places of {len(outcome.journals)} cohort(s): {outcome.participants} participant(s)."
        )
    if outcome.audit_entries:
        click.echo(f"Deleted {outcome.audit_entries} audit entries past their period.")
