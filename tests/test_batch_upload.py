"""POST /api/reports: offline reports uploaded in one batch — idempotent per client id, per-item results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from gateway.app import create_app
from reports.context import Context
from reports.models import Report
from tests.conftest import API_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}

BATCH = {
    "device_id": "headman-laptop-4803-01",
    "reports": [
        {"client_id": "hm4803-0001", "category": "drugs", "place": "ต.พนอม อ.ท่าอุเทน",
         "occurred_at": "2569-11-20T22:30:00+07:00", "details": "เรือสองลำขนกล่องขึ้นฝั่งตอนสี่ทุ่ม",
         "reporter_phone": "0812345678"},
        {"client_id": "hm4803-0002", "category": "trafficking", "location": {"lat": 17.57, "lon": 104.6},
         "details": "ລົດຕູ້ພາແມ່ຍິງຂ້າມໄປ", "when": "today"},
        {"client_id": "hm4803-0003", "category": "weapons", "place": "ท่าอุเทน", "details": "x"},
        {"client_id": "hm4803-0004", "category": "smuggling", "details": "no place given"},
        {"category": "drugs", "place": "ท่าอุเทน"},
        "not an object",
        {"client_id": "hm4803-0007", "category": "other", "place": "Poipet", "occurred_at": "yesterday"},
        {"client_id": "hm4803-0008", "category": "other", "place": "Poipet", "reporter_phone": "12"},
    ],
}


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def upload(client: FlaskClient, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post("/api/reports", data=json.dumps(body, ensure_ascii=False),
                       headers=AUTH if headers is None else headers, content_type="application/json")


def test_batch_with_good_and_bad_items(client: FlaskClient, ctx: Context, telegram: FakeTelegram) -> None:
    resp = upload(client, BATCH)
    assert resp.status_code == 200
    data = resp.get_json()
    statuses = [(r["client_id"], r["status"]) for r in data["results"]]
    assert statuses == [("hm4803-0001", "created"), ("hm4803-0002", "created"), ("hm4803-0003", "invalid"),
                        ("hm4803-0004", "invalid"), (None, "invalid"), (None, "invalid"),
                        ("hm4803-0007", "invalid"), ("hm4803-0008", "invalid")]
    errors = {r["index"]: r.get("error", "") for r in data["results"]}
    assert "category" in errors[2] and "place or location" in errors[3] and "client_id" in errors[4]
    assert "occurred_at" in errors[6] and "reporter_phone" in errors[7]
    assert (data["created"], data["duplicate"], data["invalid"]) == (2, 0, 6)
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        reports = {r.ticket: r for r in s.execute(select(Report)).scalars()}
    first = reports[data["results"][0]["ticket"]]
    assert (first.channel, first.tambon_code, first.center_id, first.when_code) == ("offline", "480305", "4803",
                                                                                      "earlier")
    assert first.received_at.year == 2026  # the Buddhist-era year 2569 was read as such
    second = reports[data["results"][1]["ticket"]]
    assert second.resolved_via == "gps" and second.language == "lo"
    assert len(telegram.sent()) == 2


def test_the_same_batch_twice_creates_nothing_new(client: FlaskClient, ctx: Context, redis: Redis) -> None:
    first = upload(client, BATCH).get_json()
    second = upload(client, BATCH).get_json()
    assert second["created"] == 0 and second["duplicate"] == 2
    tickets = [r.get("ticket") for r in first["results"] if r["status"] == "created"]
    assert [r.get("ticket") for r in second["results"] if r["status"] == "duplicate"] == tickets
    run_worker(redis)
    with ctx.sessions() as s:
        assert len(s.execute(select(Report)).scalars().all()) == 2


def test_an_abandoned_claim_is_taken_over(client: FlaskClient, redis: Redis) -> None:
    redis.set("nts:batch:hm4803-0001", "pending:1000")  # a process died long ago between claim and queue
    results = upload(client, {"reports": BATCH["reports"][:1]}).get_json()["results"]
    assert results[0]["status"] == "created"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [(BATCH, {}, 401), (BATCH, {"Authorization": "Bearer nope"}, 401), ([1, 2], None, 400),
     ({"reports": "x"}, None, 400), ({"reports": [{}] * 501}, None, 413)],
)
def test_refused_batches(client: FlaskClient, redis: Redis, body: Any, headers: dict[str, str] | None,
                         status: int) -> None:
    assert upload(client, body, headers).status_code == status
    assert [k for k in redis.keys("nts:*") if b"nts:refused:" not in k] == []  # only the refusal count


def test_broken_body(client: FlaskClient) -> None:
    resp = client.post("/api/reports", data=b"\xff\xfe{", headers=AUTH, content_type="application/json")
    assert resp.status_code == 400


@pytest.mark.parametrize(
    ("lang", "item", "centre"),
    [("th", {"category": "drugs", "place": "ท่าอุเทน", "details": "เรือขนกล่อง"}, "4803"),
     ("lo", {"category": "drugs", "place": "ທ່າແຂກ", "details": "ເຮືອຂົນຂອງ"}, "4801"),
     ("km", {"category": "trafficking", "place": "ប៉ោយប៉ែត", "details": "ឡានដឹកមនុស្ស"}, "2706"),
     ("en", {"category": "smuggling", "place": "Chiang Khong", "details": "trucks of cigarettes"}, "5703")],
)
def test_an_offline_report_in_every_language(client: FlaskClient, ctx: Context, lang: str, item: dict[str, str],
                                             centre: str) -> None:
    result = upload(client, {"reports": [{"client_id": f"x-{lang}", **item}]}).get_json()["results"][0]
    assert result["status"] == "created"
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.execute(select(Report)).scalar_one()
    assert (report.channel, report.language, report.center_id) == ("offline", lang, centre)
