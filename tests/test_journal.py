"""The journal's encryption and operations, in-process: sealing, conflicts, limits, tampering, shredding,
key rotation and a wrong or missing key at start-up."""

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from extensions import db
from facilitation.cohorts import join_cohort
from facilitation.instance import prepare_instance
from facilitation.models import Cohort, Participant
from refusals import Refusal
from sessions.journal import crypto as journal_crypto
from sessions.journal import keys as journal_keys
from sessions.journal import operations as journal
from sessions.journal import screens as journal_screens
from sessions.journal.models import JournalEntry, JournalKey, JournalKeyring
from tests.conftest import app_config, csrf_token
from tests.live import live_server

CANARY = "nightjar-7f3a quiet harbour"


@pytest.fixture
def people(app, make_user, make_cohort):
    """Two participants of one cohort: (cohort id, Ash's id, Bo's id)."""
    cohort = make_cohort(make_user())
    with app.app_context():
        group = db.session.get(Cohort, cohort.id)
        ash, _ = join_cohort(group, "Ash")
        bo, _ = join_cohort(group, "Bo")
        db.session.commit()
        return cohort.id, ash.id, bo.id


def write(app, participant_id: int, text: str = CANARY, **options) -> journal.Saved:
    with app.app_context():
        saved = journal.save_entry(db.session.get(Participant, participant_id), kind="free", text=text, **options)
        db.session.commit()
        return saved


def entries(app, participant_id: int, **options) -> list[journal.OpenedEntry]:
    with app.app_context():
        return journal.entries_of(db.session.get(Participant, participant_id), **options)


def test_an_entry_is_stored_only_sealed_and_opens_for_its_author(app, people):
    _, ash, _ = people
    saved = write(app, ash, title="Tuesday")
    assert saved.entry.text == CANARY and saved.entry.revision == 1
    [entry] = entries(app, ash)
    assert (entry.title, entry.text, entry.readable) == ("Tuesday", CANARY, True)
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.engine.dispose()
    with sqlite3.connect(database) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert CANARY.encode() not in Path(database).read_bytes()
    assert b"Tuesday" not in Path(database).read_bytes()
    # The application key lives in the instance folder, owner-only, and its id in the database.
    key_file = app.instance_path + "/journal_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with app.app_context():
        key = journal_crypto.decode_key(Path(key_file).read_text(), key_file)
        assert db.session.scalars(select(JournalKeyring)).one().key_id == journal_crypto.key_id(key)
        assert journal_crypto.encode_key(key).encode() not in Path(database).read_bytes()


def test_another_participants_entry_is_not_found_exactly_like_a_missing_one(app, people):
    _, ash, bo = people
    saved = write(app, ash)
    with app.app_context():
        intruder = db.session.get(Participant, bo)
        for attempt in (
            lambda: journal.open_entry(intruder, saved.entry.id),
            lambda: journal.delete_entry(intruder, saved.entry.id),
            lambda: journal.save_entry(
                intruder, kind="free", text="mine now", entry_id=saved.entry.id, base_revision=1
            ),
            lambda: journal.share_excerpt(intruder, saved.entry.id, "look"),
        ):
            with pytest.raises(Refusal) as refused:
                attempt()
            assert refused.value.code == "not_found"
        with pytest.raises(Refusal) as missing:
            journal.open_entry(intruder, "0" * 32)
        assert missing.value.message == refused.value.message
    assert [e.text for e in entries(app, ash)] == [CANARY]
    assert entries(app, bo) == []


def test_a_save_based_on_an_old_revision_keeps_both_versions(app, people):
    _, ash, _ = people
    first = write(app, ash, text="draft on the phone")
    laptop = write(app, ash, text="finished on the laptop", entry_id=first.entry.id, base_revision=1)
    assert laptop.conflict_copy_id is None and laptop.entry.revision == 2
    # The phone still thinks it edits revision 1.
    phone = write(app, ash, text="phone edit after all", entry_id=first.entry.id, base_revision=1)
    assert phone.conflict_copy_id is not None and phone.entry.revision == 3
    texts = {(e.text, e.conflict_of_id is not None) for e in entries(app, ash)}
    assert texts == {("phone edit after all", False), ("finished on the laptop", True)}


def test_entries_over_the_limit_are_refused_and_nothing_changes(app, people):
    _, ash, _ = people
    first = write(app, ash, text="short")
    with app.app_context():
        participant = db.session.get(Participant, ash)
        with pytest.raises(Refusal) as refused:
            journal.save_entry(participant, kind="free", text="x" * 20_001)
        assert refused.value.code == "too_long" and "20,000" in refused.value.message
        with pytest.raises(Refusal):
            journal.save_entry(participant, kind="free", text="y" * 20_001, entry_id=first.entry.id, base_revision=1)
        db.session.rollback()
    assert [e.text for e in entries(app, ash)] == ["short"]
    write(app, ash, text="z" * 20_000)


