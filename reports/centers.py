"""The centres file (`NTS_CENTERS_FILE`): which centre serves which districts, and how it is notified."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from i18n import LANGUAGES

NOTIFY_KINDS = ("telegram", "line", "sms", "inbox")
ROLES = ("head", "secretary", "coordinator", "immigration", "police", "customs", "other")


ESCALATION_KEYS = ("person_in_danger", "now", "default")
CATEGORIES = ("trafficking", "drugs", "migration", "smuggling", "other")


class CentersError(ValueError):
    """The centres file is wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class NotifyTarget:
    """One way a centre is alerted, e.g. a Telegram group (and forum topic) or the web inbox."""

    kind: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        """A stable id for the target, part of the outbound dedup key."""
        if self.kind == "telegram":
            thread = self.params.get("thread_id")
            return f"telegram:{self.params['chat_id']}" + (f":{thread}" if thread else "")
        if self.kind == "line":
            return f"line:{self.params['to']}"
        if self.kind == "sms":
            return "sms:" + ",".join(self.params["to"])
        if self.kind == "telegram_media":
            return f"tgmedia:{self.params['chat_id']}:{self.params.get('key_suffix', '')}"
        return "inbox"


@dataclass(frozen=True)
class Member:
    """A member of the district working group."""

    role: str
    name: str = ""
    telegram_user_id: int | None = None
    line_user_id: str | None = None
    phone: str | None = None
    language: str | None = None  # for broadcasts; the centre's language when not set


@dataclass(frozen=True)
class Center:
    """An NTS-MWCC: the districts it serves, its language, its notify targets and its members."""

    id: str
    name: str
    language: str
    districts: tuple[str, ...]
    notify: tuple[NotifyTarget, ...]
    members: tuple[Member, ...] = ()
    # minutes without an acknowledgement before an alert escalates, by urgency (see workers/escalation.py)
    escalation: dict[str, float] = field(default_factory=dict)


@dataclass
class Centers:
    """All centres, with the district → centre map and the fallback for unresolved places."""

    fallback_id: str
    by_id: dict[str, Center]
    by_district: dict[str, str] = field(default_factory=dict)

    @property
    def fallback(self) -> Center:
        """The centre that takes reports whose place cannot be resolved."""
        return self.by_id[self.fallback_id]

    def member_by_phone(self, e164: str) -> tuple[Center, Member] | None:
        """The centre and member whose phone this is (duty officers act on alerts by SMS)."""
        for center in self.by_id.values():
            for member in center.members:
                if member.phone and member.phone == e164:
                    return center, member
        return None

    def for_district(self, district_code: str | None) -> Center | None:
        """The centre serving `district_code`, or None."""
        if not district_code or district_code not in self.by_district:
            return None
        return self.by_id[self.by_district[district_code]]


def _fail(path: Path, where: str, problem: str) -> CentersError:
    return CentersError(f"{path}: {where}: {problem}")


def _notify(path: Path, where: str, raw: Any) -> NotifyTarget:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _fail(path, where, "each notify entry is one of {telegram|line|sms|inbox: {...}}")
    kind, params = next(iter(raw.items()))
    params = params or {}
    if kind not in NOTIFY_KINDS or not isinstance(params, dict):
        raise _fail(path, where, f"unknown notify kind {kind!r} (known: {', '.join(NOTIFY_KINDS)})")
    if kind == "telegram":
        if not isinstance(params.get("chat_id"), int):
            raise _fail(path, where, "telegram needs an integer chat_id (groups are negative, -100…)")
        if "thread_id" in params and not isinstance(params["thread_id"], int):
            raise _fail(path, where, "telegram thread_id must be an integer")
    elif kind == "line" and not isinstance(params.get("to"), str):
        raise _fail(path, where, "line needs `to`: a group, room or user id")
    elif kind == "sms":
        to = params.get("to")
        if not isinstance(to, list) or not to or not all(isinstance(n, str) and n.startswith("+") for n in to):
            raise _fail(path, where, "sms needs `to`: a list of E.164 numbers")
    partner = params.get("partner")
    if partner is not None and (
            not isinstance(partner, dict) or partner.get("language") not in LANGUAGES
            or not isinstance(partner.get("categories"), list)
            or not set(partner["categories"]) <= set(CATEGORIES) or kind not in ("telegram", "line")):
        raise _fail(path, where, "partner needs {language: th|lo|km|en, categories: [...]} on a telegram or "
                                 f"line target (categories: {', '.join(CATEGORIES)})")
    if not isinstance(params.get("fallback", False), bool):
        raise _fail(path, where, "fallback must be true or false (true: used only when a chat channel fails)")
    return NotifyTarget(kind, dict(params))


