"""Awareness broadcasts: a centre's short message (a warning about fake job offers, a training date) to the
members of its working group and to the villagers of its districts who asked for news (`NEWS <district>`),
each in their own language, within the providers' rate limits, with STOP and FORGET honoured up to the
moment of sending.

A broadcast is one `broadcasts` row and one `broadcast_sends` row per person: the ledger that sends each
exactly once (the send-once claim and `sent` marker of reports/sendonce.py, and the row's status in the
database). Sends go out at NTS_BROADCAST_RATES per channel, spaced by one Redis script shared by every worker.
One worker runs a broadcast at a time for RUN_BUDGET_S, then queues its own continuation; the sweeper queues
it again if that job is lost (workers/sweeper.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from centres.members import ALPHABET
from gateway.channels import registry
from gateway.channels.sending import NotConfigured, Outgoing, SendError
from i18n import LANGUAGES
from i18n.catalog import text as t
from i18n.normalize import ce_to_be
from i18n.script import detect_language
from i18n.sms import MAX_REPLY_PARTS, sms_size
from reporters.outbound import channel_for, transport
from reports import keys, sendonce, store
from reports.centres_file import Center, Member, language_or_none
from reports.context import Context
from reports.enums import DeliveryStatus
from reports.identity import decrypt_contact
from reports.models import Broadcast, BroadcastSend, Membership, Reporter, Subscription, utcnow
from reports.places import Gazetteer
from reports.queue import BROADCAST, BROADCAST_RETRY

log = logging.getLogger("ntswatch.broadcasts")

AUDIENCES = ("all", "members", "subscribers")
BROADCAST_COMMAND = re.compile(r"^/broadcast(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)  # to the bot
TEMPLATES = ("fake_jobs", "training")
RUN_BUDGET_S = 60.0  # then the job queues its continuation, so one long broadcast never holds a worker
BATCH = 50
SLEEP_AT_MOST_S = 2.0  # a longer wait for a rate slot is a scheduled continuation, not a sleeping worker
OPEN = DeliveryStatus.open()
CHAT_BUCKETS = ("telegram", "line")  # every other channel is an SMS route, sharing the "sms" bucket


class BroadcastError(ValueError):
    """A broadcast that cannot be made (no text, too long, unknown template or audience)."""


@dataclass(frozen=True)
class Recipient:
    """One person a broadcast goes to: `member:<channel>:<account>` or `subscriber:<pseudonym>`."""

    key: str
    channel: str
    language: str


# -- making a broadcast ------------------------------------------------------------------------------------------

def short_date(day: date, lang: str) -> str:
    """5/12/2569 in Thai (Buddhist era), 5/12/2026 otherwise: what a feature phone shows and a villager reads."""
    return f"{day.day}/{day.month}/{ce_to_be(day.year) if lang == 'th' else day.year}"


def template_texts(name: str, center: Center, gazetteer: Gazetteer, day: date | None = None,
                   place: str = "") -> dict[str, str]:
    """A ready-made broadcast in all four languages, naming the centre's district in each reader's script."""
    if name not in TEMPLATES:
        raise BroadcastError(f"template must be one of {', '.join(TEMPLATES)}")
    if name == "training" and (day is None or not place.strip()):
        raise BroadcastError("the training template needs a date and a place")
    texts = {}
    for lang in LANGUAGES:
        district = (gazetteer.district_name(center.districts[0], lang) if center.districts else None) or center.name
        texts[lang] = t(lang, f"bc_{name}", district=district, date=short_date(day, lang) if day else "",
                        place=place.strip())
    return texts


def check_texts(texts: dict[str, str], center: Center) -> dict[str, str]:
    """The texts, stripped; each must fit two SMS parts with the opt-out footer of every language it may be
    sent in (its own; the centre's text, or the first, also goes to languages without a text of their own)."""
    cleaned = {lang: body.strip() for lang, body in texts.items() if body and body.strip()}
    if not cleaned:
        raise BroadcastError("a broadcast needs a text")
    unknown = set(cleaned) - set(LANGUAGES)
    if unknown:
        raise BroadcastError(f"unknown language(s) {', '.join(sorted(unknown))}; use {', '.join(LANGUAGES)}")
    for lang in LANGUAGES:
        size = sms_size(f"{text_for(cleaned, lang, center)} {t(lang, 'bc_footer')}")
        if size.parts > MAX_REPLY_PARTS:
            limit = 306 if size.encoding == "GSM-7" else 134  # two concatenated parts
            raise BroadcastError(t(center.language, "bc_too_long", units=size.units, limit=limit))
    return cleaned


def text_for(texts: dict[str, Any], lang: str, center: Center) -> str:
    """The text a reader of `lang` gets: theirs, else the centre's language's, else the first written."""
    return str(texts.get(lang) or texts.get(center.language) or next(iter(texts.values())))


def _member_recipient(member: Member, center: Center) -> Recipient | None:
    language = member.language or center.language
    if member.telegram_user_id:
        return Recipient(f"member:telegram:{member.telegram_user_id}", "telegram", language)
    if member.line_user_id:
        return Recipient(f"member:line:{member.line_user_id}", "line", language)
    if member.phone:
        return Recipient(f"member:sms:{member.phone}", "sms", language)
    return None


def recipients(session: Session, center: Center, audience: str) -> list[Recipient]:
    """Everyone a broadcast to `audience` reaches now: members (centres file and invites) on their chat app
    or phone, and subscribed villagers of the centre's districts whose contact is still kept."""
    found: dict[str, Recipient] = {}
    if audience in ("all", "members"):
        joined = session.execute(select(Membership).where(Membership.center_id == center.id)).scalars()
        members = [*center.members, *(Member(role=m.role, name=m.name, telegram_user_id=m.telegram_user_id,
                                             line_user_id=m.line_user_id,
                                             language=language_or_none(m.language))
                                      for m in joined)]
        for member in members:
            r = _member_recipient(member, center)
            if r is not None:
                found.setdefault(r.key, r)
    if audience in ("all", "subscribers") and center.districts:
        rows = session.execute(select(Reporter.id, Reporter.channel, Reporter.language).join(
            Subscription, Subscription.reporter_id == Reporter.id).where(
            Subscription.district_code.in_(center.districts), Subscription.ended_at.is_(None),
            Reporter.contact_enc.is_not(None))).all()
        for pid, channel, language in rows:
            found.setdefault(f"subscriber:{pid}", Recipient(f"subscriber:{pid}", channel, language))
    return list(found.values())


def create(ctx: Context, center: Center, texts: dict[str, str], audience: str, created_by: str) -> tuple[str, int, int]:
    """Store a broadcast and one send per recipient, queue it; return (id, members, subscribers)."""
    if audience not in AUDIENCES:
        raise BroadcastError(f"audience must be one of {', '.join(AUDIENCES)}")
    cleaned = check_texts(texts, center)
    ctx.redis.ping()  # Redis away: refuse now, with nothing stored (a retry must not make a second broadcast)
    broadcast_id = "".join(secrets.choice(ALPHABET) for _ in range(8))
    with ctx.sessions.begin() as session:
        people = recipients(session, center, audience)
        session.add(Broadcast(id=broadcast_id, center_id=center.id, texts=cleaned, audience=audience,
                              created_by=created_by[:64]))
        session.flush()
        for r in people:
            session.add(BroadcastSend(id=send_id(broadcast_id, r.key), broadcast_id=broadcast_id, recipient=r.key,
                                      channel=r.channel, language=r.language))
        members = sum(1 for r in people if r.key.startswith("member:"))
        store.audit(session, "broadcast_created", None, created_by[:64],
                    {"broadcast": broadcast_id, "center": center.id, "audience": audience,
                     "languages": sorted(cleaned), "members": members, "subscribers": len(people) - members})
    try:
        enqueue(ctx, broadcast_id)
    except RedisError as exc:  # stored: the sweeper queues it once Redis answers (workers/sweeper.py)
        log.warning("broadcast %s stored but not queued (%s); the sweeper will send it", broadcast_id,
                    type(exc).__name__)
    return broadcast_id, members, len(people) - members


def send_id(broadcast_id: str, recipient: str) -> str:
    """The send row's id: one per broadcast and person (no phone number or account in it)."""
    return f"{broadcast_id}-{hashlib.sha256(recipient.encode()).hexdigest()[:24]}"


def enqueue(ctx: Context, broadcast_id: str, delay_s: float = 0.0, suffix: str = "") -> None:
    """Queue a run of the broadcast, now or after `delay_s` (RQ's scheduler)."""
    job_id = f"broadcast-{broadcast_id}{suffix}"
    ctx.jobs.enqueue(BROADCAST(broadcast_id), delay_s=delay_s if delay_s > 0 else None, job_id=job_id)


def from_member(ctx: Context, center: Center, member: Member, surface: str, text: str) -> str:
    """`/broadcast <text>` from a head or secretary: to everyone of their centre, in the language the text is
    written in (others get it as written); the answer for the member, in the centre's language."""
    if not text.strip():
        return t(center.language, "bc_usage")
    written = detect_language(text)
    lang = written if written in LANGUAGES else center.language
    try:
        broadcast_id, members, subscribers = create(ctx, center, {lang: text}, "all",
                                                    f"{surface}:{member.role}:{member.name}")
    except BroadcastError as exc:
        return str(exc)
    return t(center.language, "bc_queued", id=broadcast_id, count=members + subscribers, members=members,
             subscribers=subscribers)


# -- sending -------------------------------------------------------------------------------------------------

def rate_channel(channel: str) -> str:
    """The rate-limit bucket of a channel: every SMS route shares one."""
    return channel if channel in CHAT_BUCKETS else "sms"


# GCRA without burst: each send books the next free moment 1/rate after the last, atomically (one script call),
# so no second ever holds more than the rate, even across window edges. A fixed window let 2x the rate through
# at its edge (measured by bench/broadcast.py: 99 Telegram sends in one second at 50/s).
_SPACING = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
if tat > now then
  return tostring(tat - now)
end
redis.call('SET', KEYS[1], tostring(math.max(tat, now) + interval), 'PX', math.ceil(interval * 1000) + 1000)
return '0'
"""


def take_slot(ctx: Context, channel: str, now: float | None = None) -> float:
    """0 when one more message may go out on `channel` now (the slot is taken), else seconds to wait."""
    rate = ctx.settings.broadcast_rates.get(rate_channel(channel), 1.0)
    now = time.time() if now is None else now
    wait = ctx.redis.eval(_SPACING, 1, keys.BROADCAST_NEXT(rate_channel(channel)), repr(now), repr(1.0 / rate))
    return float(wait)


def _address(ctx: Context, session: Session, row: BroadcastSend) -> tuple[str | None, str]:
    """Where this send goes now (address, channel), or (None, why not): STOP, FORGET, no route."""
    kind, _, rest = row.recipient.partition(":")
    if kind == "member":
        native, _, account = rest.partition(":")
        address = {"telegram": f"tg:{account}", "line": f"line:{account}"}.get(native, account)
        route = channel_for(ctx, native, address)
        return (address, route) if route else (None, "no route")
    sub = session.execute(select(Subscription).where(Subscription.reporter_id == rest)).scalar_one_or_none()
    reporter = session.get(Reporter, rest)
    if sub is None or sub.ended_at is not None:
        return None, "unsubscribed"
    if reporter is None or not reporter.contact_enc:
        return None, "forgotten"
    if ctx.redis.hget(keys.PROFILE(rest), "silent") == "1":
        return None, "stop"
    address = decrypt_contact(ctx.settings.secret_key, reporter.contact_enc)
    route = channel_for(ctx, reporter.channel, address)
    return (address, route) if route else (None, "no route")


def _text(broadcast: Broadcast, center: Center, row: BroadcastSend) -> str:
    body = text_for(broadcast.texts, row.language, center)
    if row.recipient.startswith("member:"):
        return f"📢 {body}"  # a member's copy: marked as the centre's broadcast, no opt-out (they are the centre)
    return f"{body} {t(row.language, 'bc_footer')}"  # how to stop, in the villager's own language


def _send_one(ctx: Context, broadcast: Broadcast, center: Center, row_id: str) -> float:
    """Send one row if it is still due; return seconds to wait when its channel has no slot free now.

    The provider call happens between two short transactions, not inside one: on SQLite a transaction holds
    the write lock, and reports must not queue behind a slow provider. The send-once claim keeps other
    workers off the row meanwhile; its `sent` marker covers a crash between the provider's yes and the second
    transaction. LINE pushes carry a retry key derived from the row, so even that window sends once there.
    """
    with sendonce.claimed(ctx.redis, f"bc-{row_id}", ctx.settings.send_claim_s) as ledger:
        if ledger is None:
            return 0.0
        with ctx.sessions.begin() as session:
            row = session.get(BroadcastSend, row_id)
            if row is None or row.status not in OPEN:
                return 0.0
            if ledger.already() is not None:  # the provider took it; the row was not written
                row.status, row.sent_at = DeliveryStatus.SENT, utcnow()
                return 0.0
            address, route = _address(ctx, session, row)
            if address is None:
                row.status, row.last_error = DeliveryStatus.SKIPPED, route
                return 0.0
            wait = take_slot(ctx, route)
            if wait > 0:
                return wait
            row.attempts += 1
            attempts, text = row.attempts, _text(broadcast, center, row)
        status, error, retry_at = DeliveryStatus.SENT, None, None
        try:
            ledger.record(registry.send(transport(ctx), Outgoing(route, address, text, f"bc-{row_id}")))
        except NotConfigured as exc:
            status, error = DeliveryStatus.SKIPPED, str(exc)[:500]
        except SendError as exc:
            error = str(exc)[:500]
            if exc.permanent or attempts >= BROADCAST_RETRY.attempts:
                status = DeliveryStatus.DEAD
            else:
                status = DeliveryStatus.RETRYING
                retry_at = utcnow() + timedelta(seconds=exc.retry_after or BROADCAST_RETRY.delay(attempts))
        with ctx.sessions.begin() as session:
            row = session.get(BroadcastSend, row_id)
            if row is not None:
                row.status, row.last_error, row.next_attempt_at = status, error, retry_at
                row.sent_at = utcnow() if status == DeliveryStatus.SENT else None
        return 0.0


def _due_rows(ctx: Context, broadcast_id: str, blocked: set[str]) -> list[tuple[str, str]]:
    """(id, rate bucket) of sends due now, leaving out buckets waiting for their rate window."""
    query = select(BroadcastSend.id, BroadcastSend.channel).where(
        BroadcastSend.broadcast_id == broadcast_id, BroadcastSend.status.in_(OPEN),
        func.coalesce(BroadcastSend.next_attempt_at, utcnow() - timedelta(days=1)) <= utcnow())
    for bucket in blocked:
        query = query.where(BroadcastSend.channel != bucket) if bucket in CHAT_BUCKETS else \
            query.where(BroadcastSend.channel.in_(CHAT_BUCKETS))
    with ctx.sessions() as session:
        rows = session.execute(query.order_by(BroadcastSend.id).limit(BATCH)).all()
    return [(row_id, rate_channel(channel)) for row_id, channel in rows]


def send_batch(ctx: Context, broadcast_id: str) -> str:
    """Send what is due of a broadcast for up to RUN_BUDGET_S, then queue what is left."""
    run_lock = keys.BROADCAST_RUN(broadcast_id)
    if not ctx.redis.set(run_lock, os.getpid(), nx=True, ex=int(RUN_BUDGET_S + ctx.settings.send_claim_s)):
        return "running elsewhere"
    try:
        later = _run(ctx, broadcast_id)
    finally:
        ctx.redis.delete(run_lock)
    if later is None:
        return "done"
    enqueue(ctx, broadcast_id, later, suffix=f"-{time.time_ns()}")
    return f"continues in {later:.1f} s"


def _run(ctx: Context, broadcast_id: str) -> float | None:
    """Send until done (None) or until the budget or the rate limits say stop (seconds until the next run).

    A channel out of slots is set aside until its next window while the others go on, so a slow SMS route
    never holds back the Telegram and LINE messages of the same broadcast."""
    with ctx.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return None
        session.expunge(broadcast)
    center = ctx.centers.by_id.get(broadcast.center_id) or ctx.centers.fallback
    deadline = time.monotonic() + RUN_BUDGET_S
    blocked: dict[str, float] = {}  # rate bucket -> time.monotonic() when its next window opens
    previous: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        now = time.monotonic()
        blocked = {bucket: until for bucket, until in blocked.items() if until > now}
        rows = _due_rows(ctx, broadcast_id, set(blocked))
        if not rows:
            if not blocked:
                return _settle(ctx, broadcast_id)
            wait = min(blocked.values()) - now
            if wait > SLEEP_AT_MOST_S or now + wait >= deadline:
                return wait
            time.sleep(wait)
            previous = []
            continue
        if rows == previous:
            return 5.0  # the same rows still open: claimed by another worker right now; look again soon
        previous = rows
        for row_id, bucket in rows:
            if time.monotonic() >= deadline:
                break
            if bucket in blocked:
                continue
            wait = _send_one(ctx, broadcast, center, row_id)
            if wait > 0:
                blocked[bucket] = time.monotonic() + wait
    return 0.1  # the budget is spent: the rest in a new job


def _settle(ctx: Context, broadcast_id: str) -> float | None:
    """Seconds until the earliest retry of this broadcast, or None once every send is settled (audited)."""
    with ctx.sessions() as session:
        due = session.execute(select(func.min(BroadcastSend.next_attempt_at)).where(
            BroadcastSend.broadcast_id == broadcast_id, BroadcastSend.status.in_(OPEN))).scalar()
        tally = summary(session, broadcast_id) if due is None else {}
    if due is not None:
        return max(0.5, (due - utcnow()).total_seconds())
    done = keys.BROADCAST_DONE(broadcast_id)
    if not ctx.redis.exists(done):
        with ctx.sessions.begin() as session:
            store.audit(session, "broadcast_done", None, "worker", {"broadcast": broadcast_id, **tally})
        ctx.redis.set(done, 1, ex=keys.BROADCAST_DONE.ttl_s)
    return None


def summary(session: Session, broadcast_id: str) -> dict[str, Any]:
    """How many sends of a broadcast are pending, sent, skipped (STOP, FORGET, no route) or dead."""
    rows = session.execute(select(BroadcastSend.status, func.count()).where(
        BroadcastSend.broadcast_id == broadcast_id).group_by(BroadcastSend.status)).all()
    return {str(status): int(n) for status, n in rows}


def overdue(ctx: Context, before: Any) -> list[str]:
    """Broadcasts with a send still open that was due before `before` (for the sweeper)."""
    with ctx.sessions() as session:
        due = func.coalesce(BroadcastSend.next_attempt_at, Broadcast.created_at)
        return list(session.execute(select(BroadcastSend.broadcast_id).join(
            Broadcast, Broadcast.id == BroadcastSend.broadcast_id).where(
            BroadcastSend.status.in_(OPEN), due < before).distinct().limit(100)).scalars())
