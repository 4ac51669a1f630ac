"""reports.incidents: reports on the same category and place within six hours are one incident, and the
alert says how many; other categories, other places and older reports stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from i18n.catalog import text as t
from reports.context import Context
from reports.models import Report
from tests.conftest import ALL_BACKENDS
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import stored_report

THA_UTHEN = "-1001234567890"


def stored(ctx: Context, text: str, sender: str) -> Report:
    return stored_report(ctx, text, sender)


@ALL_BACKENDS
def test_corroborating_reports_are_one_incident(ctx: Context, telegram: FakeTelegram) -> None:
    first = stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "+66811120001")
    second = stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน มีคนขนยาขึ้นฝั่ง", "+66811120002")
    other_kind = stored(ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคัน", "+66811120003")
    third = stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เรือลำเดิมกลับมาอีก", "+66811120004")
    assert first.incident_id == second.incident_id == third.incident_id == first.id
    assert other_kind.incident_id == other_kind.id
    alerts = {c.params["text"].split("\n")[0]: c.params["text"] for c in telegram.sent()
              if c.params["chat_id"] == THA_UTHEN}
    by_ticket = {r.ticket: next(text for head, text in alerts.items() if r.ticket in head)
                 for r in (first, second, other_kind, third)}
    assert "🔗" not in by_ticket[first.ticket] and "🔗" not in by_ticket[other_kind.ticket]
    assert "🔗 " + t("th", "alert_linked", count=2, hours=6, ticket=first.ticket) in by_ticket[second.ticket]
    assert "🔗 " + t("th", "alert_linked", count=3, hours=6, ticket=first.ticket) in by_ticket[third.ticket]


def test_older_reports_start_a_new_incident(ctx: Context) -> None:
    first = stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "+66811120011")
    with ctx.sessions.begin() as s:
        s.get(Report, first.id).created_at = datetime.now(UTC) - timedelta(hours=7)  # type: ignore[union-attr]
    later = stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน มีคนขนยาขึ้นฝั่ง", "+66811120012")
    assert later.incident_id == later.id != first.incident_id
