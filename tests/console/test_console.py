"""The QA console in a real browser: jobs moving with the clock, a scenario queued from the
page refusing the next real submit, a webhook's retries, the journal verified; each view
photographed for the README."""

from __future__ import annotations

import re

import httpx
import pytest

from mockserver import Emulator, LiveServer, ManualClock
from pytest_plugin.receiver import WebhookReceiver
from tests.console.conftest import Console

SEGMIND = "/v2/grok-imagine-image"
PIXAZO = "/grok-imagine-pro-text-to-image-quality/v1/grok-imagine-pro-text-to-image-quality-request"
KEY = {"x-api-key": "qa-key-0001"}
expect = pytest.importorskip("playwright.sync_api").expect
# A browser starts: not for the inner loop (`pytest -m "not slow"`, or `-m "not browser"`).
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def submit(console: Console, prompt: str = "a lighthouse") -> str:
    url = console.server.url("segmind") + SEGMIND
    answer = httpx.post(url, json={"prompt": prompt}, headers=KEY)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["request_id"])


def test_jobs_move_to_completed_when_the_clock_moves(console: Console) -> None:
    first, second = submit(console), submit(console, "a fox")
    console.open("jobs")
    page = console.page
    for job in (first, second):
        expect(page.get_by_role("row").filter(has_text=job)).to_contain_text("QUEUED")
    page.get_by_role("button", name="+1 min").click()
    for job in (first, second):
        expect(page.get_by_role("row").filter(has_text=job)).to_contain_text("COMPLETED")
    page.get_by_role("button", name=first).click()
    detail = page.locator("#job-detail")
    expect(detail).to_contain_text(f"Job {first}")
    image = detail.locator("img")
    expect(image).to_have_count(1)  # the image itself, served by the emulator
    page.wait_for_function("() => document.querySelector('#job-detail img').naturalWidth > 0")
    expect(detail).to_contain_text("segmind")
    console.shot("jobs")


def test_a_scenario_queued_on_the_page_refuses_the_next_submit(console: Console) -> None:
    console.open("scenarios")
    page = console.page
    form = page.locator("#rule-form")
    form.get_by_label("Scenario").select_option("insufficient-credits")
    form.get_by_label("Provider").select_option("segmind")
    form.get_by_role("button", name="Queue").click()
    expect(page.locator("#rules")).to_contain_text(
        "insufficient-credits for provider segmind; used 0, 1 left"
    )
    console.shot("scenarios")
    refused = httpx.post(console.server.url("segmind") + SEGMIND, json={"prompt": "x"}, headers=KEY)
    assert refused.status_code == 406
    assert refused.json()["error"].startswith("Insufficient credits")
    page.get_by_role("tab", name="Journal").click()
    expect(page.locator("#journal-rows")).to_contain_text("insufficient-credits")


def _attempts(webhooks: object) -> int:
    return sum(len(d.attempts) for d in webhooks.deliveries())  # type: ignore[attr-defined]


def test_a_webhooks_retries_are_shown(console: Console) -> None:
    with WebhookReceiver() as receiver:
        receiver.fail_next(2)
        headers = {"Ocp-Apim-Subscription-Key": "qa-key", "X-Webhook-URL": receiver.url}
        answer = httpx.post(
            console.server.url("pixazo") + PIXAZO, json={"prompt": "x"}, headers=headers
        )
        assert answer.status_code == 202
        console.open("webhooks")
        page = console.page
        webhooks = console.server.emulator.webhooks
        for attempt in (1, 2, 3):  # the job ends, then each retry waits its backoff
            page.get_by_role("button", name="+1 min").click()
            receiver.wait_attempts(attempt, timeout=10)
            # The emulator has the answer (the next retry scheduled) before the clock moves.
            assert webhooks.wait_for(lambda n=attempt: _attempts(webhooks) >= n, timeout=10)
        row = page.locator("#webhook-rows tr").first
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text(re.compile(r"#1 .* → 500; #2 .* → 500; #3 .* → 200"))
    console.shot("webhooks")


def test_the_journal_verifies_from_the_page(console: Console) -> None:
    submit(console)
    submit(console)
    console.open("journal")
    page = console.page
    expect(page.locator("#journal-rows tr")).to_have_count(2)
    page.get_by_label("Filters").fill('{"provider": "segmind", "operation": "v2.submit"}')
    page.get_by_label("Exactly this many").fill("2")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verify-result")).to_have_text("Verified: 2 matching request(s).")
    page.get_by_label("Exactly this many").fill("3")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#verify-result")).to_contain_text("expected exactly 3 request(s)")
    console.shot("journal")


def test_accounts_show_holds_and_take_a_balance(console: Console) -> None:
    submit(console)
    console.open("accounts")
    page = console.page
    expect(page.locator("#account-rows")).to_contain_text("qa-k...01")
    form = page.locator("#balance-form")
    form.get_by_label("Provider").select_option("segmind")
    form.get_by_label("Key").fill("qa-key-0001")
    form.get_by_label("Balance").fill("3.5")
    form.get_by_role("button", name="Set").click()
    expect(page.locator("#account-rows")).to_contain_text("3.5")
    console.shot("accounts")


def test_the_tabs_answer_the_keyboard_and_a_phone_width(console: Console) -> None:
    submit(console)
    console.open("jobs")
    page = console.page
    page.get_by_role("tab", name="Jobs").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Journal")).to_be_focused()
    expect(page.locator("#journal")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 800})
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, wide  # tables scroll inside their boxes; the page does not


def test_beyond_loopback_the_page_asks_for_the_token_once(browser: object) -> None:
    from tests.console.conftest import Console as Page

    emulator = Emulator(clock=ManualClock(), profile="fast", admin_token="qa-secret")
    with LiveServer(emulator) as server:
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        found = Page(server, page)
        page.on("pageerror", lambda exc: found.errors.append(str(exc)))
        page.goto(server.base_url + "/__mock/")
        expect(page.get_by_label(re.compile("admin token"))).to_be_visible()
        page.get_by_label(re.compile("admin token")).fill("qa-secret")
        page.get_by_role("button", name="Use token").click()
        expect(page.locator("#clock-now")).to_contain_text("2026-01-01")
        expect(page.locator("#token-form")).to_be_hidden()
        context.close()
        assert found.errors == []
