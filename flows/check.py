"""`ntswatch flows check`: every reporter text in every language, measured against the SMS budget."""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass

from flows.definitions import load_flow, load_keywords
from i18n import LANGUAGES
from i18n.catalog import missing, text
from i18n.messages import PUSHED, REPORTER, WORDS
from i18n.sms import MAX_REPLY_PARTS, sms_size
from reports.places import Place, gazetteer

# Worst cases for placeholders: the longest ticket, category, place, status we can produce. Tickets are seven
# digits (flows/submit.py; eight only once hundreds of thousands are live).
SAMPLE_TICKET = "12345678"
TYPICAL_TICKET = "1234567"
LONGEST = {"category": "cat_trafficking", "when": "when_earlier", "status": "status_assigned"}
SAMPLE_DATE = "31/12/2569"  # broadcast templates: day/month/year, Buddhist era in Thai (centres/broadcasts.py)
VENUE = {"th": "ห้องประชุมที่ว่าการอำเภอ", "lo": "ຫ້ອງປະຊຸມຫ້ອງການເມືອງ", "km": "សាលប្រជុំសាលាស្រុក",
         "en": "the district office meeting room"}
# What every reporter meets: the first question, the receipt, the help. One SMS part each, in every language.
ONE_PART = ("ask_category", "report_received", "help", "not_understood", "ask_place", "ask_details")


@dataclass(frozen=True)
class Measure:
    """One rendered text and its cost."""

    key: str
    lang: str
    text: str
    units: int
    parts: int
    encoding: str


def render_worst_case(key: str, lang: str) -> str:
    """The text `key` in `lang` with the longest values its placeholders can take."""
    # The relayed question is cut to what the frame leaves (centres/relay.py): measured empty here.
    values: dict[str, object] = {"ticket": SAMPLE_TICKET, "place": _longest_place(lang), "details": "",
                                 "question": "", "district": _longest_district(lang), "date": SAMPLE_DATE}
    if key.startswith("bc_"):  # a training's venue is what the centre types, checked when it sends
        values["place"] = VENUE[lang]
    for name, word_key in LONGEST.items():
        values[name] = max((text(lang, k) for k in _family(word_key)), key=len)
    body = text(lang, key, **values)
    if key in ("ask_category", "ask_when", "ask_details", "ask_place", "confirm"):
        body = f"{text(lang, 'not_understood')} {body}"  # re-asked after a wrong answer
    if key.startswith("bc_") and key != "bc_footer":
        body = f"{body} {text(lang, 'bc_footer')}"  # a villager's broadcast always says how to stop it
    return body


@functools.cache
def _longest_place(lang: str) -> str:
    """The longest place a reader of `lang` can be shown in a confirmation: every border district with its
    longest tambon, in the reader's own script (reports/places.py)."""
    g = gazetteer()
    longest = ""
    for code, d in g.districts.items():
        tambons = [t for t in g.tambons.values() if t["district_code"] == code]
        tambon = max(tambons, key=lambda t: len(t["tambon_th"]))["tambon_code"] if tambons else None
        place = Place(code, tambon, d.province_code, "tambon", "")
        longest = max(longest, g.describe(place, lang), key=len)
    return longest


def _longest_district(lang: str) -> str:
    """The longest district name a reader of `lang` can be shown (news and "received by" updates)."""
    g = gazetteer()
    return max((g.district_name(code, lang) or "" for code in g.districts), key=len)


def _family(word_key: str) -> list[str]:
    prefix = word_key.split("_", 1)[0] + "_"
    return [k for k in WORDS if k.startswith(prefix)]


def measure_all() -> list[Measure]:
    """Every reporter text in every language."""
    out = []
    for lang in LANGUAGES:
        for key in (*REPORTER, *PUSHED):
            body = render_worst_case(key, lang)
            size = sms_size(body)
            out.append(Measure(key, lang, body, size.units, size.parts, size.encoding))
    return out


def run_check(quiet: bool = False) -> int:
    """Print the table; return 1 when a translation is missing or a text is over budget."""
    load_flow()
    load_keywords()
    problems: list[str] = []
    for lang in LANGUAGES:
        problems += [f"{lang}: missing translation for {key}" for key in missing(lang)]
    measures = measure_all()
    for m in measures:
        if m.parts > MAX_REPLY_PARTS:
            problems.append(f"{m.lang}: {m.key} needs {m.parts} SMS parts ({m.units} {m.encoding} units)")
    for lang in LANGUAGES:
        for key in ONE_PART:
            size = sms_size(text(lang, key, ticket=TYPICAL_TICKET))
            if size.parts > 1:
                problems.append(f"{lang}: {key} must fit one SMS part, takes {size.parts} ({size.units} units)")
        median = statistics.median(m.parts for m in measures if m.lang == lang)
        if median > 1:
            problems.append(f"{lang}: the median reporter text takes {median} SMS parts; one is the target")
    if not quiet:
        print(f"{'key':<20} {'lang':<4} {'enc':<6} {'units':>5} {'parts':>5}")
        for m in measures:
            print(f"{m.key:<20} {m.lang:<4} {m.encoding:<6} {m.units:>5} {m.parts:>5}")
        for lang in LANGUAGES:
            parts = [m.parts for m in measures if m.lang == lang]
            units = [m.units for m in measures if m.lang == lang]
            print(f"{lang}: {len(parts)} texts, parts max {max(parts)} median {statistics.median(parts)}, "
                  f"units max {max(units)} median {statistics.median(units)}")
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(f"flows check: ok ({len(measures)} texts in {len(LANGUAGES)} languages, all ≤ {MAX_REPLY_PARTS} parts)")
    return 1 if problems else 0