def test_tampered_ciphertext_is_reported_unreadable_not_shown(app, people, caplog):
    _, ash, _ = people
    saved = write(app, ash)
    with app.app_context():
        entry = db.session.get(JournalEntry, saved.entry.id)
        sealed = bytearray(entry.sealed)
        sealed[-5] ^= 0x01
        entry.sealed = bytes(sealed)
        db.session.commit()
    [view] = entries(app, ash)
    assert view.readable is False and view.text == ""
    assert any(saved.entry.id in record.message for record in caplog.records)
    assert CANARY not in caplog.text
    # Exported as unreadable, not as garbage.
    with app.app_context():
        assert "This entry could not be read." in journal.export_markdown(db.session.get(Participant, ash))


def test_a_sealed_entry_moved_to_another_row_does_not_open(app, people):
    _, ash, _ = people
    one, two = write(app, ash, text="first"), write(app, ash, text="second")
    with app.app_context():
        a, b = db.session.get(JournalEntry, one.entry.id), db.session.get(JournalEntry, two.entry.id)
        a.sealed = b.sealed
        db.session.commit()
    assert {e.text for e in entries(app, ash) if e.readable} == {"second"}


def test_deleting_the_data_key_shreds_the_journal(app, people):
    _, ash, _ = people
    write(app, ash)
    with app.app_context():
        db.session.delete(db.session.get(JournalKey, ash))
        db.session.commit()
    [view] = entries(app, ash)
    assert view.readable is False


def test_delete_everything_removes_the_participant_their_key_and_entries(app, people):
    _, ash, bo = people
    write(app, ash)
    write(app, bo, text="Bo's own")
    with app.app_context():
        journal.delete_everything(db.session.get(Participant, ash))
        db.session.commit()
        assert db.session.get(Participant, ash) is None
        assert db.session.get(JournalKey, ash) is None
        assert db.session.scalars(select(JournalEntry).where(JournalEntry.participant_id == ash)).all() == []
    assert [e.text for e in entries(app, bo)] == ["Bo's own"]


def test_rotation_rewraps_data_keys_and_entries_stay_readable(app, people, runner):
    _, ash, bo = people
    write(app, ash)
    write(app, bo, text="Bo's own")
    with app.app_context():
        wrapped_before = {k.participant_id: k.wrapped_key for k in db.session.scalars(select(JournalKey))}
        sealed_before = {e.id: e.sealed for e in db.session.scalars(select(JournalEntry))}
    old_key = Path(app.instance_path, "journal_key").read_text()
    result = runner.invoke(args=["mend", "rotate-journal-key"])
    assert result.exit_code == 0, result.output
    assert "Re-wrapped 2 journal key(s)" in result.output and "journal_key" in result.output
    new_key = Path(app.instance_path, "journal_key").read_text()
    assert new_key != old_key
    with app.app_context():
        assert {k.participant_id: k.wrapped_key for k in db.session.scalars(select(JournalKey))} != wrapped_before
        assert {e.id: e.sealed for e in db.session.scalars(select(JournalEntry))} == sealed_before
    assert [e.text for e in entries(app, ash)] == [CANARY]
    # A fresh process with the new key reads everything; with the old key it refuses to start.
    fresh = create_app({**app_config(Path(app.instance_path)), "MEND_JOURNAL_KEY": new_key})
    with fresh.app_context():
        assert [e.text for e in journal.entries_of(db.session.get(Participant, bo))] == ["Bo's own"]
    stale = create_app({**app_config(Path(app.instance_path)), "MEND_JOURNAL_KEY": old_key})
    with pytest.raises(journal_crypto.JournalKeyError, match="not the one"):
        prepare_instance(stale)


def test_rotation_with_the_key_in_the_environment_leaves_the_new_key_beside_it(app, people, runner):
    _, ash, _ = people
    key = journal_crypto.encode_key(journal_crypto.new_key())
    app.config["MEND_JOURNAL_KEY"] = key
    write(app, ash)
    result = runner.invoke(args=["mend", "rotate-journal-key"])
    assert result.exit_code == 0, result.output
    pending = app.instance_path + "/journal_key.new"
    assert "set MEND_JOURNAL_KEY to its contents" in result.output and pending in result.output
    assert stat.S_IMODE(os.stat(pending).st_mode) == 0o600
    app.config["MEND_JOURNAL_KEY"] = Path(pending).read_text()
    assert [e.text for e in entries(app, ash)] == [CANARY]


def test_a_missing_or_wrong_key_with_journal_data_stops_start_up(tmp_path):
    instance = tmp_path / "instance"
    first = create_app({**app_config(instance), "MEND_DEMO": True})
    prepare_instance(first)
    with first.app_context():
        cohort = db.session.scalars(select(Cohort)).one()
        sam, _ = join_cohort(cohort, "Sam")
        db.session.flush()
        journal.save_entry(sam, kind="free", text=CANARY)
        db.session.commit()
        db.engine.dispose()
    key_file = instance / "journal_key"
    kept = key_file.read_text()
    key_file.unlink()
    with pytest.raises(journal_crypto.JournalKeyError, match="journal key is missing"):
        prepare_instance(create_app({**app_config(instance), "MEND_DEMO": True}))
    assert not key_file.exists(), "no new key may be generated over existing journal data"
    key_file.write_text(journal_crypto.encode_key(journal_crypto.new_key()))
    with pytest.raises(journal_crypto.JournalKeyError, match="not the one"):
        prepare_instance(create_app({**app_config(instance), "MEND_DEMO": True}))
    with pytest.raises(journal_crypto.JournalKeyError, match="not valid"):
        prepare_instance(create_app({**app_config(instance), "MEND_DEMO": True, "MEND_JOURNAL_KEY": "short"}))
    key_file.write_text(kept)
    again = create_app({**app_config(instance), "MEND_DEMO": True})
    prepare_instance(again)
    with again.app_context():
        sam = db.session.scalars(select(Participant)).one()
        assert [e.text for e in journal.entries_of(sam)] == [CANARY]