def parse_centers(data: Any, path: Path = Path("<centres>")) -> Centers:
    """Validate the parsed YAML of a centres file and build the routing tables."""
    if not isinstance(data, dict) or not isinstance(data.get("centers"), list):
        raise _fail(path, "top level", "expected a mapping with `fallback` and a `centers` list")
    by_id: dict[str, Center] = {}
    by_district: dict[str, str] = {}
    for i, raw in enumerate(data["centers"]):
        where = f"centers[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str | int) or isinstance(raw.get("id"), bool) \
                or not raw.get("id"):
            raise _fail(path, where, "each centre needs an `id`")
        cid = str(raw["id"])
        where = f"centre {cid!r}"
        if cid in by_id:
            raise _fail(path, where, "duplicate id")
        for key in ("districts", "notify", "members"):
            if raw.get(key) is not None and not isinstance(raw[key], list):
                raise _fail(path, where, f"`{key}` must be a list")
        language = str(raw.get("language", "th"))
        if language not in LANGUAGES:
            raise _fail(path, where, f"language must be one of {', '.join(LANGUAGES)}")
        districts = tuple(str(d) for d in raw.get("districts") or ())
        for d in districts:
            if not (len(d) == 4 and d.isdigit()):
                raise _fail(path, where, f"district {d!r} is not a 4-digit DOPA code")
            if d in by_district:
                raise _fail(path, where, f"district {d} is already served by centre {by_district[d]!r}")
            by_district[d] = cid
        notify = tuple(_notify(path, f"{where} notify[{j}]", n) for j, n in enumerate(raw.get("notify") or ()))
        if not notify:
            raise _fail(path, where, "needs at least one notify entry (e.g. `- inbox: {}`)")
        members = []
        for j, m in enumerate(raw.get("members") or ()):
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                raise _fail(path, f"{where} members[{j}]", f"role must be one of {', '.join(ROLES)}")
            if m.get("language") is not None and m["language"] not in LANGUAGES:
                raise _fail(path, f"{where} members[{j}]", f"language must be one of {', '.join(LANGUAGES)}")
            members.append(
                Member(
                    role=m["role"],
                    name=str(m.get("name", "")),
                    telegram_user_id=m.get("telegram_user_id"),
                    line_user_id=m.get("line_user_id"),
                    phone=m.get("phone"),
                    language=m.get("language"),
                )
            )
        escalation = raw.get("escalation") or {}
        if not isinstance(escalation, dict) or not all(
                k in ESCALATION_KEYS and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
                for k, v in escalation.items()):
            raise _fail(path, where, f"escalation maps {', '.join(ESCALATION_KEYS)} to minutes (0: never)")
        by_id[cid] = Center(cid, str(raw.get("name", cid)), language, districts, notify, tuple(members),
                            {k: float(v) for k, v in escalation.items()})
    fallback = str(data.get("fallback", ""))
    if fallback not in by_id:
        raise _fail(path, "fallback", f"{fallback!r} is not the id of a centre in this file")
    return Centers(fallback, by_id, by_district)


def load_centers(path: Path) -> Centers:
    """Read and validate a centres file."""
    try:
        with path.open(encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise CentersError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CentersError(f"{path}: not valid YAML: {exc}") from exc
    return parse_centers(data, path)
