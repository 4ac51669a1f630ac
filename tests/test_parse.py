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


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Several category words: the graver or more specific reading wins.
        ("Heroin smuggling from Houayxay to Chiang Khong", "drugs"),
        ("มีคนขนยาบ้าข้ามโขงที่ท่าอุเทน", "drugs"),
        ("ชาวบ้านเห็นคนถูกบังคับให้ข้ามแดน", "trafficking"),
        ("เห็นคนแบกกระสอบข้ามมาจากฝั่งลาว", "smuggling"),  # goods carried across: smuggling, not migration
        ("มีคนลาวว่ายน้ำข้ามมา", "migration"),
        # A category word cut by an everyday word that holds it is not that category.
        ("มีคนขนยางพาราไปขายที่ตลาด", None),
        ("ຂົນຢາສູບເຖື່ອນຂ້າມນ້ຳຂອງ", "smuggling"),
        ("มีเด็กขายดอกไม้ที่หมู่บ้าน", None),
        ("ក្រុងត្រាត មានទូកនាំពលករខុសច្បាប់ឡើងគោក", "migration"),  # ឡើងគោក (come ashore) holds គោ (cow)
        # Someone vulnerable and a job: trafficking even without a category word.
        ("มีคนพาสาวๆ ลาวมาทำงานร้านคาราโอเกะ", "trafficking"),
        ("girls taken to work in casino bars", "trafficking"),
        ("ร้านอาหารแถวนี้เปิดดึก", None),
    ],
)
def test_category_anywhere(text: str, category: str | None) -> None:
    assert parse_report(text, gazetteer()).category == category


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("เมื่อ 2 วันก่อน มีคนถูกหลอกไปทำงานที่ปอยเปต", "earlier"),  # "2 วัน" counts days: not keypad 2 (today)
        ("២ថ្ងៃមុន មានគេបោកមនុស្សនៅចាំយាម", "earlier"),
        ("REPORT 1 Nakhon Phanom 2 vans waiting", None),  # "2 vans" in the details is not a keypad answer
        ("ຫ້ວຍຊາຍ ມີເຮືອຂົນຢາໄອສ໌ ມື້ຄືນ", "earlier"),
        ("ល្ងាចនេះ មានឡានដឹកសាំងនៅប៉ោយប៉ែត", "today"),
        ("report drugs Tha Bo an hour ago", "today"),
        ("people crossing at Pak Chom tonight", "now"),
    ],
)
def test_time_words(text: str, when: str | None) -> None:
    assert parse_report(text, gazetteer()).when == when


@pytest.mark.parametrize(
    ("text", "district", "location"),
    [
        ("Report drugs at 17.57,104.59 boat unloading", "4803", (17.57, 104.59)),
        ("drugs sold https://maps.google.com/?q=17.4077,104.7756 every night", "4801", (17.4077, 104.7756)),
        ("ยาบ้า 17.57 104.59 เรือขนของ", "4803", (17.57, 104.59)),
        ("ยาบ้า 3000 บาท 1.5 กิโล", None, None),  # numbers that cannot be a point on this border
    ],
)
def test_coordinates_in_the_text(text: str, district: str | None, location: tuple[float, float] | None) -> None:
    slots = parse_report(text, gazetteer())
    assert slots.location == location
    assert (slots.place.district_code if slots.place else None) == district


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("ยาบ้า dealers at Thakhek sending pills", "4801"),  # the place need not follow the category word
        ("Drug trafficking through Anlong Veng", "3317"),
        ("ແຂວງນະຄອນພະນົມ ມີຄົນຂົນຢາບ້າ", "4801"),  # a province anywhere in the text
        ("forced labour on fishing boats in Trat", "2301"),  # a short Latin name after "in"
        ("ເມືອງເຊຍງແສນ ມີຄົນຂ້າມແດນ", "5708"),  # misspelt; ເມືອງ is not the tambon "เมือง"
        # Everyday words that are also names are not places.
        ("មានគេឆ្លងដែនខុសច្បាប់នៅក្បែរព្រំដែន", None),  # ព្រំដែន (border) holds ព្រំ (Prom crossing)
        ("khon kham daen rim khong muea khuen", None),  # "by the Mekong", not tambon Rim Khong
        ("ไม่รู้เลยว่าที่ไหน แต่เห็นคนขนยาบ้า", None),
        ("smuggling near the checkpoint", None),
        ("drugs near the temple ruins", None),
    ],
)
def test_places_in_a_sentence(text: str, district: str | None) -> None:
    slots = parse_report(text, gazetteer())
    assert (slots.place.district_code if slots.place else None) == district
