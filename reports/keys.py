"""Every Redis key the gateway writes, with how long it lives: the one place to read what Redis holds.

All keys sit under `nts:`; none contains a phone number or a chat id in clear (reporters are pseudonyms,
officers' numbers are hashed before they become part of a key). RQ's own keys (`rq:*`) are RQ's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DAY = 86400


@dataclass(frozen=True)
class KeyFamily:
    """Keys `prefix:<part>:<part>…` of one kind, and their time to live (None: kept until deleted)."""

    prefix: str
    ttl_s: int | None
    what: str

    def __call__(self, *parts: object) -> str:
        """The key for `parts`."""
        return ":".join([self.prefix, *(str(p) for p in parts)])


def text(value: object) -> str | None:
    """A Redis answer as text: the gateway's client decodes (redis-py types it as bytes | str)."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def hashed(value: str) -> str:
    """A short stable digest for a key part that must not appear in clear (an officer's phone number)."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


# -- the reporter's conversation (flows/) ------------------------------------------------------------------
CONVERSATION = KeyFamily("nts:conv", 7 * DAY, "a reporter's open conversation (JSON), past its timeout for a "
                                              "polite restart")
PROFILE = KeyFamily("nts:profile", 365 * DAY, "a reporter's remembered language, silence and district (hash)")
RATE = KeyFamily("nts:rate", 2 * 600, "messages handled per sender and 10-minute window")
SAME = KeyFamily("nts:same", 1800, "the same text repeated by a sender (an auto-responder loop)")
USSD_SESSION = KeyFamily("nts:ussd", 600, "a USSD session: the text seen so far, the page shown, the last screen")

# -- intake: what was received, once (gateway/) ---------------------------------------------------------
DEDUP = KeyFamily("nts:dedup", 2 * DAY, "a provider message id seen, holding the reply given to it")
IN_FLIGHT_TTL_S = 30  # the dedup marker while the first delivery is being handled; a dead handler's expires
WEB_RATE = KeyFamily("nts:webrate", 3600, "reports and status checks from one address on the web pages, this hour")
BATCH_CLIENT = KeyFamily("nts:batch", 365 * DAY, "an offline batch item's client id, holding its ticket")
REFUSED = KeyFamily("nts:refused", 600, "refused requests (401/403) from one source address (sorted set)")

# -- a completed report on its way to the database (flows/ → centres/) --------------------------------------
INTAKE = KeyFamily("nts:intake", None, "a completed report's payload until stored; kept a day after")
INTAKE_KEPT_S = DAY
PENDING_REPORTS = "nts:intake:pending"  # sorted set: report id → when queued, until processed (the sweeper)
PROCESSING = KeyFamily("nts:processing", 60, "held while a worker processes a report")
TICKET_SEQUENCE = "nts:ticket:seq"
TICKET_STATUS = KeyFamily("nts:ticket", 365 * DAY, "a ticket's status, answered to STATUS without the database")
TICKET_OWNER = KeyFamily("nts:ticketowner", 365 * DAY, "who made a ticket (pseudonym): STATUS answers them alone")

# -- sending once (reports/sendonce.py) ---------------------------------------------------------------------
SENDING = KeyFamily("nts:sending", 120, "one worker's claim on one send")
SENT = KeyFamily("nts:sent", 7 * DAY, "a send the provider accepted, holding its message id")
UPDATE_SENT = KeyFamily("nts:updated", 400 * DAY, "a status update already sent to the reporter")

# -- the working group (centres/) ----------------------------------------------------------------------------
RELAY = KeyFamily("nts:relay", 3 * DAY, "a centre's question waiting for this reporter's answer (JSON)")
ASKING = KeyFamily("nts:asking", 600, "a member pressed 'ask the reporter': their next group message asks")
ASK_PROMPT = KeyFamily("nts:askprompt", 3 * DAY, "the 'ask' prompt in a group, which a reply or quote answers")
BROADCAST_NEXT = KeyFamily("nts:bcast:next", None, "the next free send slot of a channel (GCRA), ms TTL")
BROADCAST_RUN = KeyFamily("nts:bcast:run", None, "one worker running a broadcast (TTL: its run budget)")
BROADCAST_DONE = KeyFamily("nts:bcast:done", 30 * DAY, "a broadcast whose end was audited")
DIGEST_SENT = KeyFamily("nts:digest", 3 * DAY, "a centre's daily digest sent for a day")
PIN_FAILS = KeyFamily("nts:pinfail", 3600, "wrong PINs sent from one (hashed) number in the last hour")
JOIN_FAILS = KeyFamily("nts:joinfail", 3600, "JOIN attempts with a code that did not work, per chat account")
JOINS = KeyFamily("nts:joins", 86400, "members who joined a centre by invite today")
SWEEP_LOCK = "nts:sweep:lock"
RETENTION_LOCK = "nts:retention:lock"

# -- channels' own transport state (gateway/channels/) ----------------------------------------------------
SMSSYNC_OUTBOX = "nts:smssync:outbox"  # list: messages SMSSync collects on its next poll (numbers encrypted)
DEV_OUTBOX = "nts:dev:outbox"  # list: messages a development stack would have sent (no provider configured)
DEV_OUTBOX_KEEP = 500
