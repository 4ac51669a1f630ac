"""Load and validate flow definitions and keyword tables (YAML), with errors that name file and step."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from i18n.messages import REPORTER
from reports.enums import Category

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
EXPECTS = ("category", "place", "when", "text", "confirm")
WHEN_CODES = ("now", "today", "earlier")
COMMAND_WORDS = ("report", "status", "stop", "forget", "cancel", "back", "yes", "news", "help")


class FlowError(ValueError):
    """A flow or keyword file is invalid; the message names the file and the step."""


@dataclass(frozen=True)
class Step:
    """One question of a flow."""

    id: str
    expects: str
    prompt: str
    slot: str | None = None
    retry_prompt: str | None = None
    one_line_default: str | None = None
    one_line_skip: bool = False


@dataclass(frozen=True)
class Flow:
    """A conversation: ordered steps, what to say at the end, when to give up waiting."""

    id: str
    steps: tuple[Step, ...]
    on_complete: str
    timeout_s: int
    max_place_tries: int

    def step(self, step_id: str) -> Step:
        """The step called `step_id`."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)


@dataclass(frozen=True)
class Keywords:
    """Command words, category and time synonyms, language names."""

    commands: dict[str, tuple[str, ...]]
    categories: dict[str, tuple[str, ...]]
    when: dict[str, tuple[str, ...]]
    languages: dict[str, tuple[str, ...]]
    polite_before: tuple[str, ...] = ()
    polite_after: tuple[str, ...] = ()
    ordinary: tuple[str, ...] = ()  # words that hold a category or time word and mean something else
    units: tuple[str, ...] = ()  # words that count things: a number before one is not a keypad choice
    # category -> groups of words; a word of every group in a message says the category, when no word does
    pairs: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except OSError as exc:
        raise FlowError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise FlowError(f"{path}: not valid YAML: {exc}") from exc


def parse_flow(data: Any, path: Path) -> Flow:
    """Validate a parsed flow definition."""
    if not isinstance(data, dict):
        raise FlowError(f"{path}: top level must be a mapping with id, steps, on_complete")
    for key in ("id", "steps", "on_complete"):
        if key not in data:
            raise FlowError(f"{path}: missing `{key}`")
    if data["on_complete"] not in REPORTER:
        raise FlowError(f"{path}: on_complete: unknown message {data['on_complete']!r}")
    if not isinstance(data["steps"], list) or not data["steps"]:
        raise FlowError(f"{path}: `steps` must be a non-empty list")
    steps: list[Step] = []
    seen: set[str] = set()
    allowed = {"id", "slot", "expects", "prompt", "retry_prompt", "one_line_default", "one_line_skip"}
    for i, raw in enumerate(data["steps"]):
        sid = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path}: step {sid!r}" if sid else f"{path}: steps[{i}]"
        if not isinstance(raw, dict) or not sid:
            raise FlowError(f"{where}: each step needs an `id`")
        if sid in seen:
            raise FlowError(f"{where}: duplicate step id")
        seen.add(sid)
        unknown = set(raw) - allowed
        if unknown:
            raise FlowError(f"{where}: unknown keys {sorted(unknown)}")
        expects = raw.get("expects")
        if expects not in EXPECTS:
            raise FlowError(f"{where}: expects {expects!r} is not one of {', '.join(EXPECTS)}")
        for key in ("prompt", "retry_prompt"):
            if key in raw and raw[key] not in REPORTER:
                raise FlowError(f"{where}: {key} {raw[key]!r} is not a message key in i18n/messages.py")
        if "prompt" not in raw:
            raise FlowError(f"{where}: missing `prompt`")
        if expects != "confirm" and not raw.get("slot"):
            raise FlowError(f"{where}: a step that expects {expects!r} needs a `slot`")
        if raw.get("one_line_default") is not None and raw["one_line_default"] not in WHEN_CODES:
            raise FlowError(f"{where}: one_line_default must be one of {', '.join(WHEN_CODES)}")
        steps.append(
            Step(
                id=str(sid),
                expects=str(expects),
                prompt=str(raw["prompt"]),
                slot=raw.get("slot"),
                retry_prompt=raw.get("retry_prompt"),
                one_line_default=raw.get("one_line_default"),
                one_line_skip=bool(raw.get("one_line_skip", False)),
            )
        )
    return Flow(
        id=str(data["id"]),
        steps=tuple(steps),
        on_complete=str(data["on_complete"]),
        timeout_s=int(data.get("timeout_minutes", 60)) * 60,
        max_place_tries=int(data.get("max_place_tries", 2)),
    )


def parse_keywords(data: Any, path: Path) -> Keywords:
    """Validate a parsed keyword table: every command, category and time code present and non-empty."""
    if not isinstance(data, dict):
        raise FlowError(f"{path}: top level must be a mapping")

    def words(where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(w, str) for w in value):
            # YAML 1.1 reads an unquoted YES/NO/ON as a boolean: quote such words.
            raise FlowError(f"{path}: {where}: expected a non-empty list of words (quote YES/NO/ON)")
        return tuple(str(w) for w in value)

    commands = {c: words(c, data.get(c)) for c in COMMAND_WORDS}
    cats = data.get("categories") or {}
    categories = {c.value: words(f"categories.{c.value}", cats.get(c.value)) for c in Category}
    when_raw = data.get("when") or {}
    when = {w: words(f"when.{w}", when_raw.get(w)) for w in WHEN_CODES}
    langs = data.get("languages") or {}
    languages = {lang: words(f"languages.{lang}", langs.get(lang)) for lang in ("th", "lo", "km", "en")}
    return Keywords(commands, categories, when, languages, words("polite_before", data.get("polite_before")),
                    words("polite_after", data.get("polite_after")),
                    words("ordinary", data.get("ordinary") or ["-"]), words("units", data.get("units") or ["-"]),
                    {str(c): tuple(words(f"pairs.{c}", g) for g in groups)
                     for c, groups in (data.get("pairs") or {}).items()})


@cache
def load_flow(name: str = "report") -> Flow:
    """The flow `flows/definitions/<name>.yaml`."""
    path = DEFINITIONS_DIR / f"{name}.yaml"
    return parse_flow(_read(path), path)


@cache
def load_keywords() -> Keywords:
    """The keyword table `flows/definitions/keywords.yaml`."""
    path = DEFINITIONS_DIR / "keywords.yaml"
    return parse_keywords(_read(path), path)
