"""The audit trail: every action of a facilitator or administrator that touches people, settings,
reports, exports, removals, retention, keys or the programme, as who, what, when and which cohort.

The API other modules use, kept small and stable:

- `record(actor_id, action, *, cohort_id=None, target=None, details=None, organisation_id=None)`
  adds one entry and flushes; the caller commits, so the entry lands in the same transaction as the
  action it records (an action rolled back leaves no entry). `action` is a dotted name such as
  "people.invite" or "settings.change" (`ACTIONS` gives the known ones their sentence; any other
  `area.verb` name is accepted and shown as it is). The organisation is the actor's, else the
  cohort's, unless given. `target` names who or what was acted on (an email, "session 3"), and
  `details` is a small JSON object of what changed (`{"role": ["facilitator", "admin"]}`): never a
  participant's answer or journal, and a participant's name only where the action needs it.
- `entries(organisation_id, *, actor_id=None, action=None, cohort_id=None, since=None, until=None)`
  the select of matching entries, newest first.
- `delete_older_than(organisation_id, cutoff)` deletes the organisation's entries made before
  `cutoff` (an aware datetime) and returns how many; the retention job calls it with
  `now - organisation.audit_retention_days` and commits. `retention_cutoff(organisation, now)` says
  that moment.

Entries are never changed by the app: there is no update or delete other than retention.
"""

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select

from extensions import db
from facilitation.models import AuditEntry, Cohort, Organisation, User

# The sentence each known action is shown with; other modules may record other `area.verb` names.
ACTIONS: dict[str, str] = {
    "auth.sign_in_refused": "Sign-in refused (account deactivated)",
    "auth.password_change": "Changed their password",
    "auth.password_reset": "Chose a new password with a reset link",
    "auth.forgot_password": "Asked for a password reset by email",
    "people.invite": "Invited someone",
    "people.invitation_withdrawn": "Withdrew an invitation",
    "people.invitation_accepted": "Accepted an invitation",
    "people.role_change": "Changed a role",
    "people.deactivate": "Deactivated an account",
    "people.reactivate": "Reactivated an account",
    "people.reset_link": "Issued a password-reset link",
    "people.create_cli": "Created an account from the command line",
    "participant.admit": "Admitted a participant",
    "participant.remove": "Removed a participant",
    "records.report_view": "Opened a session report",
    "records.cohort_view": "Opened a cohort's record",
    "records.export": "Exported records",
    "safety.crisis_resources_edit": "Edited the crisis resources",
    "keys.journal_key_rotate": "Rotated the journal key",
    "programme.import": "Imported a programme",
    "audit.export": "Exported the audit trail",
    "settings.change": "Changed the organisation's settings",
    "settings.mail_test": "Sent a test mail",
    "retention.run": "Deleted records past their retention period",
    "cohort.create": "Created a cohort",
    "cohort.edit": "Edited a cohort",
    "cohort.archive": "Archived a cohort",
}

_ACTION_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")


def describe(action: str) -> str:
    return ACTIONS.get(action, action)


def record(
    actor_id: int | None,
    action: str,
    *,
    cohort_id: int | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Add one entry to the trail and flush; the caller's commit makes it (and its action) last."""
    if not _ACTION_NAME.match(action) or len(action) > 40:
        raise ValueError(f"an audit action is a dotted name of at most 40 characters, not {action!r}")
    if organisation_id is None and actor_id is not None:
        actor = db.session.get(User, actor_id)
        organisation_id = actor.organisation_id if actor is not None else None
    if organisation_id is None and cohort_id is not None:
        cohort = db.session.get(Cohort, cohort_id)
        organisation_id = cohort.organisation_id if cohort is not None else None
    entry = AuditEntry(
        organisation_id=organisation_id,
        actor_id=actor_id,
        action=action,
        cohort_id=cohort_id,
        target=target[:254] if target else None,
        details=details or None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(
    organisation_id: int,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    cohort_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEntry]:
    """The organisation's entries matching every filter given, newest first. Instance-wide entries
    (the journal key, rotated from the command line) are everyone's concern and match too."""
    query = select(AuditEntry).where(
        (AuditEntry.organisation_id == organisation_id) | AuditEntry.organisation_id.is_(None)
    )
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if cohort_id is not None:
        query = query.where(AuditEntry.cohort_id == cohort_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def retention_cutoff(organisation: Organisation, now: datetime) -> datetime:
    """Entries made before this moment are past the organisation's retention period."""
    return now - timedelta(days=organisation.audit_retention_days)


def delete_older_than(organisation_id: int, cutoff: datetime) -> int:
    """Delete the organisation's entries made before `cutoff`; flushes, the caller commits."""
    result = db.session.execute(
        delete(AuditEntry).where(AuditEntry.organisation_id == organisation_id, AuditEntry.at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has rowcount
