"""The reports API and the centre inbox: bearer/basic auth, JSON shape, filters, errors, security headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from centres.access import Principal
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from reports.context import Context
from tests.conftest import API_TOKEN, make_context
from tests.helpers import log_in, run_worker

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    engine = Engine.for_context(ctx)
    for i, text in enumerate(["แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง",
                              "REPORT trafficking Poipet a van with children",
                              "ແຈ້ງ ລັກລອບຂົນສິນຄ້າ ຊຽງຂອງ ຢາສູບເຕັມລົດ"]):
        engine.handle(Inbound("twilio", f"SM{time.time_ns()}", f"+6681234567{i}", text, datetime.now(UTC)))
    run_worker(ctx.redis)
    with create_app(context=ctx).test_client() as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Basic {API_TOKEN}"}, 401),
        ({"Authorization": f"bearer {API_TOKEN}"}, 200),
        (AUTH, 200),
    ],
)
def test_api_requires_the_bearer_token(client: FlaskClient, headers: dict[str, str], status: int) -> None:
    assert client.get("/api/reports", headers=headers).status_code == status


BASE = "https://gateway.example.org"


def test_list_reports(client: FlaskClient) -> None:
    data = client.get("/api/reports", headers=AUTH).get_json()
    assert data["total"] == 3 and len(data["reports"]) == 3
    report = data["reports"][-1]
    for key in ("ticket", "category", "district_code", "status", "language", "channel", "created_at", "location"):
        assert key in report
    assert report["location"]["district_code"] == "4803" and report["category"] == "drugs"
    assert report["reporter"].startswith("R-")
    assert "812345" not in str(data)  # no phone numbers, ever


@pytest.mark.parametrize(
    ("query", "count"),
    [("district=4803", 1), ("category=trafficking", 1), ("center=5703", 1), ("status=new", 3),
     ("status=closed", 0), ("limit=2", 2), ("limit=2&offset=2", 1), ("since=2000-01-01T00:00:00%2B07:00", 3)],
)
def test_filters(client: FlaskClient, query: str, count: int) -> None:
    data = client.get(f"/api/reports?{query}", headers=AUTH).get_json()
    assert len(data["reports"]) == count


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "offset=-1", "since=yesterday", "since=2026-01-01"])
def test_bad_parameters_get_400(client: FlaskClient, query: str) -> None:
    resp = client.get(f"/api/reports?{query}", headers=AUTH)
    assert resp.status_code == 400 and "error" in resp.get_json()


def test_get_one_report_with_deliveries(client: FlaskClient) -> None:
    ticket = client.get("/api/reports?district=4803", headers=AUTH).get_json()["reports"][0]["ticket"]
    data = client.get(f"/api/reports/{ticket}", headers=AUTH).get_json()
    assert data["ticket"] == ticket
    assert sorted(d["channel"] for d in data["deliveries"]) == ["inbox", "telegram"]
    assert client.get("/api/reports/999999", headers=AUTH).status_code == 404
    assert client.get(f"/api/reports/{ticket}").status_code == 401


def test_centre_inbox_lists_alerts_behind_a_login(ctx: Context, client: FlaskClient) -> None:
    assert client.get("/center").status_code == 401
    log_in(ctx, client, Principal("telegram", "222"))  # the head of Chiang Khong (5703)
    page = client.get("/center", base_url=BASE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ຢາສູບເຕັມລົດ" in html and "เห็นเรือขนของข้ามโขง" not in html  # only their centre's alerts
    assert page.headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_inbox_escapes_what_reporters_wrote(ctx: Context) -> None:
    engine = Engine.for_context(ctx)
    engine.handle(Inbound("twilio", "SM-xss", "+66812345600", "แจ้ง ยาเสพติด ท่าอุเทน <script>alert(1)</script>",
                          datetime.now(UTC)))
    run_worker(ctx.redis)
    with create_app(context=ctx).test_client() as c:
        log_in(ctx, c, Principal("telegram", "111"))  # the head of Tha Uthen
        html = c.get("/center", base_url=BASE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_health_ready_and_metrics(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"redis": "ok", "database": "ok"}
    assert "nts_inbound_messages_total" in client.get("/metrics").get_data(as_text=True)


def test_readyz_reports_a_dead_redis(ctx: Context) -> None:

    broken = make_context(ctx.settings.replace(redis_url="redis://127.0.0.1:1/0"))
    with create_app(context=broken).test_client() as c:
        resp = c.get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["checks"]["redis"].startswith("error")
