"""Cross-border partner channels: the Lao counterpart's group gets a redacted alert in Lao for the categories
the centre chose — no reporter, no details, no tambon, no map point, no buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.centres_file import CentersError, parse_centers
from reports.context import Context, install
from reports.models import Report
from tests.conftest import FIXTURES, make_context
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import stored_report

PARTNER = "-1008560000001"  # the Lao counterpart district's group


@pytest.fixture
def partner_ctx(ctx: Context, tmp_path: Path) -> Iterator[Context]:
    centres = (FIXTURES / "centers.yaml").read_text().replace(
        "      - telegram: {chat_id: -1001234567890, thread_id: 7}\n",
        "      - telegram: {chat_id: -1001234567890, thread_id: 7}\n"
        f"      - telegram: {{chat_id: {PARTNER}, partner: {{language: lo, categories: [trafficking, migration]}}}}\n",
        1)
    (tmp_path / "centers.yaml").write_text(centres)
    context = make_context(ctx.settings.replace(centers_file=str(tmp_path / "centers.yaml")))
    install(context)
    yield context
    install(ctx)


def stored(ctx: Context, text: str, location: tuple[float, float] | None = None) -> Report:
    return stored_report(ctx, text, location=location)


def test_partners_get_a_redacted_alert_in_their_language(partner_ctx: Context, telegram: FakeTelegram) -> None:
    report = stored(partner_ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง")
    (alert,) = [c.params for c in telegram.sent() if c.params["chat_id"] == PARTNER]
    text = alert["text"]
    assert text.startswith(f"🌏 ເລື່ອງ {report.ticket} ສົ່ງຕໍ່ຈາກສູນຊາຍແດນໄທ · ຄ້າມະນຸດ")
    assert "ເມືອງທ່າອຸເທນ" in text and "รถตู้" not in text and report.reporter_id not in text \
        and str(report.reporter_alias) not in text
    assert "maps" not in text and "reply_markup" not in alert
    own = [c.params for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]
    assert "reply_markup" in own[0] and "รถตู้" in own[0]["text"]


def test_other_categories_stay_at_home(partner_ctx: Context, telegram: FakeTelegram) -> None:
    stored(partner_ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert [c for c in telegram.sent() if c.params["chat_id"] == PARTNER] == []


@pytest.mark.parametrize("partner", ["{language: xx, categories: [drugs]}", "{language: lo, categories: [guns]}",
                                     "{language: lo}", "yes"])
def test_a_wrong_partner_entry_is_refused_with_its_place(partner: str) -> None:
    import yaml

    data = yaml.safe_load(f"""
fallback: n
centers:
  - id: n
    notify:
      - telegram: {{chat_id: -1, partner: {partner}}}
""")
    with pytest.raises(CentersError, match=r"centre .n.: notify\[0\]\.telegram\.partner"):
        parse_centers(data)
