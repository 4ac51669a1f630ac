"""Thai place names in Lao letters, for Lao readers, when no Lao spelling is on file (the tambons).

Not letter by letter: Lao writes these names as they are said. Silent letters (with ์) go; ร and ล are both ລ,
and ร or ล after a first consonant (กร, ตร, ปล, คล…) is not said; ทร and ศร are said s; เ◌ีย is ◌ຽ, ◌ัว is ◌ົວ,
◌ัม is ◌ຳ, ◌ัย is ໄ◌, an open ◌อ is ◌ໍ; ห before a sonorant is the Lao ligature (ໜ ໝ ຫຼ); a final ร ล ญ ณ is
said n, a final ด ต ท ธ ส ศ ษ ช ซ is said t (ດ), a final ข ค is k, a final พ ภ is p. Syllables with no written
vowel are left as written. The names the centres use every day (the 49 Lao-facing districts and their
provinces) are written out by hand in config/gazetteer/names.yaml; tests/test_transliterate.py compares this
with them.
"""

from __future__ import annotations

import re

CONSONANTS = {
    "ก": "ກ", "ข": "ຂ", "ฃ": "ຂ", "ค": "ຄ", "ฅ": "ຄ", "ฆ": "ຄ", "ง": "ງ", "จ": "ຈ", "ฉ": "ສ", "ช": "ຊ", "ซ": "ຊ",
    "ฌ": "ຊ", "ญ": "ຍ", "ฎ": "ດ", "ฏ": "ຕ", "ฐ": "ຖ", "ฑ": "ທ", "ฒ": "ທ", "ณ": "ນ", "ด": "ດ", "ต": "ຕ", "ถ": "ຖ",
    "ท": "ທ", "ธ": "ທ", "น": "ນ", "บ": "ບ", "ป": "ປ", "ผ": "ຜ", "ฝ": "ຝ", "พ": "ພ", "ฟ": "ຟ", "ภ": "ພ", "ม": "ມ",
    "ย": "ຍ", "ร": "ລ", "ล": "ລ", "ว": "ວ", "ศ": "ສ", "ษ": "ສ", "ส": "ສ", "ห": "ຫ", "ฬ": "ລ", "อ": "ອ", "ฮ": "ຮ",
}
SIGNS = {
    "ะ": "ະ", "ั": "ັ", "า": "າ", "ำ": "ຳ", "ิ": "ິ", "ี": "ີ", "ึ": "ຶ", "ื": "ື", "ุ": "ຸ", "ู": "ູ", "เ": "ເ",
    "แ": "ແ", "โ": "ໂ", "ใ": "ໃ", "ไ": "ໄ", "่": "່", "้": "້", "๊": "໊", "๋": "໋", "ํ": "ໍ", "ๆ": "ໆ", "ฯ": "ຯ",
    "็": "",
}
FINALS = {**dict.fromkeys("รลญณฬน", "ນ"), **dict.fromkeys("ดตทธสศษชซจฎฏฐฑฒ", "ດ"),
          **dict.fromkeys("กขคฆ", "ກ"), **dict.fromkeys("บปพฟภ", "ບ")}
# Parts of names Lao writes its own way: native words where Thai ร is Lao ຮ (boats, heat, halls, fields), and
# the Pali-Sanskrit words of Thai place names as Lao says them.
WORDS = {"เรือ": "ເຮືອ", "ร้อน": "ຮ້ອນ", "โรง": "ໂຮງ", "ไร่": "ໄຮ່", "ร่ม": "ຮົ່ມ", "ร่อง": "ຮ່ອງ", "รัก": "ຮັກ",
         "นคร": "ນະຄອນ", "เฉลิม": "ສະເຫຼີມ", "พระ": "ພະ", "ราช": "ລາດ", "ธานี": "ທານີ", "ชาติ": "ຊາດ", "ธาตุ": "ທາດ",
         "เกียรติ": "ກຽດ", "ทุ่ง": "ທົ່ງ", "ศรี": "ສີ", "สุวรรณ": "ສຸວັນ", "รัตน": "ລັດຕະນະ", "ประชา": "ປະຊາ",
         "ภูมิ": "ພູມ", "วัฒนา": "ວັດທະນາ", "สมบูรณ์": "ສົມບູນ", "เจริญ": "ຈະເລີນ", "ไทย": "ໄທ"}
TONES = "่้๊๋"
VOWEL_BEFORE_FINAL = "าิีึืุูัำ"