def test_a_new_instance_starts_with_a_generated_key(tmp_path):
    instance = tmp_path / "fresh"
    prepare_instance(create_app({**app_config(instance), "MEND_DEMO": True}))
    assert stat.S_IMODE((instance / "journal_key").stat().st_mode) == 0o600


def test_facilitators_are_told_only_how_many_wrote_this_week(app, people):
    cohort_id, ash, bo = people
    write(app, ash)
    write(app, ash, text="again")
    with app.app_context():
        week, count = journal_screens.writers_this_week(cohort_id, None)
    assert count == 1 and week >= 1
    write(app, bo)
    with app.app_context():
        assert journal_screens.writers_this_week(cohort_id, None)[1] == 2


def test_search_and_weeks(app, people):
    _, ash, _ = people
    write(app, ash, text="the kettle argument")
    with app.app_context():
        participant = db.session.get(Participant, ash)
        journal.save_entry(participant, kind="trigger", text="", fields={"underneath": "Grief, mostly"})
        db.session.commit()
    assert [e.kind for e in entries(app, ash, query="GRIEF")] == ["trigger"]
    assert [e.text for e in entries(app, ash, query="kettle")] == ["the kettle argument"]
    with app.app_context():
        markdown = journal.export_markdown(db.session.get(Participant, ash))
    assert "**What did I feel underneath?**" in markdown and "Grief, mostly" in markdown
    assert "the kettle argument" in markdown and "## Week" in markdown


def test_python_app_py_refuses_to_start_with_the_wrong_journal_key(tmp_path):
    instance = tmp_path / "served"
    app = create_app({**app_config(instance), "MEND_DEMO": True})
    prepare_instance(app)
    with app.app_context():
        sam, _ = join_cohort(db.session.scalars(select(Cohort)).one(), "Sam")
        db.session.flush()
        journal.save_entry(sam, kind="free", text=CANARY)
        db.session.commit()
        db.engine.dispose()
    wrong = journal_crypto.encode_key(journal_crypto.new_key())
    with pytest.raises(RuntimeError) as refused, live_server(instance, timeout=30, MEND_JOURNAL_KEY=wrong):
        pass
    output = str(refused.value)
    assert "server exited with 1" in output and "Mend cannot start: The journal key from MEND_JOURNAL_KEY" in output
    assert "Traceback" not in output
    with live_server(instance, timeout=30) as server:
        assert "is running at" in server.text


def test_a_tampered_entry_shows_as_unreadable_on_the_journal_page(app, client, make_user, make_cohort):
    cohort = make_cohort(make_user())
    url = f"/j/{cohort.join_code}"
    client.post(url, data={"display_name": "Ash", "agree": "y", "csrf_token": csrf_token(client, url)})
    page = f"/g/{cohort.public_id}/journal"
    token = csrf_token(client, page)
    saved = client.post(f"{page}/entries", json={"kind": "free", "text": CANARY}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["entry"]["text"] == CANARY
    with app.app_context():
        entry = db.session.get(JournalEntry, saved.get_json()["entry"]["id"])
        entry.sealed = entry.sealed[:-1] + bytes([entry.sealed[-1] ^ 0xFF])
        db.session.commit()
    shown = client.get(page).get_data(as_text=True)
    assert "This entry could not be read" in shown and CANARY not in shown
    export = client.get(f"{page}/export.md").get_data(as_text=True)
    assert "*This entry could not be read.*" in export
    # It cannot be edited into something else either; deleting it still works.
    entry_id = saved.get_json()["entry"]["id"]
    again = client.post(
        f"{page}/entries",
        json={"kind": "free", "text": "new", "id": entry_id, "revision": 0},
        headers={"X-CSRFToken": token},
    )
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "unreadable"
    deleted = client.post(f"{page}/entries/{entry_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert "Your journal is empty" in client.get(page).get_data(as_text=True)


def test_a_process_with_another_key_adds_nothing_to_the_journal(app, people):
    _, ash, bo = people
    write(app, ash)
    # As if a second process had started with a different key after the first wrote the journal.
    journal_keys.use_application_key(app, journal_crypto.new_key())
    with app.app_context():
        with pytest.raises(Refusal) as refused:
            journal.save_entry(db.session.get(Participant, bo), kind="free", text="lost?")
        assert refused.value.code == "unreadable"
        db.session.rollback()
        assert db.session.get(JournalKey, bo) is None
        assert db.session.scalars(select(JournalEntry).where(JournalEntry.participant_id == bo)).all() == []
