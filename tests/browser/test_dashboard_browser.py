"""The dashboard in a real browser against the real app: daphne, the in-process engine, the models.

Starts ``manage.py runserver`` (daphne's) on a fresh SQLite file with the local settings and no
Redis, so calls are classified by the MiniLM classifier and answered by SmolLM2 on this machine,
then drives Debian's Chromium with Playwright as a dispatcher would. Set
``TRIAGE_SCREENSHOT=docs/dashboard.png`` to refresh the README's screenshot (otherwise it is
written under pytest's temporary directory, so a test run leaves the checkout unchanged).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
MODELS = (ROOT / "models" / "smollm2-135m-instruct", ROOT / "models" / "triage" / "minilm")
USERNAME, PASSWORD = "dispatcher", "a-long-test-password-1"
LABELS = ("P0 immediate", "P1 emergent", "P2 urgent", "P3 less urgent", "P4 non-urgent")
CALLS = (
    {"text": "My father collapsed in the garden, he is not breathing and his lips are blue.",
     "caller_name": "Sam Okafor", "location": "14 Mill Lane"},
    {"text": "I twisted my ankle playing football, it is swollen but I can walk on it.",
     "caller_name": "Priya Shah"},
    {"text": "I need a repeat prescription for my blood pressure tablets."},
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium (make chromium installs it)",
                allow_module_level=True)
if not all(path.exists() for path in MODELS):
    pytest.skip("needs the models in models/ (make models builds them)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The app as a user starts it, on its own database; yields its base URL."""
    tmp = tmp_path_factory.mktemp("dashboard_server")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "triage_site.settings.local",
           "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "DJANGO_DEBUG": "1",
           "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "createsuperuser", "--noinput", "--username", USERNAME, "--email", ""],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log_path = tmp / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base_url}/healthz", process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        lines = [line for line in log_path.read_text().splitlines() if "/static/" not in line]
        print("server log (last lines, static files left out):", *lines[-60:], sep="\n")


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the server did not answer {url} within {timeout_s} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_an_anonymous_visit_ends_at_the_login_page(server, page):
    page.goto(f"{server}/")
    assert page.url == f"{server}/accounts/login/?next=/"
    assert page.locator('input[name="password"]').is_visible()


def submit(page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        page.fill(f'[name="{name}"]', value)
    page.click("#intake-form button[type=submit]")
    page.wait_for_function("document.getElementById('intake-flash').textContent.includes('received')",
                           timeout=120_000)  # the first call waits for the model to load
    page.evaluate("document.getElementById('intake-flash').textContent = ''")


def test_a_dispatcher_sees_calls_arrive_rated_answered_and_charted(server, page, tmp_path):
    page.goto(f"{server}/")
    page.fill('input[name="username"]', USERNAME)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server}/")
    page.wait_for_selector("#socket-state.state-live")
    plotly_points = """name => document.getElementById('chart-' + name).data
                                 .reduce((n, trace) => n + trace.x.length, 0)"""
    assert page.evaluate(plotly_points, "latency") == 0

    # One call, followed from arrival to answer (one at a time: CPU generation is slow).
    submit(page, CALLS[0])
    row = page.locator("#call-rows tr[data-call-id]").first
    row.wait_for()
    call_id = int(row.get_attribute("data-call-id"))
    badge = row.locator(".badge")
    page.wait_for_function("el => /^P[0-4] /.test(el.textContent)", arg=badge.element_handle())
    assert badge.text_content() in LABELS
    # The vetted card is on the row at intake, long before the LM has written anything.
    page.wait_for_function("el => el.textContent.includes('Cardiac arrest')",
                           arg=row.locator(".col-card").element_handle())
    response = row.locator(".col-response")
    page.wait_for_function("el => el.textContent.length > 0", arg=response.element_handle(), timeout=240_000)
    streamed = len(response.text_content())
    page.wait_for_function(f"el => el.textContent.length > {streamed}", arg=response.element_handle(),
                           timeout=240_000)  # it grows while the engine writes
    if row.locator(".col-status").text_content() == "generating":  # not yet checked: marked as a draft
        assert row.locator(".col-response .reply-note").text_content().startswith("Unchecked draft")
    page.wait_for_function("el => el.textContent === 'done'", arg=row.locator(".col-status").element_handle(),
                           timeout=400_000)
    assert page.evaluate(plotly_points, "latency") == 1
    assert page.evaluate(plotly_points, "ttft") == 1
    assert page.evaluate(plotly_points, "throughput") >= 1  # engine events came
    assert page.evaluate(plotly_points, "queue") >= 1
    wait = r"(\d+ s|\d+:\d\d)"
    assert re.fullmatch(f"waited {wait} · total {wait}", row.locator(".col-waiting").text_content())
    # What the caller hears is marked: a checked machine-written reply, or the card with the reason.
    note = row.locator(".col-response .reply-note").text_content()
    assert note == "Checked reply · machine-written" or note.startswith("Vetted card shown · reply failed: ")
    if note.startswith("Vetted card shown"):
        assert "Push down hard and fast" in row.locator(".col-response").text_content()
    assert row.locator(".col-from").text_content() == "Dispatcher · 14 Mill Lane"
    assert page.locator("#engine-model").text_content() == "smollm2-135m-instruct"

    # More calls: listed newest first, each rated as it arrives.
    for fields in CALLS[1:]:
        submit(page, fields)
    rows = page.locator("#call-rows tr[data-call-id]")
    rows.nth(len(CALLS) - 1).wait_for()
    ids = [int(rows.nth(i).get_attribute("data-call-id")) for i in range(len(CALLS))]
    assert ids == sorted(ids, reverse=True) and ids[-1] == call_id
    newest = rows.first
    page.wait_for_function("el => /^P[0-4] /.test(el.textContent)", arg=newest.locator(".badge").element_handle())
    page.wait_for_function("el => el.textContent.length > 0",
                           arg=newest.locator(".col-response").element_handle(), timeout=240_000)
    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    if os.environ.get("TRIAGE_SCREENSHOT"):
        shutil.copyfile(screenshot, ROOT / os.environ["TRIAGE_SCREENSHOT"])

    # Open the answered call: its full response, then a dispatcher's urgency.
    page.locator(f"#call-{call_id} .col-id a").click()
    page.wait_for_url(f"{server}/calls/{call_id}/")
    page.wait_for_selector("#socket-state:text('live')")
    full = page.locator("#response").text_content()
    assert len(full) >= streamed and full.strip()
    assert "Cardiac arrest: hands-only CPR" in page.locator("#cards").text_content()
    verdict = page.locator("#reply-verdict").text_content()
    assert verdict.startswith(("Checked reply", "Vetted card shown (reply failed: "))
    assert page.locator("#shown").text_content().strip()
    assert "Machine-written" in page.locator(".machine-note").text_content()
    page.select_option('select[name="priority"]', "4")
    page.click(".override-form button[type=submit]")
    page.wait_for_url(f"{server}/calls/{call_id}/")
    assert "Urgency overridden." in page.content()
    assert f"P4 non-urgent by {USERNAME}" in " ".join(page.locator("#override").text_content().split())
