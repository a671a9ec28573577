"""The `flask --app app mend ...` commands, run as a person runs them: each prints its own words only.

In-process tests (`runner.invoke`) cannot see what the `flask` command itself prints before and
around a command, such as eventlet patching too late, so these run the real executable.
"""

import os
import subprocess
import sys
from pathlib import Path

from facilitation.cli import mend
from tests.live import PROJECT_ROOT

COURSE = PROJECT_ROOT / "facilitation" / "content" / "repairing-attachment-injuries"
FLASK = Path(sys.executable).with_name("flask")


def run_mend(instance: Path, *arguments: str) -> subprocess.CompletedProcess:
    """`.venv/bin/flask --app app mend ...` in the project folder, with the environment a person has:
    no async mode chosen (eventlet, the default), the instance folder given."""
    environment = {key: value for key, value in os.environ.items() if key != "MEND_ASYNC_MODE"}
    environment["MEND_INSTANCE_PATH"] = str(instance)
    return subprocess.run(
        [str(FLASK), "--app", "app", "mend", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_says_only(result: subprocess.CompletedProcess, stdout: str, stderr: str = "", code: int = 0) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert (result.stdout, result.stderr, result.returncode) == (stdout, stderr, code)


def test_create_user_prints_only_the_account_it_created(tmp_path):
    result = run_mend(tmp_path, "create-user", "--email", "Ana@Example.org", "--org", "Harbour", "--password", "a" * 12)
    assert_says_only(result, "Created facilitator ana@example.org in Harbour.\n")
    admin = run_mend(
        tmp_path, "create-user", "--email", "bo@example.org", "--org", "Harbour", "--admin", "--password", "b" * 12
    )
    assert_says_only(admin, "Created admin bo@example.org in Harbour.\n")
    again = run_mend(tmp_path, "create-user", "--email", "ana@example.org", "--org", "Harbour", "--password", "a" * 12)
    assert_says_only(again, "", "Error: An account for ana@example.org already exists.\n", code=1)


def test_check_programme_prints_only_its_verdict(tmp_path):
    result = run_mend(tmp_path, "check-programme", str(COURSE))
    assert_says_only(result, "Repairing attachment injuries: 12 sessions, 203 steps, no problems found.\n")


def test_import_programme_prints_only_what_it_imported(tmp_path):
    first = run_mend(tmp_path, "import-programme", str(COURSE))
    assert_says_only(first, "Imported Repairing attachment injuries, version 1: 12 sessions.\n")
    second = run_mend(tmp_path, "import-programme", str(COURSE))
    assert_says_only(second, "Repairing attachment injuries is unchanged; version 1 stays current.\n")


def test_rotate_journal_key_prints_only_where_the_new_key_is(tmp_path):
    result = run_mend(tmp_path, "rotate-journal-key")
    assert "Traceback" not in result.stdout + result.stderr
    assert (result.stderr, result.returncode) == ("", 0)
    [line] = result.stdout.splitlines()
    assert line.startswith("Re-wrapped 0 journal key(s) under a new application key (key id ")
    assert line.endswith(
        f"The new key replaced the old one in {tmp_path / 'journal_key'}. Back it up: without it, no journal can be read."
    )


def test_export_cohort_refuses_a_cohort_that_does_not_exist_and_writes_nothing(tmp_path):
    # The whole export is checked against a live group in tests/test_records_live.py.
    target = tmp_path / "record.zip"
    result = run_mend(tmp_path, "export-cohort", "7", "--to", str(target))
    assert_says_only(result, "", "Error: There is no cohort 7; nothing was written.\n", code=1)
    assert not target.exists()


def test_retention_prints_only_what_it_deleted(tmp_path):
    # What it deletes, with a clock the test controls, is checked in tests/test_retention.py.
    assert_says_only(run_mend(tmp_path, "retention"), "Nothing is past its retention period.\n")


def test_help_lists_every_command_and_nothing_else(tmp_path):
    result = run_mend(tmp_path, "--help")
    assert "Traceback" not in result.stdout + result.stderr
    assert (result.stderr, result.returncode) == ("", 0)
    assert result.stdout.startswith("Usage: flask mend [OPTIONS] COMMAND [ARGS]...\n")
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(mend.commands)


def test_every_command_is_run_here():
    """A new command gets a test above, run as a person runs it."""
    assert set(mend.commands) == {
        "create-user",
        "check-programme",
        "import-programme",
        "rotate-journal-key",
        "export-cohort",
        "retention",
    }


def test_the_group_help_and_a_refused_email_print_only_their_words(tmp_path):
    result = run_mend(tmp_path, "--help")
    assert "Traceback" not in result.stdout + result.stderr
    assert (result.stderr, result.returncode) == ("", 0)
    assert result.stdout.startswith("Usage: flask mend [OPTIONS] COMMAND [ARGS]...\n")
    bad = run_mend(tmp_path, "create-user", "--email", "nobody", "--org", "Harbour", "--password", "a" * 12)
    assert bad.stdout == "" and bad.returncode == 2
    assert bad.stderr.endswith("Error: Invalid value for --email: this is not an email address\n")


def test_accounts_and_keys_changed_from_the_command_line_are_in_the_audit_trail(tmp_path):
    import sqlite3

    assert (
        run_mend(
            tmp_path, "create-user", "--email", "ana@example.org", "--org", "Harbour", "--password", "a" * 12
        ).returncode
        == 0
    )
    assert run_mend(tmp_path, "rotate-journal-key").returncode == 0
    with sqlite3.connect(tmp_path / "mend.db") as db:
        rows = db.execute("SELECT action, actor_id, target FROM audit_entry ORDER BY id").fetchall()
    assert rows == [("people.create_cli", None, "ana@example.org"), ("keys.journal_key_rotate", None, None)]
