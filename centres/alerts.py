"""The alert a centre reads, rendered in the centre's language and cut to the channel's limit."""

from __future__ import annotations

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


def _local_time(report: Report, lang: str) -> str:
    local = report.received_at.astimezone(BANGKOK)
    year = ce_to_be(local.year) if lang == "th" else local.year
    return f"{local.day:02d}/{local.month:02d}/{year} {local.hour:02d}:{local.minute:02d}"


def render_sms_alert(report: Report, lang: str, gazetteer: Gazetteer, prefix: str = "") -> str:
    """The alert as one or two SMS parts for a duty officer's feature phone: ticket, category, place, details
    (after `prefix`, e.g. "not acknowledged after 5 min", inside the same budget)."""
    place = Place(report.district_code, report.tambon_code, report.province_code, report.resolved_via or "",
                  report.place_text)
    where = gazetteer.describe(place, lang) if report.district_code else f"«{report.place_text}»"
    head = f"{prefix}NTS {report.ticket} {t(lang, f'cat_{report.category}')} {where}: "
    return head + truncate_to_units(report.details or "-", max(CHANNEL_LIMITS["sms"] - utf16_units(head), 16))


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
    if report.place_text and report.place_text not in where:
        where = f"{where} («{report.place_text}»)" if where else f"«{report.place_text}»"
    lines = [
        f"🚨 {t(lang, 'alert_title', ticket=report.ticket)} · {t(lang, f'cat_{report.category}')}",
        f"{t(lang, 'alert_place')}: {where}",
    ]
    if report.lat is not None and report.lon is not None:
        digits = 5 if precision is None else precision  # a centre may show the group a coarser point
        lines.append(f"https://maps.google.com/?q={report.lat:.{digits}f},{report.lon:.{digits}f}")
    if not report.district_code or "ambiguous" in report.flags or "outside_border_districts" in report.flags:
        lines.append(t(lang, "alert_unresolved"))
    if incident is not None:
        lines.append("🔗 " + t(lang, "alert_linked", count=incident.count, hours=int(INCIDENT_WINDOW.seconds // 3600),
                               ticket=incident.first_ticket))
    lines.append(f"{t(lang, 'alert_when')}: {t(lang, f'when_{report.when_code}')}")
    lines.append(f"{t(lang, 'alert_received')}: {_local_time(report, lang)}")
    lines.append(f"{t(lang, 'alert_reporter')}: {report.reporter_id} · {t(lang, 'alert_channel')}: {report.channel}")
    head = "\n".join(lines)
    limit = CHANNEL_LIMITS.get(channel, 4096)
    label = f"\n{t(lang, 'alert_details')}: "
    room = limit - len(head) - len(label)
    return head + label + truncate_to_units(report.details or "-", max(room, 16))
