"""Which reports a list shows: one model validates the filters of the API, the workspace's case board and the
exports, and builds the SQL. An unknown filter or a value outside its type is an error that names the filter
(answered 400), never a query that silently ignores it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Select, or_

from reports.enums import Category, Channel, ReportStatus
from reports.models import Report

MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1  # beyond a 32-bit integer no database has a row to skip to


class FilterError(ValueError):
    """A filter that cannot be applied; the message names it."""


class ReportFilter(BaseModel):
    """Filters of a report list (all optional, combined with AND), and the page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    center: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    district: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None
    tambon: Annotated[str, Field(pattern=r"^[0-9]{6}$")] | None = None
    category: Category | None = None
    status: ReportStatus | None = None
    channel: Channel | None = None
    language: Literal["th", "lo", "km", "en"] | None = None
    flag: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")] | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    q: Annotated[str, Field(max_length=100)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0

    @field_validator("q", mode="after")
    @classmethod
    def _search(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @classmethod
    def from_args(cls, args: Any, **fixed: Any) -> ReportFilter:
        """From a query string (a MultiDict): empty values are absent, a filter given twice is an error."""
        values: dict[str, Any] = {}
        for key in args:
            given = [v for v in args.getlist(key) if v != ""]
            if len(given) > 1:
                raise FilterError(f"{key}: give it once")
            if given:
                values[key] = given[0]
        try:
            return cls.model_validate({**values, **fixed})
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "query"
            message = "unknown filter" if first["type"] == "extra_forbidden" else first["msg"]
            raise FilterError(f"{where}: {message}") from None

    def where(self, query: Select[Any]) -> Select[Any]:
        """`query` narrowed to these filters (not the page)."""
        exact = {"center_id": self.center, "district_code": self.district, "tambon_code": self.tambon,
                 "category": self.category, "status": self.status, "channel": self.channel,
                 "language": self.language}
        for column, value in exact.items():
            if value is not None:
                query = query.where(getattr(Report, column) == value)
        if self.flag:
            # flags is a JSON list of short ids; a LIKE on its text works alike on SQLite and PostgreSQL
            query = query.where(Report.flags.cast(_text()).like(f'%"{self.flag}"%'))
        if self.since is not None:
            query = query.where(Report.created_at >= self.since)
        if self.until is not None:
            query = query.where(Report.created_at < self.until)
        if self.q:
            pattern = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(Report.details.like(pattern, escape="\\"),
                                    Report.place_text.like(pattern, escape="\\"), Report.ticket == self.q))
        return query

    def page(self, query: Select[Any]) -> Select[Any]:
        """`query` limited to this page."""
        return query.limit(self.limit).offset(self.offset)

    def query_string(self, **changes: Any) -> str:
        """These filters as a query string (for links to the next page, exports), with `changes`."""
        from urllib.parse import urlencode

        data = {**self.model_dump(exclude_defaults=True, mode="json"), **changes}
        return urlencode({k: v for k, v in data.items() if v not in (None, "")})


def _text() -> Any:
    from sqlalchemy import Text

    return Text()

