"""Debian's chromium driven by Playwright, as the agents' browsers: loopback only, a fake microphone."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from callcenter.settings import PROJECT_DIR, Settings

CHROMIUM = "/usr/bin/chromium"
GRANT_MICROPHONE = "--use-fake-ui-for-media-stream"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    # A fake microphone, granted without asking.
    GRANT_MICROPHONE,
    "--use-fake-device-for-media-stream",
    # Without it WebRTC gathers no loopback candidate, and Asterisk and the page share 127.0.0.1.
    "--allow-loopback-in-peer-connection",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Otherwise it looks up Google's hosts: no name but 127.0.0.1 resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def browser_environment() -> dict[str, str]:
    """The browser runs on the machine's real clock, as an agent's own computer would, even when the
    suite moves the clock of the app, Asterisk and the phones (scripts/at-hour.sh): the pages must go by
    the server's time, never their own. (Under libfaketime chromium also takes a minute to start.)"""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FAKETIME") and key != "LD_PRELOAD"
    }


SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "console"
VIEWPORT = {"width": 1366, "height": 768}


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS), env=browser_environment()
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_refusing_the_microphone(running: Browser) -> Iterator[Browser]:
    """A second chromium (of the same Playwright) where nobody grants the microphone, as when an agent
    clicks "block"."""
    flags = [flag for flag in CHROMIUM_FLAGS if flag != GRANT_MICROPHONE]
    browser = running.browser_type.launch(executable_path=CHROMIUM, args=flags, env=browser_environment())
    try:
        yield browser
    finally:
        browser.close()


def console_url(settings: Settings) -> str:
    return f"http://{settings.http_host}:{settings.http_port}/console/"


def by_testid(name: str) -> str:
    return f'[data-testid="{name}"]'


def log_in(page: Page, settings: Settings, username: str, password: str, page_name: str = "") -> None:
    """Opens a page of the browser UI (the agent's console by default) and logs in on it."""
    page.goto(console_url(settings) + page_name)
    page.fill(by_testid("login-username"), username)
    page.fill(by_testid("login-password"), password)
    page.click(by_testid("login-submit"))


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def watch_connection_badge(page: Page) -> None:
    """From now on, the page keeps every state its connection badge takes (see :func:`badge_states`)."""
    page.evaluate(
        """() => {
        const badge = document.querySelector('[data-testid="ws-status"]');
        window.__seen = [];
        new MutationObserver(() => window.__seen.push(badge.dataset.state))
            .observe(badge, { attributes: true, attributeFilter: ['data-state'] });
    }"""
    )


def badge_states(page: Page) -> list[str]:
    states: list[str] = page.evaluate("window.__seen")
    return states
