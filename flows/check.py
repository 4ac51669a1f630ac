"""`ntswatch flows check`: every reporter text in every language, measured against the SMS budget."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from flows.definitions import load_flow, load_keywords
from i18n import LANGUAGES
from i18n.catalog import missing, text
from i18n.messages import PUSHED, REPORTER, WORDS
from i18n.sms import MAX_REPLY_PARTS, sms_size
from reports.places import gazetteer

# Worst cases for placeholders: the longest ticket, category, place, status we can produce.
SAMPLE_TICKET = "1234567890"
LONGEST = {"category": "cat_trafficking", "when": "when_earlier", "status": "status_assigned"}
SAMPLE_DATE = "31/12/2569"  # broadcast templates: day/month/year, Buddhist era in Thai (centres/broadcasts.py)
SAMPLE_PLACE = {"th": "ต.เวินพระบาท อ.ท่าอุเทน จ.นครพนม", "lo": "ต.เวินพระบาท อ.ท่าอุเทน จ.นครพนม",
                "km": "Woen Phra Bat, Tha Uthen, Nakhon Phanom", "en": "Woen Phra Bat, Tha Uthen, Nakhon Phanom"}


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
    values: dict[str, object] = {"ticket": SAMPLE_TICKET, "place": SAMPLE_PLACE[lang], "details": "",
                                 "question": "", "district": _longest_district(lang), "date": SAMPLE_DATE}
    for name, word_key in LONGEST.items():
        values[name] = max((text(lang, k) for k in _family(word_key)), key=len)
    body = text(lang, key, **values)
    if key in ("ask_category", "ask_when", "ask_details", "ask_place", "confirm"):
        body = f"{text(lang, 'not_understood')} {body}"  # re-asked after a wrong answer
    if key.startswith("bc_") and key != "bc_footer":
        body = f"{body} {text(lang, 'bc_footer')}"  # a villager's broadcast always says how to stop it
    return body


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
