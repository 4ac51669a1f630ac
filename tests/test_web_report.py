"""The public report page and status page over HTTP (gateway/web/public.py): a plain form POST with no JavaScript,
the page script's JSON answers, exactly once per client id, a private follow-up code, and every bad input answered
in the visitor's language with nothing lost."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from gateway.app import create_app
from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def form_token(client: FlaskClient, lang: str = "th") -> str:
    page = client.get(f"/report?lang={lang}").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def post(client: FlaskClient, lang: str = "th", json_answer: bool = False, **fields: Any) -> Any:
    """POST the report form with a fresh token (fields override the defaults)."""
    data = {"csrf_token": form_token(client, lang), "lang": lang, "category": "drugs", "place": "ท่าอุเทน",
            "when": "now", "details": "เรือสองลำขนกล่องขึ้นฝั่ง", **fields}
    headers = {"Accept": "application/json"} if json_answer else {}
    return client.post("/report", data=data, headers=headers, content_type="multipart/form-data")


def receipt(resp: Any) -> tuple[str, str]:
    found = re.search(r'class="code">(\d+) · ([A-Z0-9]{4}-[A-Z0-9]{4})<', resp.get_data(as_text=True))
    assert found, resp.get_data(as_text=True)[:2000]
    return found.group(1), found.group(2)


def stored(ctx: Context) -> list[Report]:
    with ctx.sessions() as s:
        return list(s.execute(select(Report)).scalars())


@pytest.mark.parametrize(
    ("accept", "lang"),
    [("th-TH,th;q=0.9", "th"), ("lo-LA,lo;q=0.9", "lo"), ("km-KH", "km"), ("en-US,en;q=0.8", "en"), ("fr-FR", "th")],
)
def test_page_speaks_the_visitors_language(client: FlaskClient, accept: str, lang: str) -> None:
    resp = client.get("/report", headers={"Accept-Language": accept})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f'<html lang="{lang}">' in page and t(lang, "web_send") in page
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert len(resp.get_data()) < 20_000  # the whole first load is measured in the browser test


def test_a_report_without_javascript_reaches_its_centre_once(client: FlaskClient, ctx: Context,
                                                              telegram: FakeTelegram) -> None:
    resp = post(client)
    assert resp.status_code == 200
    ticket, code = receipt(resp)
    run_worker(ctx.redis)
    [report] = stored(ctx)
    assert (report.ticket, report.center_id, report.channel, report.category) == (ticket, "4803", "web", "drugs")
    assert report.reporter_id.startswith("R-") and code.replace("-", "") not in repr(report.__dict__)
    assert len([c for c in telegram.sent() if ticket in str(c.params.get("text", ""))]) >= 1


def test_status_needs_the_ticket_and_its_code(client: FlaskClient, ctx: Context) -> None:
    ticket, code = receipt(post(client, lang="km"))
    token = form_token(client, "km")
    ok = client.post("/status", data={"csrf_token": token, "lang": "km", "ticket": ticket, "code": code.lower()})
    assert ok.status_code == 200 and t("km", "status_received") in ok.get_data(as_text=True)
    for other in ("AAAA-BBBB", ""):
        wrong = client.post("/status", data={"csrf_token": token, "lang": "km", "ticket": ticket, "code": other})
        assert wrong.status_code == 404 and t("km", "web_status_wrong") in wrong.get_data(as_text=True)
    unknown = client.post("/status", data={"csrf_token": token, "lang": "km", "ticket": "1234567", "code": code})
    assert unknown.status_code == 404  # a ticket that does not exist answers exactly as a wrong code does
    assert t("km", "web_status_wrong") in unknown.get_data(as_text=True)


def test_the_same_client_id_twice_is_one_report(client: FlaskClient, ctx: Context) -> None:
    first = post(client, json_answer=True, client_id="phone-abc-1")
    again = post(client, json_answer=True, client_id="phone-abc-1")
    assert first.status_code == again.status_code == 200
    assert (first.json["ticket"], first.json["code"]) == (again.json["ticket"], again.json["code"])
    assert (first.json["status"], again.json["status"]) == ("created", "duplicate")
    run_worker(ctx.redis)
    assert len(stored(ctx)) == 1


def test_a_photo_reaches_the_stored_report(client: FlaskClient, ctx: Context) -> None:
    post(client, photo=(io.BytesIO(_jpeg_with_gps()), "IMG_0002.jpg"))
    run_worker(ctx.redis)
    [report] = stored(ctx)
    assert [m["kind"] for m in report.media] == ["photo"] and report.media[0]["content_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("fields", "lang", "status", "key"),
    [
        ({"category": ""}, "th", 400, "web_missing"),
        ({"category": "weapons"}, "lo", 400, "web_missing"),
        ({"place": ""}, "km", 400, "web_missing"),
        ({"place": "xqzzqx"}, "en", 400, "web_place_unknown"),
        ({"csrf_token": ""}, "th", 400, "web_expired"),
        ({"csrf_token": "1.2.3"}, "lo", 400, "web_expired"),
    ],
)
def test_bad_input_is_answered_in_the_visitors_language(client: FlaskClient, ctx: Context, fields: dict[str, str],
                                                        lang: str, status: int, key: str | None) -> None:
    resp = post(client, lang, False, **fields)
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    if key is not None:
        page = resp.get_data(as_text=True)
        assert t(lang, key) in page
        assert 'name="csrf_token" value="' in page  # the form comes back filled in, ready to send again
        run_worker(ctx.redis)
        assert stored(ctx) == []


def test_broken_utf8_and_control_characters_are_not_fatal(client: FlaskClient, ctx: Context) -> None:
    from urllib.parse import quote

    body = (f"csrf_token={form_token(client)}&lang=th&category=smuggling&place={quote('เชียงของ')}&when=today"
            f"&details=%FF%FE%00%1B{quote('รถกระบะขนบุหรี่')}").encode()
    resp = client.post("/report", data=body, content_type="application/x-www-form-urlencoded")
    ticket, _ = receipt(resp)
    run_worker(ctx.redis)
    [report] = stored(ctx)
    assert report.ticket == ticket and report.center_id == "5703"
    assert "\x00" not in report.details and "\x1b" not in report.details and "รถกระบะขนบุหรี่" in report.details


def test_unknown_place_can_be_sent_as_written(client: FlaskClient, ctx: Context) -> None:
    first = post(client, place="บ้านโนนหนองเหล่าใหม่")
    assert first.status_code == 400 and 'name="place_ok" value="1"' in first.get_data(as_text=True)
    ticket, _ = receipt(post(client, place="บ้านโนนหนองเหล่าใหม่", place_ok="1"))
    run_worker(ctx.redis)
    [report] = stored(ctx)
    assert report.ticket == ticket and report.place_text == "บ้านโนนหนองเหล่าใหม่"


def test_location_button_fields_place_the_report(client: FlaskClient, ctx: Context) -> None:
    ticket, _ = receipt(post(client, place="", lat="17.57", lon="104.59"))
    run_worker(ctx.redis)
    [report] = stored(ctx)
    assert report.ticket == ticket and report.center_id == "4803"


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (17.0, 34.0, 12.0), 3: "E", 4: (104.0, 35.0, 24.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_kept_without_its_gps_and_maker(client: FlaskClient, ctx: Context) -> None:
    original = _jpeg_with_gps()
    assert b"PhoneMaker" in original
    resp = post(client, photo=(io.BytesIO(original), "IMG_0001.jpg"))
    assert resp.status_code == 200
    files = list(ctx.settings.media_path().glob("*.jpg"))
    assert len(files) == 1
    kept = files[0].read_bytes()
    assert b"PhoneMaker" not in kept and b"Exif" not in kept
    with Image.open(files[0]) as img:
        assert not img.getexif()


@pytest.mark.parametrize("payload", [b"%PDF-1.4 not a picture", b"\xff\xd8\xff\xe0 truncated jpeg"])
def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_sent(client: FlaskClient, ctx: Context,
                                                                     payload: bytes) -> None:
    resp = post(client, lang="lo", photo=(io.BytesIO(payload), "x.jpg"))
    assert resp.status_code == 400 and t("lo", "web_bad_photo") in resp.get_data(as_text=True)
    run_worker(ctx.redis)
    assert stored(ctx) == []


def test_too_many_reports_from_one_address(client: FlaskClient) -> None:
    from gateway.web.public import MAX_REPORTS_PER_HOUR

    for _ in range(MAX_REPORTS_PER_HOUR):
        assert post(client, json_answer=True).status_code == 200
    resp = post(client, lang="km")
    assert resp.status_code == 429 and t("km", "web_too_many") in resp.get_data(as_text=True)


def test_oversized_upload_is_refused_cleanly(client: FlaskClient) -> None:
    resp = post(client, photo=(io.BytesIO(b"\xff\xd8\xff" + b"0" * (7 * 1024 * 1024)), "big.jpg"))
    assert resp.status_code == 413


def test_installable_app_files(client: FlaskClient) -> None:
    manifest = client.get("/manifest.webmanifest?lang=lo")
    body = json.loads(manifest.get_data(as_text=True))
    assert manifest.status_code == 200 and body["start_url"] == "/report" and body["name"] == t("lo", "web_title")
    for path in ("/sw.js", "/static/report.js", "/static/icon.svg"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(("query", "lang", "district", "label"), [
    ("ท่าอุเทน", "th", "4803", "ท่าอุเทน"), ("ທ່າອຸເທນ", "lo", "4803", "ທ່າອຸເທນ"), ("Poipet", "km", "2706", "ស្រុក"),
    ("chiang khong", "en", "5703", "Chiang Khong"), ("xq", "th", None, None), ("ไม่รู้", "th", None, None)])
def test_place_search_in_any_script(client: FlaskClient, query: str, lang: str, district: str | None,
                                    label: str | None) -> None:
    places = json.loads(client.get(f"/report/places?lang={lang}&q={query}").get_data(as_text=True))["places"]
    assert [p["district"] for p in places] == ([district] if district else [])
    if label:
        assert label in places[0]["label"]


def test_a_resend_while_the_first_is_being_queued_waits(client: FlaskClient, ctx: Context) -> None:
    import time

    ctx.redis.set("nts:batch:web:phone-busy-1", f"pending:{time.time():.0f}")  # the first send is mid-flight
    busy = post(client, json_answer=True, client_id="phone-busy-1")
    assert busy.status_code == 409 and "ticket" not in busy.json  # never a ticket made of the claim's marker
    ctx.redis.set("nts:batch:web:phone-busy-1", f"pending:{time.time() - 120:.0f}")  # that process died
    assert post(client, json_answer=True, client_id="phone-busy-1").json["status"] == "created"
