"""The alert a centre reads, rendered in the centre's language and cut to the channel's limit."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from i18n.catalog import text as t
from i18n.normalize import ce_to_be
from i18n.sms import truncate_to_units, utf16_units
from reports.incidents import INCIDENT_WINDOW, Incident
from reports.models import Report
from reports.places import Gazetteer, Place

BANGKOK = ZoneInfo("Asia/Bangkok")
# Telegram: 4096 characters a message (https://core.telegram.org/bots/api#sendmessage).
CHANNEL_LIMITS = {"telegram": 4096, "line": 5000, "sms": 134, "inbox": 20000}


# Anything that starts a new line on some screen: a reporter's text must not start a line of its own in an
# alert, where it could pass for one of ours ("✅ closed", "Reporter: …").
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


_COORDINATES = re.compile(r"\s*-?\d{1,3}\.\d+\s*,\s*-?\d{1,3}\.\d+\s*")


def quoted(text: str) -> str:
    """What a reporter wrote, on one line and visibly theirs: «…», line breaks shown as ⏎."""
    one_line = _LINE_BREAKS.sub(" ⏎ ", text).strip()
    return f"«{one_line.replace('«', '‹').replace('»', '›')}»" if one_line else "-"


def place_flag(report: Report) -> str | None:
    """The catalog key of what the centre should check about the place, saying what is true: not found at all,
    found but outside the districts this gateway covers, one name for several places, a misspelling guessed."""
    if not report.district_code:
        return "alert_unresolved"
    if "outside_border_districts" in report.flags:
        return "alert_outside"
    if "ambiguous" in report.flags:
        return "alert_ambiguous"
    if "fuzzy" in report.flags:
        return "alert_guessed"
    return None


def channel_label(channel: str, lang: str) -> str:
    """How an officer names the surface a report came by (never a vendor's name: Twilio and the office's
    Android phone are both SMS)."""
    fixed = {"twilio": "SMS", "smsgateway": "SMS", "ussd": "USSD", "telegram": "Telegram", "line": "LINE"}
    if channel in fixed:
        return fixed[channel]
    return t(lang, f"channel_{channel}") if channel in ("offline", "web", "walk_in") else channel


def _local_time(report: Report, lang: str) -> str:
    local = report.received_at.astimezone(BANGKOK)
    year = ce_to_be(local.year) if lang == "th" else local.year
    return f"{local.day:02d}/{local.month:02d}/{year} {local.hour:02d}:{local.minute:02d}"


def render_sms_alert(report: Report, lang: str, gazetteer: Gazetteer, prefix: str = "") -> str:
    """The alert as one or two SMS parts for a duty officer's feature phone: ticket, category, place, details
    (after `prefix`, e.g. "not acknowledged after 5 min", inside the same budget)."""
    place = Place(report.district_code, report.tambon_code, report.province_code, report.resolved_via or "",
                  report.place_text)
    where = gazetteer.describe(place, lang) if report.district_code else quoted(report.place_text)
    head = f"{prefix}NTS {report.ticket} {t(lang, f'cat_{report.category}')} {where}: "
    details = _LINE_BREAKS.sub(" ", report.details or "-")  # one SMS line; an officer's phone shows no layout
    return head + truncate_to_units(details, max(CHANNEL_LIMITS["sms"] - utf16_units(head), 16))


def render_partner_alert(report: Report, lang: str, gazetteer: Gazetteer, center_name: str) -> str:
    """The redacted alert for a cross-border partner: what, which district, when — nothing about the reporter,
    no details in their words, no tambon and no map point (either could point at a person)."""
    place = Place(report.district_code, None, report.province_code, report.resolved_via or "", "")
    where = gazetteer.describe(place, lang) if report.district_code else "-"
    return "\n".join([
        f"🌏 {t(lang, 'alert_partner_title', ticket=report.ticket)} · {t(lang, f'cat_{report.category}')}",
        f"{t(lang, 'alert_place')}: {where}",
        f"{t(lang, 'alert_when')}: {t(lang, f'when_{report.when_code}')}",
        f"{t(lang, 'alert_received')}: {_local_time(report, lang)}",
        center_name,
    ])


def render_alert(report: Report, lang: str, gazetteer: Gazetteer, channel: str = "telegram",
                 incident: Incident | None = None, precision: int | None = None) -> str:
    """Plain text (no Markdown a `_` could break): ticket, category, place, times, details, pseudonym."""
    place = Place(report.district_code, report.tambon_code, report.province_code, report.resolved_via or "",
                  report.place_text)
    where = gazetteer.describe(place, lang) if report.district_code else ""
    # A shared point's text is its coordinates: the map line shows them, at the precision the centre chose.
    said = "" if report.lat is not None and _COORDINATES.fullmatch(report.place_text or "") else report.place_text
    if said and said not in where:
        where = f"{where} ({quoted(said)})" if where else quoted(said)
    lines = [
        f"🚨 {t(lang, 'alert_title', ticket=report.ticket)} · {t(lang, f'cat_{report.category}')}",
        f"{t(lang, 'alert_place')}: {where}",
    ]
    if report.lat is not None and report.lon is not None:
        digits = 5 if precision is None else precision  # a centre may show the group a coarser point
        lines.append(f"https://maps.google.com/?q={report.lat:.{digits}f},{report.lon:.{digits}f}")
    if not where:
        where = "-"
    flag = place_flag(report)
    if flag:
        lines.append(t(lang, flag))
    if incident is not None:
        lines.append("🔗 " + t(lang, "alert_linked", count=incident.count, hours=int(INCIDENT_WINDOW.seconds // 3600),
                               ticket=incident.first_ticket))
    lines.append(f"{t(lang, 'alert_when')}: {t(lang, f'when_{report.when_code}')}")
    lines.append(f"{t(lang, 'alert_received')}: {_local_time(report, lang)}")
    alias = report.reporter_alias or report.reporter_id
    via = channel_label(report.channel, lang)
    lines.append(f"{t(lang, 'alert_reporter')}: {alias} · {t(lang, 'alert_channel')}: {via}")
    head = "\n".join(lines)
    limit = CHANNEL_LIMITS.get(channel, 4096)
    label = f"\n{t(lang, 'alert_details')}: "
    room = limit - len(head) - len(label) - 2
    return head + label + quoted(truncate_to_units(report.details or "", max(room, 16)))
