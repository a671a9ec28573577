"""The participant page stays light on a weak phone and talks to no host but Mend."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import PHONE

BUDGET_BYTES = 150 * 1024


def test_the_participant_view_loads_under_150_kb_from_mend_alone(open_page, demo_cohort):
    _, phone, _ = demo_cohort
    group_url = phone.url

    fresh = open_page(PHONE)
    fresh.context.add_cookies(phone.context.cookies())
    requests = []
    fresh.on("requestfinished", lambda request: requests.append(request))
    fresh.goto(group_url)
    expect(fresh.locator("#progress")).to_have_text("Between sessions")
    fresh.wait_for_load_state("networkidle")

    hosts = {urlsplit(request.url).hostname for request in requests}
    assert hosts == {"localhost"}, hosts
    transferred = 0
    for request in requests:
        sizes = request.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    print(f"participant view first load: {transferred} bytes in {len(requests)} requests")  # noqa: T201
    assert transferred <= BUDGET_BYTES, f"{transferred} bytes in {len(requests)} requests"
    script = next(r for r in requests if r.url.endswith("socket.io.esm.min.js"))
    assert script.response().headers.get("content-encoding") in ("br", "gzip", "zstd")
