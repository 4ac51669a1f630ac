"""SQLAlchemy 2 models: reporters (pseudonymous), reports, inbound messages, deliveries, audit events."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

from reports.enums import Category, Channel, DeliveryStatus, NotifyKind, ReportStatus, Role, When


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class EnumText(TypeDecorator[Any]):
    """A `StrEnum` stored as its plain value in a VARCHAR (no database enum type to migrate); read back as the
    enum member, and a value outside the enum is refused on write."""

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[enum.StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return str(self.enum_cls(value).value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.enum_cls(value)


class Base(DeclarativeBase):
    """Declarative base for every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON, list[dict[str, Any]]: JSON}


class Reporter(Base):
    """A reporter known only by a keyed pseudonym; the contact address is encrypted and erasable."""

    __tablename__ = "reporters"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # pseudonym "R-XXXXXXXXXX"
    contact_enc: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 32))
    language: Mapped[str] = mapped_column(String(8))
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # Random, private: each centre sees this reporter as alias(salt, centre). FORGET moves the reports away and
    # the next report starts with a new salt, so nothing links the reporter before and after.
    salt: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    forgotten_at: Mapped[datetime | None]


class Report(Base):
    """One structured report, routed to one centre."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # made at intake, the idempotency key
    ticket: Mapped[str] = mapped_column(String(16), unique=True)
    reporter_id: Mapped[str] = mapped_column(ForeignKey("reporters.id"), index=True)
    reporter_alias: Mapped[str | None] = mapped_column(String(16))  # what the centre sees ("R-…", per centre)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 32))
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[Category] = mapped_column(EnumText(Category), index=True)
    when_code: Mapped[When] = mapped_column(EnumText(When))
    details: Mapped[str] = mapped_column(Text, default="")
    place_text: Mapped[str] = mapped_column(Text, default="")
    tambon_code: Mapped[str | None] = mapped_column(String(6))
    district_code: Mapped[str | None] = mapped_column(String(4), index=True)
    province_code: Mapped[str | None] = mapped_column(String(2))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    resolved_via: Mapped[str | None] = mapped_column(String(16))
    center_id: Mapped[str] = mapped_column(String(32), index=True)
    flags: Mapped[list[str]] = mapped_column(default=list)
    # Photos and voice notes, stored under the media directory after their size and type were checked.
    media: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    status: Mapped[ReportStatus] = mapped_column(EnumText(ReportStatus), default=ReportStatus.NEW, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    received_at: Mapped[datetime]
    # Reports on the same category and place within a few hours share one (reports/incidents.py).
    incident_id: Mapped[str | None] = mapped_column(String(36), index=True)


class InboundMessage(Base):
    """A message from a reporter that became part of a report; one row per provider message id."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id", name="uq_inbound_provider"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[str] = mapped_column(String(128))
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]


class ReportMessage(Base):
    """A question a member asked the reporter of a case, or the reporter's answer: what the alert's chat thread
    shows, kept so the web report page shows it too (the audit trail keeps no message content)."""

    __tablename__ = "report_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "question" or "answer"
    author: Mapped[str] = mapped_column(String(64))  # the member's actor, or "reporter:<alias>"
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One alert to one notify target of a centre; the outbound dedup ledger (one row per report+target)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("report_id", "target_key", name="uq_delivery_target"),
                      Index("ix_deliveries_due", "status", "next_attempt_at"))

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    center_id: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[NotifyKind] = mapped_column(EnumText(NotifyKind))
    target_key: Mapped[str] = mapped_column(String(64))
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus), default=DeliveryStatus.PENDING,
                                                   index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the next attempt is due (None: now). The sweeper re-queues deliveries overdue by a margin, so a
    # job lost with a killed worker or a Redis restart is still sent.
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None]


class Invite(Base):
    """A one-time code a head or secretary made for a new member (only its hash is kept)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    center_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    name: Mapped[str] = mapped_column(String(80))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Membership(Base):
    """A member who joined with an invite: their Telegram or LINE account, bound to a centre and a role."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    center_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[Role] = mapped_column(EnumText(Role))
    name: Mapped[str] = mapped_column(String(80))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    line_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(8))  # their app's language at JOIN (broadcasts)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only trail; each row carries the hash of the previous one (chain checked by `audit verify`)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str | None] = mapped_column(String(36), index=True)
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Subscription(Base):
    """A villager who asked for the district centre's news (`NEWS <district>`); ended by STOP or FORGET."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reporter_id: Mapped[str] = mapped_column(ForeignKey("reporters.id"), unique=True)
    district_code: Mapped[str] = mapped_column(String(4), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class Broadcast(Base):
    """An awareness message from a centre to its members and subscribed villagers, one text per language."""

    __tablename__ = "broadcasts"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    center_id: Mapped[str] = mapped_column(String(32), index=True)
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> text
    audience: Mapped[str] = mapped_column(String(16))  # all, members, subscribers
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BroadcastSend(Base):
    """One broadcast to one person: the ledger that makes a broadcast sent once to each, whatever crashes.

    `recipient` is `member:<channel>:<account>` or `subscriber:<pseudonym>` (the villager's number is read
    from their encrypted contact only when sending, so FORGET or STOP in between is honoured)."""

    __tablename__ = "broadcast_sends"
    __table_args__ = (Index("ix_broadcast_sends_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    broadcast_id: Mapped[str] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(96))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None]


class LoginCode(Base):
    """A one-time login link a member asked the bot for (only its keyed hash is kept): valid minutes, used once."""

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal: Mapped[dict[str, Any]] = mapped_column(default=dict)  # who it logs in (centres/access.py)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A member's browser session (the cookie holds a random token; only its keyed hash is kept)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public id, shown in the session list
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_key: Mapped[str] = mapped_column(String(96), index=True)
    principal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class ApiToken(Base):
    """A named API token with scopes over some centres (only its keyed hash is kept; shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # the public part of the token
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64))
    centers: Mapped[list[str]] = mapped_column(default=list)  # ["*"]: every centre
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class OfficerPin(Base):
    """The PIN a duty officer writes after the ticket in an SMS command, per phone (keyed hash, salted)."""

    __tablename__ = "officer_pins"

    phone_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # keyed hash of the E.164 number
    pin_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    set_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
