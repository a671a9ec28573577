"""Inviting someone and accepting the invitation in Chromium, and reading the audit trail, axe clean
and by keyboard. The organisation has no mail settings here: the link is copied from the page."""

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, sign_in

PASSWORD = "a long new password"


def test_an_administrator_invites_and_the_invitee_joins(open_page, demo_login, console_errors):
    admin = open_page(DESKTOP)
    sign_in(admin, *demo_login)
    admin.get_by_role("link", name="People").click()
    expect(admin.get_by_role("heading", name="Invite someone")).to_be_visible()
    assert axe_violations(admin) == []
    admin.get_by_label("Email").fill("not an email")
    admin.get_by_role("button", name="Invite").click()
    expect(admin.locator("#email-error")).to_have_text("This is not an email address.")
    admin.get_by_label("Email").fill("kai@example.org")
    admin.get_by_label("Role", exact=True).select_option("admin")
    admin.get_by_label("Email").press("Enter")
    link = admin.get_by_label("Invitation link")
    expect(link).to_be_visible()
    assert axe_violations(admin) == []
    url = link.input_value()

    invitee = open_page(DESKTOP)
    invitee.goto(url)
    expect(invitee.get_by_role("heading", name="on Mend")).to_contain_text("Join")
    assert axe_violations(invitee) == []
    invitee.get_by_label("Your name").fill("Kai")
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_label("Password again").fill(PASSWORD)
    invitee.get_by_role("button", name="Create my account").click()
    invitee.wait_for_url("**/dashboard")
    expect(invitee.locator(".flash")).to_contain_text("Welcome to Mend, Kai")
    # An administrator now, Kai has the people page too.
    invitee.get_by_role("link", name="People").click()
    expect(invitee.locator("#people")).to_contain_text("kai@example.org")

    again = open_page(DESKTOP)
    again.goto(url)
    expect(again.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert axe_violations(again) == []
    # The refused email (400) and the used link (410) are answered with their status, as they should be.
    console_errors.remove("Failed to load resource: the server responded with a status of 400 (BAD REQUEST)")
    console_errors.remove("Failed to load resource: the server responded with a status of 410 (GONE)")


def test_the_audit_trail_filters_by_keyboard(open_page, demo_login):
    admin = open_page(DESKTOP)
    sign_in(admin, *demo_login)
    admin.goto("/admin/people")
    admin.get_by_label("Email").fill("lee@example.org")
    admin.get_by_role("button", name="Invite").click()
    admin.goto("/admin/audit")
    expect(admin.locator("#audit-entries")).to_contain_text("Invited someone")
    assert axe_violations(admin) == []
    admin.get_by_label("Action").focus()
    admin.keyboard.press("End")
    admin.get_by_label("Action").select_option("records.export")
    admin.get_by_role("button", name="Show").press("Enter")
    admin.wait_for_url("**action=records.export**")
    expect(admin.get_by_role("heading", name="No entries")).to_be_visible()
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download these entries as CSV").click()
    assert download.value.suggested_filename.startswith("audit-trail-")
    assert axe_violations(admin) == []
