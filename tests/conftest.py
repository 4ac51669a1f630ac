"""Shared fixtures: a real Redis server, SQLite (and PostgreSQL when NTS_TEST_POSTGRES_URL is set), local
provider API servers (Telegram, LINE, Twilio, the Android gateway), and a gateway context wired to all of them.

For a fast loop under `pytest -n auto`: each xdist worker has its own Redis (its own server, or its own database
number of REDIS_URL); the database is migrated once per session into a template that each test copies; the
provider servers live for the session and are reset between tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import text

from gateway.composition import build_context
from gateway.settings import Settings
from reports.context import Context, install
from reports.db import make_engine, upgrade
from tests.fakes.http_api import FakeAPI, start_fake_api
from tests.fakes.telegram_api import FakeTelegram, start_fake_telegram
from workers.registry import ENTRIES

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


def worker_number() -> int:
    """This xdist worker's number (0 without xdist)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def make_context(settings: Settings) -> Context:
    """A Context like the composition root builds, not installed (a test installs it when it needs to)."""
    return Context(settings, job_entries=ENTRIES)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when given (a database number per xdist worker), else a private redis-server per worker."""
    given = os.environ.get("REDIS_URL")
    if given:
        base = given.rsplit("/", 1)[0] if given.count("/") > 2 else given.rstrip("/")
        yield f"{base}/{1 + worker_number() % 15}"
        return
    from gateway.devstack import start_scratch_redis

    proc, url = start_scratch_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A clean Redis database for one test (a client returning bytes, as RQ's does)."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# Storage tests run on every backend: `pytestmark = ALL_BACKENDS` in their module. Others use SQLite.
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get("NTS_TEST_POSTGRES_URL") else [])]
ALL_BACKENDS = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once per session; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with closing(sqlite3.connect(path)) as conn:  # everything into the main file, so one file copies it all
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated PostgreSQL template database (once per session and worker), when NTS_TEST_POSTGRES_URL is set."""
    base = os.environ.get("NTS_TEST_POSTGRES_URL")
    if not base:
        yield None
        return
    name = f"nts_tmpl_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(_with_database(base, name))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{tail}" if tail else "")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                 postgres_template: str | None) -> Iterator[str]:
    """A migrated, empty database: a copy of the session's template (SQLite, or PostgreSQL when parametrized)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    assert postgres_template is not None
    base = os.environ["NTS_TEST_POSTGRES_URL"]
    name = f"nts_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    yield _with_database(base, name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def _telegram_server() -> Iterator[FakeTelegram]:
    fake = start_fake_telegram()
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture
def telegram(_telegram_server: FakeTelegram) -> FakeTelegram:
    """A local Telegram Bot API server (shared by the session, clean for each test)."""
    _telegram_server.reset()
    return _telegram_server


def _shared_api() -> Iterator[FakeAPI]:
    fake = start_fake_api()
    fake.keep_routes()
    yield fake
    assert fake.server is not None
    fake.server.shutdown()


@pytest.fixture(scope="session")
def _phone_server() -> Iterator[FakeAPI]:
    yield from _shared_api()


@pytest.fixture
def phone_api(_phone_server: FakeAPI) -> FakeAPI:
    """A local "SMS Gateway for Android" phone API (POST /message)."""
    _phone_server.reset()
    _phone_server.route("POST", "/message", lambda req: (202, {"id": req.body.get("id") or "m1", "state": "Pending"}))
    return _phone_server


@pytest.fixture(scope="session")
def _twilio_server() -> Iterator[FakeAPI]:
    yield from _shared_api()


@pytest.fixture
def twilio_api(_twilio_server: FakeAPI) -> FakeAPI:
    """A local Twilio REST API (Messages.json)."""
    _twilio_server.reset()
    counter = iter(range(1, 10**6))

    def create(req: Any) -> tuple[int, Any]:
        sid = f"SM{next(counter):032x}"
        return 201, {"sid": sid, "status": "queued", "to": req.body.get("To"), "from": req.body.get("From"),
                     "body": req.body.get("Body"), "account_sid": "AC" + "1" * 32, "num_segments": "1"}

    _twilio_server.route("POST", "/2010-04-01/Accounts/*", create)
    return _twilio_server


@pytest.fixture(scope="session")
def _line_server() -> Iterator[FakeAPI]:
    yield from _shared_api()


@pytest.fixture
def line_api(_line_server: FakeAPI) -> FakeAPI:
    """A local LINE Messaging API (reply, push, message content)."""
    _line_server.reset()
    _line_server.route("POST", "/v2/bot/message/reply",
                       lambda req: (200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}))
    _line_server.route("POST", "/v2/bot/message/push",
                       lambda req: (200, {"sentMessages": [{"id": "2", "quoteToken": "q"}]}))
    return _line_server


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
        var_dir=str(tmp_path / "var"),
        line_channel_secret=LINE_SECRET,
        line_channel_access_token="test-line-access-token",
        line_api_base=line_api.base_url,
        notify_backoff_s=(1, 1, 1, 1, 1),
        notify_max_attempts=6,
    )


@pytest.fixture
def ctx(settings: Settings, redis: Redis) -> Iterator[Context]:
    """The process context the jobs and the app use, installed as the composition root would."""
    context = build_context(settings)
    yield context
    install(None)
    context.close()


OFFICER_PHONE = "+66811112222"  # "Duty officer Somsak", police, Tha Uthen (tests/fixtures/centers.yaml)
OFFICER_PIN = "4821"


@pytest.fixture
def officer_pin(ctx: Context) -> str:
    """Duty officer Somsak has set the PIN of his SMS commands."""
    from centres import pins

    pins.set_pin(ctx, OFFICER_PHONE, OFFICER_PIN, "test")
    return OFFICER_PIN


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
    context = make_context(ctx.settings.replace(centers_file=str(tmp_path / "centers.yaml")))
    install(context)
    yield context
    install(ctx)
    context.close()
