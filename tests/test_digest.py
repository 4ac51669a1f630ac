"""centres/digest.py: each centre's daily counts (new, open, overdue, closed) in its language, sent once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from centres import actions, digest
from reports.centres_file import MemberRef
from reports.context import Context
from reports.enums import Action
from reports.models import Report
from tests.conftest import ALL_BACKENDS
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import stored_report

THA_UTHEN = "-1001234567890"


def stored(ctx: Context, text: str) -> Report:
    return stored_report(ctx, text)


@ALL_BACKENDS
def test_counts_and_one_message_a_day(ctx: Context, telegram: FakeTelegram) -> None:
    stored(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")  # new, open
    closed = stored(ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคัน")
    actions.apply(ctx, closed.ticket, Action("resolved"), "4803", MemberRef("Somsak", "police"), "sms")
    old = stored(ctx, "แจ้ง ลักลอบขนของ ท่าอุเทน เมื่อวาน บุหรี่เถื่อนหลายลัง")
    with ctx.sessions.begin() as s:
        s.get(Report, old.id).created_at = datetime.now(UTC) - timedelta(days=2)  # type: ignore[union-attr]
    center = ctx.centers.by_id["4803"]
    assert digest.count(ctx, center) == digest.Digest(new=2, open=2, overdue=1, closed=1)
    assert digest.count(ctx, ctx.centers.by_id["2706"]) == digest.Digest(0, 0, 0, 0)
    now = datetime.now(UTC)
    assert digest.send_digests(ctx, now) >= 1
    assert digest.send_digests(ctx, now) == 0  # the same day: not again
    (text,) = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == THA_UTHEN
               and c.params["text"].startswith("📋")]
    year = now.astimezone(digest.BANGKOK).year + 543
    assert text.startswith("📋 สรุปประจำวัน ") and f"/{year}:" in text
    assert text.endswith("ใหม่ 2 · ค้างอยู่ 2 · เกินเวลา 1 · ปิดแล้ว 1")
    lao = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == "-1004801000000"]
    assert lao == [f"📋 ສະຫຼຸບປະຈຳວັນ {lao[0].split(' ')[2]} ໃໝ່ 0 · ຄ້າງຢູ່ 0 · ເກີນເວລາ 0 · ປິດແລ້ວ 0"]


def test_the_digest_waits_for_the_morning() -> None:
    assert not digest.due(datetime(2026, 11, 28, 23, 0, tzinfo=UTC))  # 06:00 in Bangkok
    assert digest.due(datetime(2026, 11, 29, 0, 30, tzinfo=UTC))  # 07:30 in Bangkok
