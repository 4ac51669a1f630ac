"""A real browser for the tests that a person would meet: Playwright driving Debian's Chromium (`chromium` package,
installed by `make test` when missing; no browser is downloaded), the app on a real local HTTP server, and
screenshots kept under `test-artifacts/screenshots/` for a person to look at."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from gateway.app import create_app
from gateway.composition import build_context
from gateway.settings import Settings
from reports.context import Context, install

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    """Debian's Chromium; `make test` installs it. A missing browser fails the test, it does not skip it."""
    found = os.environ.get("NTS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Chromium not found: run `make test` (it installs Debian's chromium) or set NTS_CHROMIUM")
    return found


@contextmanager
def live_gateway(settings: Settings, port: int) -> Iterator[tuple[str, Context]]:
    """Serve the app on 127.0.0.1:<port> with NTS_PUBLIC_URL pointing at it, as a member's browser reaches it."""
    base = f"http://127.0.0.1:{port}"
    ctx = build_context(settings.replace(public_url=base))
    server = make_server("127.0.0.1", port, create_app(context=ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, ctx
    finally:
        server.shutdown()
        thread.join(5)
        install(None)
        ctx.close()


@contextmanager
def chromium(**context_options: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            context = browser.new_context(**context_options)
            yield context
            context.close()
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep what the person saw, full page, as test-artifacts/screenshots/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
