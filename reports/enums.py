"""The project's closed vocabularies as `StrEnum`s: stored as their values, compared as members.

A new channel, role or status is added here first; the database keeps the plain string, so rows written
before an addition still read back.
"""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    """Canonical report categories; keypad numbers 1-5 select them in this order."""

    TRAFFICKING = "trafficking"
    DRUGS = "drugs"
    MIGRATION = "migration"
    SMUGGLING = "smuggling"
    OTHER = "other"


class When(enum.StrEnum):
    """When it happened, as the reporter can tell it on a keypad (1 now, 2 today, 3 before today)."""

    NOW = "now"
    TODAY = "today"
    EARLIER = "earlier"


class ReportStatus(enum.StrEnum):
    """Where a case stands: new → acknowledged → assigned → closed."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class DeliveryStatus(enum.StrEnum):
    """Where one alert (or one broadcast send) to one destination stands."""

    PENDING = "pending"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"  # dead-lettered after the last attempt
    SKIPPED = "skipped"  # the channel is not configured on this gateway, or the person opted out

    @classmethod
    def open(cls) -> tuple[DeliveryStatus, ...]:
        """Statuses that still need a send."""
        return (cls.PENDING, cls.RETRYING)


class Channel(enum.StrEnum):
    """The surface a reporter wrote on (a report's `channel`)."""

    TWILIO = "twilio"
    USSD = "ussd"
    SMSGATEWAY = "smsgateway"
    TELEGRAM = "telegram"
    LINE = "line"
    OFFLINE = "offline"  # a batch upload of reports collected without signal
    WEB = "web"  # the public report page
    WALK_IN = "walk_in"  # entered by a member for a person who came to the office or phoned

    @property
    def is_sms(self) -> bool:
        """Reached by a phone number (SMS answers)."""
        return self in (Channel.TWILIO, Channel.USSD, Channel.SMSGATEWAY)


class NotifyKind(enum.StrEnum):
    """How a centre is alerted: one delivery row per report and target (`telegram_media`: a photo or voice
    note sent beside a Telegram alert)."""

    TELEGRAM = "telegram"
    LINE = "line"
    SMS = "sms"
    INBOX = "inbox"
    TELEGRAM_MEDIA = "telegram_media"


class Role(enum.StrEnum):
    """A working-group member's role (the source document's NTS-MWCC composition)."""

    HEAD = "head"  # the district chief
    SECRETARY = "secretary"  # deputy district chief for security
    COORDINATOR = "coordinator"  # subdistrict and village headmen
    IMMIGRATION = "immigration"
    POLICE = "police"
    CUSTOMS = "customs"
    OTHER = "other"

    @property
    def leads(self) -> bool:
        """Heads and secretaries may invite members and send broadcasts."""
        return self in (Role.HEAD, Role.SECRETARY)


class Agency(enum.StrEnum):
    """Who a case is assigned to."""

    POLICE = "police"
    IMMIGRATION = "immigration"
    CUSTOMS = "customs"
    OTHER = "other"


class CloseReason(enum.StrEnum):
    """Why a case was closed."""

    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"


class Action(enum.StrEnum):
    """What a member can do with a case, from any surface (buttons, SMS commands, the web, the API)."""

    ACK = "ack"
    POLICE = "police"
    IMMIGRATION = "immigration"
    CUSTOMS = "customs"
    OTHER = "other"
    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    ASK = "ask"  # not a status change: a question to the reporter

    @property
    def status(self) -> ReportStatus | None:
        """The status the action moves the case to (None for ASK)."""
        if self is Action.ACK:
            return ReportStatus.ACKNOWLEDGED
        if self.value in {a.value for a in Agency}:
            return ReportStatus.ASSIGNED
        if self.value in {r.value for r in CloseReason}:
            return ReportStatus.CLOSED
        return None

    @property
    def detail(self) -> str:
        """The agency or close reason the action names ("" for acknowledge and ask)."""
        return "" if self in (Action.ACK, Action.ASK) else self.value


class Outcome(enum.StrEnum):
    """What became of an action or a question."""

    DONE = "done"
    CLOSED = "closed"  # the case was already closed: nothing changed
    MISSING = "missing"  # no such case in this centre
    ASKED = "asked"
    NO_CONTACT = "no_contact"  # the reporter left no way to reach them (FORGET, an offline report)
    REFUSED = "refused"  # not a member of the case's centre
