"""The centres file (`NTS_CENTERS_FILE`, YAML): which centre serves which districts, who its members are and
how it is alerted. Validated with pydantic at start; an error names the file, the centre and the key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from reports.enums import Category, NotifyKind, Role

Language = Literal["th", "lo", "km", "en"]
ESCALATION_KEYS = ("person_in_danger", "now", "default")


def _e164(value: Any) -> Any:
    if not isinstance(value, str) or re.fullmatch(r"\+[1-9][0-9]{6,14}", value) is None:
        raise ValueError(f"{value!r} is not an E.164 phone number (+66…, +856…, +855…)")
    return value


def _district(value: Any) -> Any:
    if not isinstance(value, str) or re.fullmatch(r"[0-9]{4}", value) is None:
        raise ValueError(f"district {value!r} is not a 4-digit DOPA code")
    return value


E164 = Annotated[str, BeforeValidator(_e164)]
DistrictCode = Annotated[str, BeforeValidator(_district)]


def language_or_none(value: str | None) -> Language | None:
    """`value` when it is one of the four languages, else None."""
    return value if value in ("th", "lo", "km", "en") else None  # type: ignore[return-value]


class CentersError(ValueError):
    """The centres file is wrong; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Partner(_Strict):
    """A cross-border counterpart's group: a redacted alert in their language, for some categories only."""

    language: Language
    categories: list[Category] = Field(min_length=1)


class TelegramTarget(_Strict):
    """A Telegram group, optionally a forum topic in it."""

    chat_id: StrictInt  # groups are negative (-100…)
    thread_id: StrictInt | None = None
    fallback: bool = False
    partner: Partner | None = None
    precision: int | None = Field(None, ge=0, le=5)  # decimals of a shared point shown to the group


class LineTarget(_Strict):
    """A LINE group, room or user."""

    to: str = Field(min_length=1)
    fallback: bool = False
    partner: Partner | None = None
    precision: int | None = Field(None, ge=0, le=5)


class SmsTarget(_Strict):
    """Duty officers' phones."""

    to: list[E164] = Field(min_length=1)
    fallback: bool = False


class InboxTarget(_Strict):
    """The built-in web inbox."""


TARGET_MODELS: dict[str, type[_Strict]] = {"telegram": TelegramTarget, "line": LineTarget, "sms": SmsTarget,
                                           "inbox": InboxTarget}


@dataclass(frozen=True)
class NotifyTarget:
    """One way a centre is alerted (`params` as written in the file, checked)."""

    kind: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        """A stable id for the target, part of the delivery's id (the outbound dedup key)."""
        if self.kind == NotifyKind.TELEGRAM:
            thread = self.params.get("thread_id")
            return f"telegram:{self.params['chat_id']}" + (f":{thread}" if thread else "")
        if self.kind == NotifyKind.LINE:
            return f"line:{self.params['to']}"
        if self.kind == NotifyKind.SMS:
            return "sms:" + ",".join(self.params["to"])
        if self.kind == NotifyKind.TELEGRAM_MEDIA:
            return f"tgmedia:{self.params['chat_id']}:{self.params.get('key_suffix', '')}"
        return "inbox"


@dataclass(frozen=True)
class MemberRef:
    """Who acted, as a job carries it and the audit trail names it: a member's name and role."""

    name: str
    role: str

    @property
    def shown(self) -> str:
        """How the group sees them: their name, or their role when the file gives none."""
        return self.name or self.role

    def actor(self, surface: str) -> str:
        """The audit trail's actor: `surface:role:name`."""
        return f"{surface}:{self.role}:{self.name}"[:64]

    def to_json(self) -> dict[str, str]:
        """The form jobs carry."""
        return {"name": self.name, "role": self.role}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> MemberRef:
        """Inverse of `to_json`."""
        return cls(str(data.get("name") or ""), str(data.get("role") or ""))


class Member(_Strict):
    """A member of the district working group (listed in the file, or joined with an invite)."""

    role: Role
    name: str = ""
    telegram_user_id: int | None = None
    line_user_id: str | None = None
    phone: E164 | None = None
    language: Language | None = None  # for broadcasts; the centre's language when not set

    def ref(self) -> MemberRef:
        """Who acts, as the audit trail and the jobs carry it."""
        return MemberRef(self.name, str(self.role))


