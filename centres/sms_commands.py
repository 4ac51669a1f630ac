"""SMS commands for duty officers without smartphones, in th/lo/km/en, the officer's PIN after the ticket:
`OK <ticket> <pin>`, `ASSIGN <ticket> <pin> POLICE`, `CLOSE <ticket> <pin> [FALSE|DUPLICATE]`,
`ASK <ticket> <pin> <question>` (centres/pins.py checks the PIN).

Only a message from a phone number listed as a member in the centres file is read this way (the dispatcher
checks); anyone else is a reporter, so a villager typing "OK 100009" is never mistaken for an officer. The
words live beside the reporters' keywords in `flows/definitions/keywords.yaml` (`officer:`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from flows.definitions import DEFINITIONS_DIR, FlowError
from i18n.normalize import normalize_text
from i18n.phrases import PhraseIndex
from reports.enums import Action, Agency

AGENCIES = tuple(a.value for a in Agency)
CLOSE_REASONS = ("false_alarm", "duplicate")
# The ticket (digits, a dash allowed between them), then the PIN (4-6 digits) as the next word.
_TICKET_PIN = re.compile(r"^[\s:#]*([0-9](?:-?[0-9]){5,11})(?:\s+([0-9]{4,6}))?(?=\s|$|[,.:])")


@dataclass(frozen=True)
class OfficerCommand:
    """An officer's command: the action and the ticket."""

    action: Action
    ticket: str
    pin: str | None = None  # the officer's PIN, written right after the ticket
    question: str = ""  # ASK: what to relay to the reporter


@cache
def _index() -> PhraseIndex[str]:
    path = DEFINITIONS_DIR / "keywords.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")).get("officer") or {}
    index: PhraseIndex[str] = PhraseIndex()
    for name in ("ack", "assign", "close", "ask", *AGENCIES, *CLOSE_REASONS):
        words = data.get(name)
        if not isinstance(words, list) or not words:
            raise FlowError(f"{path}: officer.{name}: expected a non-empty list of words")
        for w in words:
            index.add(str(w), name)
    return index


def parse_officer_command(text: str) -> OfficerCommand | None:
    """The command in an officer's SMS, or None when it is not one (then it is an ordinary message)."""
    text = normalize_text(text)
    verb = _index().match_prefix(text)
    if verb is None or verb.values[0] not in ("ack", "assign", "close", "ask"):
        return None
    found = _TICKET_PIN.match(text[verb.end:])
    if found is None:
        return None
    ticket, pin = found.group(1).replace("-", ""), found.group(2)
    rest = text[verb.end + found.end():]
    if verb.values[0] == "ask":
        question = rest.strip(" :,-")
        return OfficerCommand(Action.ASK, ticket, pin, question) if question else None
    words = {m.values[0] for m in _index().scan(rest)}
    if verb.values[0] == "ack":
        return OfficerCommand(Action.ACK, ticket, pin)
    if verb.values[0] == "assign":
        agency = next((a for a in AGENCIES if a in words), None)
        return OfficerCommand(Action(agency), ticket, pin) if agency else None
    reason = next((r for r in CLOSE_REASONS if r in words), "resolved")
    return OfficerCommand(Action(reason), ticket, pin)
