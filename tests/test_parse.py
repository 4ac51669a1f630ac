"""flows.parse: one-line reports and commands in four languages, never relying on spaces."""

from __future__ import annotations

import pytest

from flows.parse import parse_command, parse_report, parse_ticket
from reports.places import gazetteer

# (message, category, district, details)
ONE_LINE = [
    ("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "drugs", "4803", "เห็นเรือขนของข้ามโขง"),
    ("แจ้งยาเสพติดท่าอุเทนเห็นเรือขนของข้ามโขง", "drugs", "4803", "เห็นเรือขนของข้ามโขง"),
    ("ยาบ้า อ.ท่าอุเทน เรือสองลำ", "drugs", "4803", "เรือสองลำ"),
    ("แจ้ง ๒ ท่าอุเทน เรือขนกล่อง", "drugs", "4803", "เรือขนกล่อง"),
    ("แจ้ง ค้ามนุษย์ อรัญประเทศ รถตู้พาเด็กข้ามไป", "trafficking", "2706", "รถตู้พาเด็กข้ามไป"),
    ("แจ้ง ลักลอบข้ามแดน เชียงของ คนข้ามตอนตีสอง", "migration", "5703", "คนข้ามตอนตีสอง"),
    ("แจ้ง ลักลอบขนของ คลองใหญ่ บุหรี่เต็มรถ", "smuggling", "2302", "บุหรี่เต็มรถ"),
    ("ແຈ້ງ ຢາເສບຕິດ ທ່າແຂກ ເຫັນເຮືອຂົນຂອງ", "drugs", "4801", "ເຫັນເຮືອຂົນຂອງ"),
    ("ແຈ້ງຄ້າມະນຸດຊຽງຂອງມີລົດພາແມ່ຍິງ", "trafficking", "5703", "ມີລົດພາແມ່ຍິງ"),
    ("រាយការណ៍ ជួញដូរមនុស្ស ប៉ោយប៉ែត ឃើញឡានដឹកមនុស្ស", "trafficking", "2706", "ឃើញឡានដឹកមនុស្ស"),
    ("រាយការណ៍គ្រឿងញៀនប៉ោយប៉ែតមានកញ្ចប់ច្រើន", "drugs", "2706", "មានកញ្ចប់ច្រើន"),
    ("REPORT drugs Tha Uthen boat unloading at night", "drugs", "4803", "boat unloading at night"),
    ("report 3 Poipet group crossing the fence", "migration", "2706", "group crossing the fence"),
    ("Smuggling Chiang Khong trucks of cigarettes", "smuggling", "5703", "trucks of cigarettes"),
]


@pytest.mark.parametrize(("text", "category", "district", "details"), ONE_LINE)
def test_one_line_report(text: str, category: str, district: str, details: str) -> None:
    slots = parse_report(text, gazetteer())
    assert slots.category == category
    assert slots.place is not None and slots.place.district_code == district
    assert slots.details == details


@pytest.mark.parametrize(
    ("text", "category", "district", "has_details"),
    [
        ("แจ้ง", None, None, False),
        ("แจ้ง ยาเสพติด", "drugs", None, False),
        ("2", "drugs", None, False),
        ("7 Tha Uthen", None, "4803", False),  # 7 is not a category number; the place is still read
        ("hello", None, None, False),
        ("เห็นคนขนยาบ้าข้ามโขงที่ท่าอุเทนเมื่อคืน", "drugs", "4803", True),  # free order fills what it names
        ("มีคนลักลอบข้ามแดนแถวปอยเปตทุกคืน", "migration", "2706", True),
    ],
)
def test_partial_and_free_order_messages(text: str, category: str | None, district: str | None,
                                         has_details: bool) -> None:
    slots = parse_report(text, gazetteer())
    assert slots.category == category
    assert (slots.place.district_code if slots.place else None) == district
    assert bool(slots.details) == has_details


@pytest.mark.parametrize(
    ("text", "name", "rest", "language"),
    [
        ("STATUS 100009", "status", "100009", None),
        ("status100009", "status", "100009", None),
        ("สถานะ ๑๐๐๐๐๙", "status", "๑๐๐๐๐๙", None),
        ("ສະຖານະ 100009", "status", "100009", None),
        ("ស្ថានភាព 100009", "status", "100009", None),
        ("ยกเลิก", "cancel", "", None),
        ("STOP", "stop", "", None),
        ("FORGET", "forget", "", None),
        ("ລືມຂ້ອຍ", "forget", "", None),
        ("ไทย", "language", "", "th"),
        ("ລາວ", "language", "", "lo"),
        ("ខ្មែរ", "language", "", "km"),
        ("English", "language", "", "en"),
        ("stop the boat", None, None, None),  # a sentence, not a command
        ("ไทยมีคนขนยา", None, None, None),
    ],
)
def test_commands(text: str, name: str | None, rest: str | None, language: str | None) -> None:
    command = parse_command(text)
    if name is None:
        assert command is None
        return
    assert command is not None
    assert (command.name, command.rest, command.language) == (name, rest, language)


@pytest.mark.parametrize(
    ("text", "ticket"),
    [("100009", "100009"), ("10 00 09", "100009"), ("๑๐๐๐๐๙", "100009"), ("no", None), ("123", None)],
)
def test_parse_ticket(text: str, ticket: str | None) -> None:
    assert parse_ticket(text) == ticket
