"""How well the gateway understands villagers as they really write: the corpus under tests/corpus/ (Thai,
Lao, Khmer, English, romanised Thai), each message sent as the first message of a new reporter through the
conversation engine, and what the engine understood compared with what a person would: the category, the
district (or none, to be asked), the time, and whether the report is complete in one message.

    python -m bench.corpus            # prints the table, writes bench/results/corpus.json

tests/test_corpus.py runs the same and holds the targets (all right ≥ 95% overall, ≥ 90% in each language).
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, bench_context, redis_server, write_results
from flows.engine import Engine
from gateway.channels.events import Inbound
from reports import keys
from reports.context import Context

CORPUS_DIR = ROOT / "tests" / "corpus"
LANGUAGES = ("th", "lo", "km", "en", "th-latn")
# A phone number of the country a reporter of each language most likely writes from.
PREFIX = {"th": "+6681", "lo": "+85620", "km": "+85512", "en": "+6689", "th-latn": "+6682"}
NONE = "-"


@dataclass(frozen=True)
class Case:
    """One message and what a person reads in it."""

    lang: str
    text: str
    category: str
    district: str
    when: str

    @property
    def complete(self) -> bool:
        """Whether it says enough to be a report at once (what, where, and something seen)."""
        return NONE not in (self.category, self.district, self.when)


@dataclass(frozen=True)
class Outcome:
    """What the engine made of a message."""

    case: Case
    category: str
    district: str
    when: str
    complete: bool

    @property
    def right(self) -> dict[str, bool]:
        """Each judgement, and all of them."""
        checks = {"category": self.category == self.case.category, "district": self.district == self.case.district,
                  "complete": self.complete == self.case.complete,
                  "when": self.case.when == NONE or self.when == self.case.when}
        return {**checks, "all": all(checks.values())}


def load_corpus(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every case of every language file."""
    cases = []
    for lang in LANGUAGES:
        for text, category, district, when in yaml.safe_load((directory / f"{lang}.yaml").read_text("utf-8")):
            cases.append(Case(lang, str(text), str(category), str(district), str(when)))
    return cases


def understand(ctx: Context, case: Case, n: int) -> Outcome:
    """Send `case` as a new reporter's first SMS and read back what the engine kept."""
    engine = Engine.for_context(ctx)
    sender = f"{PREFIX[case.lang]}{n:07d}"
    reply = engine.handle(Inbound("twilio", f"corpus-{n}", sender, case.text, datetime.now(UTC)))
    if reply.report_id:
        data: dict[str, Any] = json.loads(ctx.redis.get(keys.INTAKE(reply.report_id)) or "{}")
        place, category, when = data.get("place") or {}, data.get("category"), data.get("when")
    else:
        state = json.loads(ctx.redis.get(keys.CONVERSATION(engine.pseudonym(
            Inbound("twilio", "x", sender, "", datetime.now(UTC))))) or "{}")
        slots = state.get("slots") or {}
        place, category, when = slots.get("place") or {}, slots.get("category"), slots.get("when")
    return Outcome(case, category or NONE, place.get("district_code") or NONE, when or NONE,
                   bool(reply.report_id))


def run(ctx: Context, cases: list[Case]) -> list[Outcome]:
    """Every case, each from its own reporter."""
    return [understand(ctx, case, n) for n, case in enumerate(cases)]


def rates(outcomes: list[Outcome]) -> dict[str, Any]:
    """Share right per judgement, per language and overall."""
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_lang[o.case.lang].append(o)
    table: dict[str, Any] = {}
    for lang, group in [*sorted(by_lang.items(), key=lambda kv: LANGUAGES.index(kv[0])), ("all", outcomes)]:
        table[lang] = {"n": len(group), **{k: round(sum(o.right[k] for o in group) / len(group), 4)
                                           for k in ("category", "district", "complete", "when", "all")}}
    return table


def misses(outcomes: list[Outcome]) -> list[dict[str, str]]:
    """The cases not all right, with what was expected and what was understood."""
    return [{"lang": o.case.lang, "text": o.case.text,
             "expected": f"{o.case.category} {o.case.district} {o.case.when}",
             "understood": f"{o.category} {o.district} {o.when}{' complete' if o.complete else ''}",
             "wrong": ",".join(k for k, ok in o.right.items() if not ok and k != "all")}
            for o in outcomes if not o.right["all"]]


def main() -> int:
    """Run the corpus on a private Redis, print the table, write bench/results/corpus.json."""
    cases = load_corpus()
    with tempfile.TemporaryDirectory() as tmp, redis_server(tmp) as url:
        ctx = bench_context(url, tmp)
        outcomes = run(ctx, cases)
    table = rates(outcomes)
    write_results("corpus", {"rates": table, "misses": misses(outcomes)})
    print(f"{'lang':<8} {'n':>4} {'category':>9} {'district':>9} {'complete':>9} {'when':>6} {'all':>6}")
    for lang, row in table.items():
        print(f"{lang:<8} {row['n']:>4} " + " ".join(f"{row[k]:>{w}.0%}" for k, w in
                                                      zip(("category", "district", "complete", "when", "all"),
                                                          (9, 9, 9, 6, 6), strict=True)))
    for miss in itertools.islice(misses(outcomes), 200):
        print(f"  MISS {miss['lang']:<7} {miss['wrong']:<22} {miss['text']}  [{miss['expected']} → "
              f"{miss['understood']}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
