"""`flask mend export-cohort`: a cohort's whole record as one archive, as the browser gives it."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from extensions import db
from facilitation import audit
from facilitation.models import Cohort
from sessions.realtime.plumbing import commit
from sessions.records.exports import cohort_archive


@click.command("export-cohort")
@click.argument("cohort_id", type=int)
@click.option("--to", "target", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@with_appcontext
def export_cohort(cohort_id: int, target: Path) -> None:
    """Write cohort COHORT_ID's record (attendance, aggregate results, session reports) as a zip of CSV and PDF."""
    from facilitation.cli import _migrate  # the command group's module imports this one

    _migrate()
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise click.ClickException(f"There is no cohort {cohort_id}; nothing was written.")
    data = cohort_archive(cohort)
    # Owner-only, as the database is: the archive names people and holds the team's notes.
    target.touch(mode=0o600, exist_ok=True)
    target.write_bytes(data)
    audit.record(
        None,
        "records.export",
        cohort_id=cohort.id,
        details={"file": "record.zip", "from": "command line"},
        organisation_id=cohort.organisation_id,
    )
    commit()
    click.echo(f"Wrote {target} ({len(data):,} bytes). It names people: keep it as you keep case notes.")
