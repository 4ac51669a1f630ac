"""The second factor of a duty officer's SMS command: a PIN written after the ticket (`OK 1003345 4821`). A
phone number alone is not proof (numbers are recycled, SIMs lent, senders spoofed on some routes).

The member sets it in their private bot chat (`/pin 4821`) or the head sets it for a member without a
smartphone (`ntswatch accounts set-pin`). It is kept as a keyed hash per phone. Wrong PINs count per number:
after MAX_FAILS within WINDOW_S the number is refused whatever it sends until the window passes; every wrong
PIN is audited (the number hashed), and the answer never says whether the number belongs to a member.
"""

from __future__ import annotations

import hmac
import re
import secrets

from reports import keys, store
from reports.context import Context
from reports.identity import keyed_hash
from reports.models import OfficerPin

PIN = re.compile(r"^[0-9]{4,6}$")
MAX_FAILS = 5
WINDOW_S = 3600


class PinError(ValueError):
    """Not a PIN (4 to 6 digits), or too easy to guess."""


def _phone_key(ctx: Context, phone: str) -> str:
    return keyed_hash(ctx.settings.secret_key, "pin-phone", phone)


def _pin_hash(ctx: Context, salt: str, pin: str) -> str:
    return keyed_hash(ctx.settings.secret_key, "pin", f"{salt}:{pin}")


def check_format(pin: str) -> str:
    """`pin` when it is 4 to 6 digits and not a trivial run (1234, 0000)."""
    if not PIN.match(pin):
        raise PinError("a PIN is 4 to 6 digits")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise PinError("choose a PIN that is not a run like 1234 or 0000")
    return pin


def set_pin(ctx: Context, phone: str, pin: str, set_by: str) -> None:
    """Set (or replace) the PIN of the officer at `phone`; clears their failed attempts."""
    check_format(pin)
    salt = secrets.token_hex(8)
    with ctx.sessions.begin() as session:
        row = session.get(OfficerPin, _phone_key(ctx, phone))
        if row is None:
            session.add(OfficerPin(phone_key=_phone_key(ctx, phone), pin_hash=_pin_hash(ctx, salt, pin), salt=salt,
                                   set_by=set_by[:64]))
        else:
            row.pin_hash, row.salt, row.set_by = _pin_hash(ctx, salt, pin), salt, set_by[:64]
        store.audit(session, "pin_set", None, set_by[:64], {"phone": keys.hashed(phone)})
    ctx.redis.delete(keys.PIN_FAILS(keys.hashed(phone)))


def blocked(ctx: Context, phone: str) -> bool:
    """Whether this number has used up its wrong PINs for now."""
    return int(ctx.redis.get(keys.PIN_FAILS(keys.hashed(phone))) or 0) >= MAX_FAILS


def verify(ctx: Context, phone: str, pin: str | None, surface: str) -> bool:
    """Whether `pin` is the PIN of the officer at `phone` (and the number is not blocked); a miss is counted and
    audited."""
    if blocked(ctx, phone):
        return False
    row = None
    if pin:
        with ctx.sessions() as session:
            row = session.get(OfficerPin, _phone_key(ctx, phone))
    if row is not None and pin and hmac.compare_digest(row.pin_hash, _pin_hash(ctx, row.salt, pin)):
        return True
    fails = keys.PIN_FAILS(keys.hashed(phone))
    pipe = ctx.redis.pipeline(transaction=True)
    pipe.incr(fails)
    pipe.expire(fails, WINDOW_S)
    count = int(pipe.execute()[0])
    with ctx.sessions.begin() as session:
        store.audit(session, "pin_refused", None, f"{surface}:{keys.hashed(phone)[:12]}",
                    {"attempt": count, "blocked": count >= MAX_FAILS})
    return False
