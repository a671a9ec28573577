"""The private journal in the browser: a participant writes in a reflection step, sees it saved, finds it
again after a reload, keeps a trigger tracker between steps, exports the journal and leaves by quick exit."""

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, start_session


def test_a_reflection_is_saved_found_again_and_exported(open_page, demo_cohort):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    reflection = facilitator.locator("#agenda-list li").filter(
        has=facilitator.locator("span.kind", has_text="reflection")
    )
    reflection.first.locator("button").click()

    space = phone.get_by_label("Your private journal")
    expect(space).to_be_editable()
    expect(phone.locator(".journal-space")).to_contain_text("Only you can read this")
    space.press_sequentially("The moment I noticed my shoulders drop.", delay=5)
    status = phone.locator(".journal-space .save-status")
    expect(status).to_have_text("Saved")
    assert axe_violations(phone) == [], "reflection step with the writing space"
    screenshot(phone, "phone-reflection")

    # The console learns only that someone wrote, never what, and not at the moment they write.
    expect(facilitator.locator("#journal-count")).to_contain_text("0 participants wrote something")
    facilitator.click("#next")
    expect(facilitator.locator("#journal-count")).to_contain_text("1 participant wrote something")
    facilitator.click("#prev")
    expect(facilitator.locator("body")).not_to_contain_text("shoulders drop")

    phone.reload()
    expect(phone.get_by_label("Your private journal")).to_have_value("The moment I noticed my shoulders drop.")
    phone.get_by_label("Your private journal").press_sequentially(" And breathing.", delay=5)
    expect(status).to_have_text("Saved")

    phone.click("text=Open my whole journal")
    phone.wait_for_url("**/journal")
    journal_url = phone.url
    expect(phone.locator(".journal-week")).to_contain_text("The moment I noticed my shoulders drop. And breathing.")
    expect(phone.locator(".journal-week h2")).to_contain_text("Week 1")
    assert axe_violations(phone) == [], "journal page"
    screenshot(phone, "phone-journal")

    phone.click("text=Trigger tracker")
    phone.get_by_label("What happened?").fill("A door slammed downstairs.")
    phone.get_by_label("What did I feel underneath?").fill("Fear, old and familiar.")
    expect(phone.locator(".save-status")).to_have_text("Saved")
    assert axe_violations(phone) == [], "trigger tracker"
    phone.click("text=Back to my journal")
    expect(phone.locator(".trigger-fields")).to_contain_text("Fear, old and familiar.")

    phone.fill("#q", "door")
    phone.click("button:has-text('Search')")
    expect(phone.locator(".journal-entry")).to_have_count(1)
    expect(phone.locator(".journal-entry")).to_contain_text("A door slammed downstairs.")

    with phone.expect_download() as download:
        phone.click("text=Download as Markdown")
    exported = download.value.path().read_text()
    assert "The moment I noticed my shoulders drop. And breathing." in exported
    assert "Fear, old and familiar." in exported

    phone.click("text=Quick exit")
    phone.wait_for_url("**/away")
    expect(phone.locator("body")).not_to_contain_text("shoulders")

    # Locking the journal on this device: the journal is gone from here until the personal link is used again.
    phone.goto(journal_url)
    phone.click("text=Lock my journal on this device")
    phone.locator("main").get_by_role("button", name="Forget me on this device").click()
    phone.wait_for_url("**/")
    # (Asked for in the background: a page that loads with 404 counts as a console error.)
    assert phone.request.get(journal_url).status == 404


def test_an_excerpt_is_shared_through_moderation_and_everything_deleted(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    start_session(facilitator)
    phone.click("text=Open my journal")
    phone.click("text=Write an entry")
    phone.get_by_label("What I want to write").fill("Someone stayed with me when I was scared. The rest is mine.")
    phone.get_by_label("Title (optional)").fill("Thursday")
    expect(phone.locator(".save-status")).to_have_text("Saved")
    phone.click("text=Back to my journal")
    phone.click("text=Share an excerpt")
    expect(phone.locator("h1")).to_have_text("Share an excerpt with the group")
    assert axe_violations(phone) == [], "share page"
    phone.get_by_label("What to share").fill("Someone stayed with me when I was scared.")
    phone.click("text=Send to the facilitator without my name")
    expect(phone.locator(".flash")).to_contain_text("without your name")

    # The Journals tab says an excerpt is waiting; the queue is there.
    expect(facilitator.locator("#tab-journal")).to_have_text("Journals (1 waiting)")
    facilitator.click("#tab-journal")
    queue = facilitator.locator("#excerpt-queue")
    expect(queue).to_contain_text("Someone stayed with me when I was scared.")
    expect(queue).not_to_contain_text("Robin")
    expect(facilitator.locator("body")).not_to_contain_text("The rest is mine")
    phone.click("text=Back to my group")
    expect(phone.locator("#shared")).to_be_hidden()
    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("#slide h2")).to_be_visible()
    queue.locator("button", has_text="Show to the room").click()
    expect(phone.locator("#shared")).to_contain_text("Someone stayed with me when I was scared.")
    expect(projector.locator("#shared")).to_contain_text("Someone stayed with me when I was scared.")
    expect(queue).to_contain_text("None waiting.")
    assert axe_violations(facilitator) == [], "console with the journal panel"

    phone.click("text=Open my journal")
    phone.click("text=Delete my journal and leave the group…")
    expect(phone.locator("h1")).to_have_text("Delete my journal and leave the group?")
    assert axe_violations(phone) == [], "delete confirmation"
    phone.click("text=Delete my journal and my place in the group")
    phone.wait_for_url("**/")
    expect(phone.locator(".flash")).to_contain_text("Your journal and your place in the group are deleted")
    phone.goto(join_url)
    expect(phone.locator("#display_name")).to_be_visible()
