"""The conversation engine: one inbound message in, one reply out, for every channel.

State lives in Redis (conversation and reporter profile, keyed by pseudonym, never by number). A completed
report is written to Redis and queued for the workers in the same pipeline; the request path makes no
database call.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.client import Pipeline

from flows.definitions import Flow, Step, load_flow
from flows.parse import (
    WHEN_BY_KEY,
    Command,
    Found,
    parse_category,
    parse_command,
    parse_coordinates,
    parse_place,
    parse_report,
    parse_ticket,
    parse_when,
)
from flows.state import Conversation
from flows.submit import ReportDraft, allocate_ticket, open_transaction, queue_report
from gateway.channels.events import Inbound, Reply
from i18n import DEFAULT_LANGUAGE
from i18n.catalog import text as t
from i18n.normalize import normalize_text
from i18n.phones import country_language
from i18n.script import detect_language
from i18n.sms import MAX_REPLY_PARTS, budget_units, truncate_to_units, utf16_units
from reports import keys
from reports.context import Context
from reports.enums import Category
from reports.identity import encrypt_contact, pseudonym
from reports.places import Gazetteer, Place
from reports.queue import FORGET, FORGET_SECOND_PASS_S, SUBSCRIBE, UNSUBSCRIBE, JobQueue
from reports.tickets import is_valid_ticket

MENU_STEPS = ("category", "when")


def _profile_fields(profile: dict[str, str], lang: str) -> dict[Any, Any]:
    return {**profile, "lang": lang}


OnSave = Callable[[Pipeline, str], None]


@dataclass
class Turn:
    """One inbound message being handled: who, in which language, and what to add to the final write."""

    pid: str
    profile: dict[str, str]
    lang: str
    msg: Inbound
    on_save: OnSave | None = None
    prefix: str = ""  # said before the reply (e.g. "your last report timed out")


class Engine:
    """Runs a flow for each reporter.

    `redis` is a client that decodes responses (the conversation keys); `jobs` is the work queue, whose own
    connection carries the final write of a completed report, so the draft and its job land together.
    """

    def __init__(self, redis: Redis, gazetteer: Gazetteer, secret_key: str, jobs: JobQueue, flow: Flow | None = None,
                 clock: Any = time.time) -> None:
        self.redis = redis
        self.gazetteer = gazetteer
        self.secret_key = secret_key
        self.jobs = jobs
        self.flow = flow or load_flow()
        self.clock = clock

    @classmethod
    def for_context(cls, ctx: Context) -> Engine:
        """The engine over a process's context."""
        return cls(ctx.redis, ctx.gazetteer, ctx.settings.secret_key, ctx.jobs)

    # -- entry point ----------------------------------------------------------------------------------------
    def pseudonym(self, msg: Inbound) -> str:
        """The reporter's pseudonym: the only key their state is stored under."""
        return pseudonym(self.secret_key, msg.address)

    def queue_load(self, pipe: Pipeline, pid: str) -> None:
        """Add the reads `handle` needs to `pipe` (the caller may batch them with its own, e.g. dedup)."""
        pipe.get(keys.CONVERSATION(pid))
        pipe.hgetall(keys.PROFILE(pid))

    def handle(self, msg: Inbound, loaded: tuple[Any, Any] | None = None, on_save: OnSave | None = None) -> Reply:
        """Advance the reporter's conversation with `msg` and return the reply.

        `loaded` is the result of the reads `queue_load` queued, when the caller already fetched them;
        `on_save(pipe, reply)` adds the caller's writes to the engine's final write (one round trip).
        """
        pid = self.pseudonym(msg)
        text = normalize_text(msg.text)
        if loaded is None:
            pipe = self.redis.pipeline(transaction=False)
            self.queue_load(pipe, pid)
            raw = pipe.execute()
            loaded = (raw[0], raw[1])
        raw_state, raw_profile = loaded
        profile = {str(k): str(v) for k, v in (raw_profile or {}).items()}
        state = Conversation.from_json(raw_state) if raw_state else None

        command = parse_command(text)
        # The answer to "where?" is a place name, often in another script ("Poipet"): it says nothing about
        # the reporter's language.
        answering_place = state is not None and state.step == "place" and "lang" in profile
        lang = profile["lang"] if answering_place and command is None else self._language(text, profile, msg, command)
        turn = Turn(pid, profile, lang, msg, on_save)
        if lang == "other":
            turn.lang = profile.get("lang") or self._hint(msg) or DEFAULT_LANGUAGE
            return self._say(turn, state, "unsupported_script")

        if state is not None and self.clock() - state.updated > self.flow.timeout_s:
            state, turn.prefix = None, t(lang, "restarted")
        if state is not None and msg.new_session and not text.strip() and state.step is not None:
            return self._offer_resume(turn, state)  # a USSD reporter who was cut off dialled again
        if state is not None and state.resume_offered:
            state.resume_offered = False
            if text.strip() == "1":
                return self._ask(turn, state, self.flow.step(state.step or self.flow.steps[0].id))
            state, text = None, ""  # "2" (or anything else): start again

        if command is not None and command.name == "report" and state is not None:
            state = None  # "แจ้ง …" in the middle of a conversation starts a new report
        if command is not None:
            reply = self._command(turn, state, command)
            if reply is not None:
                return reply
        if state is None:
            return self._start(turn, text)
        return self._answer(turn, state, text)

    def _offer_resume(self, turn: Turn, state: Conversation) -> Reply:
        """"You have an unfinished report: 1 continue, 2 start again" (the answer comes as the next message)."""
        state.resume_offered = True
        lang = turn.lang
        options = (("1", t(lang, "resume_continue")), ("2", t(lang, "resume_restart")))
        body = t(lang, "resume_question")
        return self._say_text(turn, state, body, title=body, options=options)

    # -- language -------------------------------------------------------------------------------------------
    def _hint(self, msg: Inbound) -> str | None:
        if msg.language_hint in ("th", "lo", "km", "en"):
            return msg.language_hint
        return country_language(msg.address) if msg.address.startswith("+") else None

    def _language(self, text: str, profile: dict[str, str], msg: Inbound, command: Command | None) -> str:
        if command is not None and command.name == "language" and command.language:
            return command.language
        # A bot command ("/start") is written in Latin letters by every user: it says nothing of the language.
        detected = None if text.startswith("/") else detect_language(text)
        remembered = profile.get("lang")
        if detected in ("th", "lo", "km"):
            return detected
        if detected == "other":
            return "other"
        if detected == "en" and (command is None or remembered is None):
            # Latin letters: English, unless it is only a command word (STATUS) from a Lao or Khmer reporter.
            return "en"
        return remembered or self._hint(msg) or DEFAULT_LANGUAGE

    # -- commands -------------------------------------------------------------------------------------------
    def _command(self, turn: Turn, state: Conversation | None, command: Command) -> Reply | None:
        lang = turn.lang
        if command.name == "status":
            ticket = parse_ticket(command.rest)
            if ticket is None:
                return self._say(turn, state, "status_ask_ticket")
            if not is_valid_ticket(ticket):
                return self._say(turn, state, "status_unknown", ticket=ticket)  # a typo the check digit caught
            status, owner = (keys.text(v) for v in self.redis.mget(keys.TICKET_STATUS(ticket),
                                                                    keys.TICKET_OWNER(ticket)))
            if status is None or owner != turn.pid:
                # Someone else's ticket and no ticket at all get the same answer: tickets cannot be tried out.
                return self._say(turn, state, "status_not_here", ticket=ticket)
            return self._say(turn, state, "status_reply", ticket=ticket, status=t(lang, f"status_{status}"))
        if command.name == "help":
            return self._say(turn, state, "help")
        if command.name == "language":
            turn.profile = {**turn.profile, "explicit": "1"}
            return self._say(turn, state, "language_set")
        if command.name == "cancel" and state is not None:
            return self._say(turn, None, "cancelled")
        if command.name == "stop":
            turn.profile = {**turn.profile, "silent": "1"}
            # Any news subscription ends in the database too (broadcasts also check the flag when sending).
            self.jobs.enqueue(UNSUBSCRIBE(turn.pid))
            return self._say(turn, None, "stopped")
        if command.name == "forget":
            reply = t(lang, "forgotten")
            pipe = open_transaction(self.jobs)
            pipe.delete(keys.CONVERSATION(turn.pid), keys.PROFILE(turn.pid), keys.RELAY(turn.pid))
            # Stored reports keep only the pseudonym; the worker erases the encrypted contact.
            self.jobs.enqueue(FORGET(turn.pid), pipeline=pipe)
            self.jobs.enqueue(FORGET(turn.pid), delay_s=FORGET_SECOND_PASS_S, job_id=f"forget-{turn.pid}-again")
            if turn.on_save:
                turn.on_save(pipe, reply)
            pipe.execute()
            return Reply(reply, lang)
        if command.name == "news":
            return self._subscribe(turn, state, command.rest)
        if command.name == "back" and state is not None:
            return self._back(turn, state)
        return None  # "report", "yes" outside a question: handled by the flow

    def _subscribe(self, turn: Turn, state: Conversation | None, rest: str) -> Reply:
        """`NEWS <district>` (or just NEWS after a report): the district centre's awareness news; a job keeps
        the subscription in the database (workers/subscriptions.py). Asking for news lifts an earlier STOP."""
        place = parse_place(rest, self.gazetteer) if rest.strip() else None
        district = place.district_code if place and place.district_code else \
            (None if rest.strip() else turn.profile.get("district"))
        if not district:
            return self._say(turn, state, "news_ask_place")
        turn.profile = {**turn.profile, "silent": "0", "district": district}
        contact = encrypt_contact(self.secret_key, turn.msg.address)
        self.jobs.enqueue(SUBSCRIBE(turn.pid, contact, turn.msg.channel, turn.lang, district))
        return self._say(turn, state, "news_subscribed",
                         district=self.gazetteer.district_name(district, turn.lang) or district)

    # -- the flow -------------------------------------------------------------------------------------------
    def _start(self, turn: Turn, text: str) -> Reply:
        msg = turn.msg
        found = parse_report(text, self.gazetteer)
        state = Conversation(flow=self.flow.id, started=self.clock(), updated=self.clock())
        self._remember(state, msg)
        self._fill(state, found, msg)
        s = state.slots
        state.one_line = bool(s.category and s.place_text and s.details)
        return self._next(turn, state)

    def _fill(self, state: Conversation, found: Found, msg: Inbound) -> None:
        s = state.slots
        if found.category and not s.category:
            s.category = found.category
            state.history.append("category")
        if found.place_text and not s.place_text:
            s.place_text = found.place_text
            s.place = found.place.as_dict() if found.place else None
            state.history.append("place")
        if msg.location and not s.place_text:
            lat, lon = msg.location
            place = self.gazetteer.locate(lat, lon)
            s.place_text = f"{lat:.5f},{lon:.5f}"
            s.place = place.as_dict() if place else None
            state.history.append("place")
        if msg.location:
            s.location = list(msg.location)
        elif found.location and not s.location:
            s.location = list(found.location)  # a point typed in the SMS: kept exactly, shown at the centre's precision
        if found.when and not s.when:
            s.when = found.when
            state.history.append("when")
        if found.details and not s.details:
            s.details = found.details
            state.history.append("details")

    def _missing(self, state: Conversation) -> Step | None:
        s = state.slots
        for step in self.flow.steps:
            if step.expects == "confirm":
                if state.one_line and step.one_line_skip:
                    continue
                return step
            slot = step.slot or ""
            if s.filled(slot):
                continue
            if state.one_line and step.one_line_default:
                setattr(s, slot, step.one_line_default)
                continue
            return step
        return None

    def _next(self, turn: Turn, state: Conversation, prefix: str = "") -> Reply:
        step = self._missing(state)
        if step is None:
            return self._complete(turn, state)
        state.step = step.id
        return self._ask(turn, state, step, prefix)

    def _ask(self, turn: Turn, state: Conversation, step: Step, prefix: str = "", retry: bool = False) -> Reply:
        """Ask `step`'s question: the prose for SMS, and a title with options for menu channels."""
        lang = turn.lang
        if step.expects == "confirm":
            body = self._confirm_text(lang, state, prefix)
            title = t(lang, "title_confirm", **self._summary(lang, state))
        else:
            body = self._join(prefix, t(lang, (step.retry_prompt if retry else None) or step.prompt))
            title = t(lang, f"title_{step.expects}") if step.expects in MENU_STEPS else body[len(prefix):].strip()
        return self._say_text(turn, state, body, title=title, notice=prefix, options=self.options(step, lang))

    @staticmethod
    def options(step: Step, lang: str) -> tuple[tuple[str, str], ...]:
        """The numbered choices of a menu step, in `lang`."""
        if step.expects == "category":
            return tuple((str(i + 1), t(lang, f"cat_{c.value}")) for i, c in enumerate(Category))
        if step.expects == "when":
            return tuple((k, t(lang, f"when_{v}")) for k, v in WHEN_BY_KEY.items())
        if step.expects == "confirm":
            return (("1", t(lang, "opt_send")), ("0", t(lang, "opt_change")), ("9", t(lang, "opt_cancel")))
        return ()

    def resume(self, msg: Inbound) -> Reply | None:
        """Ask the open conversation's current question again (a USSD reporter who redialled), or None."""
        pid = self.pseudonym(msg)
        pipe = self.redis.pipeline(transaction=False)
        self.queue_load(pipe, pid)
        raw_state, raw_profile = pipe.execute()
        if not raw_state:
            return None
        state = Conversation.from_json(raw_state)
        if self.clock() - state.updated > self.flow.timeout_s or state.step is None:
            return None
        profile = {str(k): str(v) for k, v in (raw_profile or {}).items()}
        turn = Turn(pid, profile, profile.get("lang") or self._hint(msg) or DEFAULT_LANGUAGE, msg)
        return self._ask(turn, state, self.flow.step(state.step))

    def _answer(self, turn: Turn, state: Conversation, text: str) -> Reply:
        msg = turn.msg
        step = self.flow.step(state.step or self.flow.steps[0].id)
        self._remember(state, msg)
        s = state.slots
        missed = state.misses
        state.misses = 0
        if step.expects == "confirm":
            command = parse_command(text)
            choice = text.strip()
            if choice == "1" or (command is not None and command.name == "yes"):
                return self._complete(turn, state)
            if choice == "0":
                return self._back(turn, state)
            if choice == "9":
                return self._say(turn, None, "cancelled")
            return self._not_understood(turn, state, missed)
        if text.strip() == "0":
            return self._back(turn, state)
        if step.expects == "category":
            found = parse_report(text, self.gazetteer)
            if found.category is None:
                category, _ = parse_category(text, anywhere=True)
                found.category = category
            if found.category is None:
                return self._not_understood(turn, state, missed)
            self._fill(state, found, msg)
        elif step.expects == "place":
            point = parse_coordinates(normalize_text(text))
            if msg.location:
                self._fill(state, Found(), msg)
            elif point is not None:  # "17.57,104.59" or a maps link typed as the answer
                (lat, lon), _start, _end = point
                self._fill(state, Found(place=self.gazetteer.locate(lat, lon), place_text=f"{lat:.5f},{lon:.5f}",
                                        location=(lat, lon)), msg)
            else:
                place = parse_place(text, self.gazetteer)
                if place is None:
                    state.place_tries += 1
                    if state.place_tries < self.flow.max_place_tries:
                        return self._ask(turn, state, step, retry=True)
                # Unknown after the last try: keep the words; the fallback centre reads them.
                s.place_text = text[:200]
                s.place = place.as_dict() if place else None
                state.history.append("place")
        elif step.expects == "when":
            when = parse_when(text)
            if when is None:
                return self._not_understood(turn, state, missed)
            s.when = when
            state.history.append("when")
        elif step.expects == "text":
            if not any(ch.isalnum() for ch in text) and msg.media:
                # A photo or a voice note is an answer for those who do not type.
                text = " ".join("📷" if m.get("kind") == "photo" else "🎤" for m in msg.media)
            elif not any(ch.isalnum() for ch in text):
                return self._not_understood(turn, state, missed)
            s.details = text[:1000]
            state.history.append("details")
        return self._next(turn, state)

    def _not_understood(self, turn: Turn, state: Conversation, missed: int) -> Reply:
        """"Sorry, not understood" and the question again; after two in a row, the one-part help with the way
        out (cancel, stop) instead, so a reporter who is stuck is not sent the same two SMS again and again."""
        state.misses = missed + 1
        if state.misses >= 2:
            state.misses = 0
            return self._say(turn, state, "help")
        return self._next(turn, state, prefix=t(turn.lang, "not_understood"))

    def _back(self, turn: Turn, state: Conversation) -> Reply:
        state.one_line = False
        if state.history:
            last = state.history.pop()
            state.slots.clear(last)
            if last == "place":
                state.place_tries = 0
        step = self._missing(state) or self.flow.steps[0]
        state.step = step.id
        return self._ask(turn, state, step)

    def _summary(self, lang: str, state: Conversation) -> dict[str, str]:
        s = state.slots
        place = Place.from_dict(s.place) if s.place else None
        return {
            "category": t(lang, f"cat_{s.category}"),
            "place": self.gazetteer.describe(place, lang) if place and place.district_code else s.place_text,
            "when": t(lang, f"when_{s.when or 'now'}"),
        }

    def _confirm_text(self, lang: str, state: Conversation, prefix: str) -> str:
        s = state.slots
        values = {**self._summary(lang, state), "details": ""}
        frame = self._join(prefix, t(lang, "confirm", **values))
        budget = budget_units(frame + "ก", MAX_REPLY_PARTS)  # reporter texts are UCS-2 in th/lo/km
        if lang == "en" and not any(ord(c) > 127 for c in s.details):
            budget = budget_units("a", MAX_REPLY_PARTS)
        room = budget - utf16_units(frame)
        values["details"] = truncate_to_units(s.details, max(room, 8))
        return self._join(prefix, t(lang, "confirm", **values))

    def _complete(self, turn: Turn, state: Conversation) -> Reply:
        pid, lang, msg = turn.pid, turn.lang, turn.msg
        report_id = str(uuid.uuid4())
        ticket = allocate_ticket(self.redis)
        s = state.slots
        draft = ReportDraft(
            id=report_id, ticket=ticket, reporter=pid, contact=encrypt_contact(self.secret_key, msg.address),
            channel=msg.channel, language=lang, category=s.category or "other", place_text=s.place_text,
            place=s.place, location=s.location, when=s.when or "now", details=s.details, one_line=state.one_line,
            messages=state.messages, media=state.media, received_at=state.started)
        pipe = open_transaction(self.jobs)
        queue_report(self.jobs, pipe, draft)
        pipe.delete(keys.CONVERSATION(pid))
        district = (s.place or {}).get("district_code")
        profile = {**turn.profile, "district": district} if district else turn.profile  # for a later NEWS
        pipe.hset(keys.PROFILE(pid), mapping=_profile_fields(profile, lang))
        pipe.expire(keys.PROFILE(pid), keys.PROFILE.ttl_s or 0)
        reply = t(lang, self.flow.on_complete, ticket=ticket)
        if turn.on_save:
            turn.on_save(pipe, reply)
        pipe.execute()
        return Reply(reply, lang, ticket=ticket, report_id=report_id, title=reply)

    # -- helpers --------------------------------------------------------------------------------------------
    def _remember(self, state: Conversation, msg: Inbound) -> None:
        state.messages.append({"id": msg.provider_id, "text": normalize_text(msg.text)[:2000],
                               "at": msg.received_at.timestamp()})
        if msg.media:  # photos and voice notes: fetched and checked by the worker, sent with the alert
            state.media.extend(list(msg.media)[:5])

    @staticmethod
    def _join(prefix: str, body: str) -> str:
        return f"{prefix} {body}" if prefix else body

    def _say(self, turn: Turn, state: Conversation | None, key: str, **values: object) -> Reply:
        return self._say_text(turn, state, t(turn.lang, key, **values))

    def _say_text(self, turn: Turn, state: Conversation | None, body: str, title: str = "", notice: str = "",
                  options: tuple[tuple[str, str], ...] = ()) -> Reply:
        """Save state and profile (and the caller's writes) in one round trip, and reply."""
        notice = self._join(turn.prefix, notice)
        body = self._join(turn.prefix, body)
        pipe = self.redis.pipeline(transaction=False)
        if state is None:
            pipe.delete(keys.CONVERSATION(turn.pid))
        else:
            state.updated = self.clock()
            pipe.set(keys.CONVERSATION(turn.pid), state.to_json(), ex=keys.CONVERSATION.ttl_s)
        pipe.hset(keys.PROFILE(turn.pid), mapping=_profile_fields(turn.profile, turn.lang))
        pipe.expire(keys.PROFILE(turn.pid), keys.PROFILE.ttl_s or 0)
        if turn.on_save:
            turn.on_save(pipe, body)
        pipe.execute()
        return Reply(body, turn.lang, step=state.step if state else None, title=title or body,
                     notice=notice, options=options, final=state is None)