_SILENT = re.compile(r"[ก-ฮ][ิุ]?์")  # a letter (and its vowel) under the thanthakhat is not said
_CLUSTER = re.compile(r"(?<=[กขคตปพบผ])[รล](?=[ะ-ฺเ-ไ็่-๋อ]|[ก-ฮ][ะ-ฺ])|(?<=[กขคตปพบผ])[รล](?=[ก-ฮ]$)")
_SOUNDS_S = re.compile(r"ทร")
_SARA_IA = re.compile(r"เ([ก-ฮ]{1,2})ี([่-๋]?)ย")  # เชียง → ช[ຽ]ง, the tone mark onto the consonant
_SARA_OE = re.compile(r"เ([ก-ฮ])ิ(?=[ก-ฮ])")  # เทิง → ເທີງ (Lao writes the closed oe long)
_SARA_UA = re.compile(r"([ก-ฮ])ั([่-๋]?)ว")  # บัว → บົວ
_SARA_AM = re.compile(r"([ก-ฮ])ั([่-๋]?)ม(?![ะ-ฺ])")  # รัม → ລຳ
_SARA_AI = re.compile(r"([ก-ฮ])ั([่-๋]?)ย(?![ะ-ฺ])")  # สัย → ໄສ
_OPEN_O = re.compile(r"([ก-ฮ])([่-๋]?)อ(?=$|\s|[เ-ไ]|[ก-ฮ][ะ-ฺ่-๋])")  # บ่อ → ບໍ່ (not ดอน, which keeps ອ)
_HO_NAM = {"หน": "ໜ", "หม": "ໝ", "หล": "ຫຼ", "หร": "ຫຼ"}
# A syllable with no written vowel at the end of a word (ชม, คม, หลง) has Lao's ◌ົ; a consonant alone before
# it (พ in พนม) is said with a.
_BARE_CLOSED = re.compile(r"(?<![ะ-ฺเ-ไ่-๋])(?<![เ-ไ][ก-ฮ])([ก-ฦศ-ฬฮ])([ก-ฮ])(?=$|\s)")
_LONE_FIRST = re.compile(r"(?:(?<=^)|(?<=\s)|(?<=[\u0e80-\u0eff]))([ก-ฮ])(?=[ก-ฮ]\x02)(?<!ห(?=[นมลรวยง]))")


def thai_to_lao(name: str) -> str:
    """`name` (Thai script) as a Lao reader would write it; text in other scripts passes through."""
    text = _SILENT.sub("", name)
    for thai, lao in WORDS.items():
        text = text.replace(thai, lao)
    text = _BARE_CLOSED.sub(lambda m: f"{m.group(1)}\x02{m.group(2)}", text)
    text = _LONE_FIRST.sub(lambda m: f"{m.group(1)}ะ", text)
    text = _SOUNDS_S.sub("ซ", text)
    text = _CLUSTER.sub("", text)
    text = _SARA_OE.sub(lambda m: f"เ{m.group(1)}ี", text)
    text = _SARA_IA.sub(lambda m: f"{m.group(1)}{m.group(2)}\x01", text)  # \x01: ຽ
    text = _SARA_UA.sub(lambda m: f"{m.group(1)}\x02{m.group(2)}ว", text)  # \x02: ົ
    text = _SARA_AM.sub(lambda m: f"{m.group(1)}{m.group(2)}ำ", text)
    text = _SARA_AI.sub(lambda m: f"ไ{m.group(1)}{m.group(2)}", text)
    text = _OPEN_O.sub(lambda m: f"{m.group(1)}\x03{m.group(2)}", text)  # \x03: ໍ
    out: list[str] = []
    for i, ch in enumerate(text):
        pair = text[i - 1:i + 1] if i else ""
        if pair in _HO_NAM and out and out[-1] == "ຫ":
            out[-1] = _HO_NAM[pair]
            continue
        if ch in CONSONANTS:
            out.append(FINALS.get(ch, CONSONANTS[ch]) if _closes(text, i) else CONSONANTS[ch])
            if ch == "ย" and _closes(text, i) and len(out) > 1 and text[:i].rstrip(TONES)[-1:] in ("ไ",):
                out.pop()  # ไทย: the ย after ไ is not said
        else:
            out.append({"\x01": "ຽ", "\x02": "ົ", "\x03": "ໍ"}.get(ch, SIGNS.get(ch, ch)))
    return "".join(out)


def _closes(text: str, i: int) -> bool:
    """Whether the consonant at `i` ends a syllable: it follows a written vowel (or ຽ ົ) and no vowel of its
    own follows it."""
    after = text[i + 1] if i + 1 < len(text) else ""
    if after and ("ะ" <= after <= "ฺ" or after in TONES or after in "\x01\x02\x03็"):
        return False
    j = i - 1
    while j >= 0 and text[j] in TONES:
        j -= 1
    if j < 0:
        return False
    before = text[j]
    if before in VOWEL_BEFORE_FINAL or before in "\x01\x02":
        return True
    return (before == "อ" and j >= 1 and "ก" <= text[j - 1] <= "ฮ") or (before in "วย" and j >= 1 and (
        text[j - 1] in "\x02" or ("ก" <= text[j - 1] <= "ฮ" and j >= 2 and text[j - 2] in "เแโ")))
