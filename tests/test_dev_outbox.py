"""The development outbox: under `make run` (NTS_DEV_OUTBOX=1) what a provider without credentials would have
sent is kept and shown (/dev/outbox, `ntswatch simulate`); outside it, an unconfigured provider is one log line,
never a traceback, and /dev/outbox does not exist."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from rq.registry import FailedJobRegistry

from gateway.app import create_app
from gateway.channels import devsink
from reports.context import Context, install
from tests.conftest import make_context
from tests.helpers import rq_queue, run_worker, stored_report

NO_PROVIDERS = {"telegram_bot_token": "", "twilio_account_sid": "", "twilio_auth_token": "", "twilio_from": "",
                "smsgateway_api_base": "", "line_channel_access_token": ""}


@pytest.fixture
def dev(ctx: Context) -> Iterator[Context]:
    context = make_context(ctx.settings.replace(dev_outbox=True, **NO_PROVIDERS))
    install(context)
    yield context
    install(ctx)


@pytest.fixture
def production(ctx: Context) -> Iterator[Context]:
    context = make_context(ctx.settings.replace(dev_outbox=False, **NO_PROVIDERS))
    install(context)
    yield context
    install(ctx)


def test_without_accounts_everything_sent_later_lands_in_the_outbox(dev: Context) -> None:
    report = stored_report(dev, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(dev.redis)
    kept = devsink.read(dev.settings)
    alert = [m for m in kept if m["provider"] == "telegram" and m["to"] == "-1001234567890"]
    assert len(alert) == 1 and report.ticket in alert[0]["text"] and alert[0]["buttons"]
    to_reporter = devsink.read(dev.settings, to="+66812345678")  # "received by the Tha Uthen centre"
    assert len(to_reporter) == 1 and report.ticket in to_reporter[0]["text"]
    assert devsink.outbox_path(dev.settings).stat().st_mode & 0o077 == 0  # private to the user
    client = create_app(context=dev).test_client()
    page = client.get("/dev/outbox")
    assert page.status_code == 200 and report.ticket in page.get_data(as_text=True)
    only = client.get("/dev/outbox?format=json&to=%2B66812345678").get_json()["messages"]
    assert [m["text"] for m in only] == [to_reporter[0]["text"]]


def test_outside_make_run_an_unconfigured_provider_is_one_line(production: Context,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    stored_report(production, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(production.redis)
    assert "Traceback" not in caplog.text
    skipped = [r.getMessage() for r in caplog.records if "not configured" in r.getMessage()]
    assert skipped and all("\n" not in line for line in skipped)
    assert FailedJobRegistry(queue=rq_queue(production)).count == 0  # nothing failed, nothing retried forever
    assert create_app(context=production).test_client().get("/dev/outbox").status_code == 404
    assert not devsink.outbox_path(production.settings).exists()