class _CenterModel(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    language: Language = "th"
    districts: list[DistrictCode] = []
    notify: list[dict[str, Any]]
    members: list[Member] = []
    # minutes without an acknowledgement before an alert escalates, by urgency (centres/escalation.py)
    escalation: dict[Literal["person_in_danger", "now", "default"], Annotated[float, Field(ge=0)]] = {}

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("notify", mode="before")
    @classmethod
    def _notify(cls, entries: Any) -> list[dict[str, Any]]:
        if not isinstance(entries, list) or not entries:
            raise ValueError("needs at least one notify entry (e.g. `- inbox: {}`)")
        checked = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ValueError(f"[{i}]: each notify entry is one of {{telegram|line|sms|inbox: {{...}}}}")
            kind, params = next(iter(entry.items()))
            if kind not in TARGET_MODELS:
                raise ValueError(f"[{i}]: unknown notify kind {kind!r} (known: {', '.join(TARGET_MODELS)})")
            try:
                model = TARGET_MODELS[kind].model_validate(params or {})
            except ValidationError as exc:
                error = exc.errors()[0]
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
                raise ValueError(f"[{i}].{kind}{'.' + where if where else ''}: "
                                 f"{re.sub(r'^Value error, ', '', str(error['msg']))}") from None
            checked.append({kind: model.model_dump(mode="json", exclude_none=True, exclude_defaults=True)})
        return checked


class _DeskModel(_Strict):
    """A provincial or national desk: its members read (never act on) the reports of the centres it covers."""

    id: str = Field(min_length=1)
    name: str = ""
    covers: list[str] = Field(min_length=1)  # centre ids, or ["*"] for every centre
    members: list[Member] = []


class _File(_Strict):
    fallback: str
    centers: list[_CenterModel]
    desks: list[_DeskModel] = []

    @model_validator(mode="after")
    def _consistent(self) -> _File:
        seen: dict[str, str] = {}
        ids = [c.id for c in self.centers]
        for desk in self.desks:
            unknown = [c for c in desk.covers if c != "*" and c not in ids]
            if unknown:
                raise ValueError(f"desk {desk.id!r}: covers unknown centre(s) {', '.join(unknown)}")
        for c in self.centers:
            if ids.count(c.id) > 1:
                raise ValueError(f"centre {c.id!r}: duplicate id")
            for d in c.districts:
                if d in seen:
                    raise ValueError(f"centre {c.id!r}: district {d} is already served by centre {seen[d]!r}")
                seen[d] = c.id
        if self.fallback not in ids:
            raise ValueError(f"fallback: {self.fallback!r} is not the id of a centre in this file")
        return self


@dataclass(frozen=True)
class Center:
    """An NTS-MWCC: the districts it serves, its language, its notify targets and its members."""

    id: str
    name: str
    language: str
    districts: tuple[str, ...]
    notify: tuple[NotifyTarget, ...]
    members: tuple[Member, ...] = ()
    escalation: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Desk:
    """A provincial or national desk and the centres whose reports its members may read."""

    id: str
    name: str
    covers: tuple[str, ...]
    members: tuple[Member, ...] = ()


@dataclass
class Centers:
    """All centres, with the district → centre map and the fallback for unresolved places."""

    fallback_id: str
    by_id: dict[str, Center]
    by_district: dict[str, str] = field(default_factory=dict)
    desks: tuple[Desk, ...] = ()

    @property
    def fallback(self) -> Center:
        """The centre that takes reports whose place cannot be resolved."""
        return self.by_id[self.fallback_id]

    def get(self, center_id: str | None) -> Center:
        """The centre `center_id`, or the fallback when it is not (or no longer) in the file."""
        return self.by_id.get(center_id or "") or self.fallback

    def member_by_phone(self, e164: str) -> tuple[Center, Member] | None:
        """The centre and member whose phone is exactly this E.164 number (duty officers act by SMS)."""
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


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """`centre '4803' notify[0].telegram.chat_id` from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "centers" and isinstance(loc[1], int):
        centers = data.get("centers") if isinstance(data, dict) else None
        raw = centers[loc[1]] if isinstance(centers, list) and loc[1] < len(centers) else None
        cid = raw.get("id") if isinstance(raw, dict) else None
        head = f"centre {str(cid)!r}" if cid is not None else f"centers[{loc[1]}]"
        rest = loc[2:]
    else:
        head, rest = "top level", loc
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{head}: {path}" if path else head


def parse_centers(data: Any, path: Path = Path("<centres>")) -> Centers:
    """Validate the parsed YAML of a centres file and build the routing tables."""
    if not isinstance(data, dict):
        raise CentersError(f"{path}: top level: expected a mapping with `fallback` and a `centers` list")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = re.sub(r"^Value error, ", "", str(error["msg"]))
            where = _where(data, tuple(error["loc"])) if error["loc"] else ""
            if message.startswith("[") and where:  # a notify entry's own place: notify[0].telegram.chat_id
                head, _, rest = message.partition(": ")
                problems.append(f"{path}: {where}{head}: {rest}")
            else:
                problems.append(f"{path}: {where}: {message}" if where else f"{path}: {message}")
        raise CentersError("\n".join(problems)) from None
    by_id: dict[str, Center] = {}
    by_district: dict[str, str] = {}
    for c in parsed.centers:
        notify = tuple(NotifyTarget(kind, params) for entry in c.notify for kind, params in entry.items())
        by_id[c.id] = Center(c.id, c.name or c.id, c.language, tuple(c.districts), notify, tuple(c.members),
                             {str(k): float(v) for k, v in c.escalation.items()})
        by_district.update(dict.fromkeys(c.districts, c.id))
    desks = tuple(Desk(d.id, d.name or d.id, tuple(by_id) if "*" in d.covers else tuple(d.covers), tuple(d.members))
                  for d in parsed.desks)
    return Centers(parsed.fallback, by_id, by_district, desks)


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

