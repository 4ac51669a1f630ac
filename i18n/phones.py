"""Phone numbers to E.164 with `phonenumbers`: Thai, Lao and Cambodian SIMs all roam across this border."""

from __future__ import annotations

import re

import phonenumbers

from i18n.normalize import normalize_text

# Regions tried, in order, for a number written without a country code.
BORDER_REGIONS: tuple[str, ...] = ("TH", "LA", "KH")


def to_e164(raw: str, default_region: str = "TH") -> str | None:
    """Return `raw` as an E.164 number (+66…, +856…, +855…), or None when it is not a valid number."""
    text = normalize_text(raw)
    if not text:
        return None
    regions = (default_region, *[r for r in BORDER_REGIONS if r != default_region])
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if text.startswith("+"):
            break  # an explicit country code that is not valid will not become valid elsewhere
    return None


def country_language(e164: str) -> str | None:
    """The reporter language suggested by a number's country code (a hint only; script wins)."""
    for prefix, lang in (("+856", "lo"), ("+855", "km"), ("+66", "th")):
        if e164.startswith(prefix):
            return lang
    return None


_PROVIDER_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")


def sender_e164(raw: str, country: str = "TH") -> str | None:
    """A sender number exactly as a provider delivers one, in E.164: `+66…` as it is, or a national number of
    the gateway's own country (`0812…` from an Android gateway). Anything else — a `whatsapp:` or alphanumeric
    sender id, a number without its `+`, digits of another script — is not a phone number here, so it can never
    pass for a duty officer's."""
    compact = raw.strip().replace(" ", "").replace("-", "")
    if not compact.isascii() or _PROVIDER_NUMBER.match(compact) is None:
        return None
    if not compact.startswith("+") and not compact.startswith("0"):
        return None
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
