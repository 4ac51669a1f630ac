"""The reports API: `GET /api/reports`, `GET /api/reports/<ticket>` (a token with `reports:read`; only its
centres' reports, others answer 404). No contact data, ever. Every read is audited with the token's name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import func, select

from gateway.web.auth import grant, require_token
from gateway.web.state import app_state
from reports import store
from reports.filters import FilterError, ReportFilter
from reports.models import Delivery, Report

bp = Blueprint("api", __name__, url_prefix="/api")


def report_json(report: Report, deliveries: list[Delivery] | None = None) -> dict[str, Any]:
    """A report as the API shows it: pseudonymous, with its place and (optionally) its deliveries."""
    data: dict[str, Any] = {
        "ticket": report.ticket,
        "category": report.category,
        "district_code": report.district_code,
        "center_id": report.center_id,
        "status": report.status,
        "language": report.language,
        "channel": report.channel,
        "created_at": report.created_at.isoformat(),
        "received_at": report.received_at.isoformat(),
        "when": report.when_code,
        "details": report.details,
        "reporter": report.reporter_alias or report.reporter_id,
        "flags": report.flags,
        "location": {
            "text": report.place_text,
            "tambon_code": report.tambon_code,
            "district_code": report.district_code,
            "province_code": report.province_code,
            "resolved_via": report.resolved_via,
            "lat": report.lat,
            "lon": report.lon,
        },
    }
    if deliveries is not None:
        data["deliveries"] = [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts,
             "sent_at": d.sent_at.isoformat() if d.sent_at else None}
            for d in deliveries
        ]
    return data


def _bad(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


@bp.get("/reports")
@require_token("reports:read")
def list_reports() -> Any:
    """Newest first, the token's centres only; filters and page as `reports.filters.ReportFilter` (center,
    district, tambon, category, status, channel, language, flag, since, until, q; limit ≤ 200, offset)."""
    ctx = app_state().ctx
    try:
        wanted = ReportFilter.from_args(request.args)
    except FilterError as e:
        return _bad(str(e))
    mine = grant().centres_in(list(ctx.centers.by_id))
    query = wanted.where(select(Report).where(Report.center_id.in_(mine)))
    count = wanted.where(select(func.count()).select_from(Report).where(Report.center_id.in_(mine)))
    with ctx.sessions.begin() as session:
        total = session.execute(count).scalar_one()
        rows = session.execute(wanted.page(query.order_by(Report.created_at.desc(), Report.id))).scalars()
        reports = [report_json(r) for r in rows]
        store.audit(session, "listed", None, grant().actor, {"count": len(reports), "total": total})
    return jsonify(reports=reports, total=total, limit=wanted.limit, offset=wanted.offset)


@bp.get("/reports/<ticket>")
@require_token("reports:read")
def get_report(ticket: str) -> Any:
    """One report by ticket, with its deliveries (another centre's: 404, as if there were none)."""
    with app_state().ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket[:16])).scalar_one_or_none()
        if report is None or not grant().allows("reports:read", report.center_id):
            return jsonify(error=f"no report with ticket {ticket[:16]}"), 404
        deliveries = list(session.execute(select(Delivery).where(Delivery.report_id == report.id)).scalars())
        store.audit(session, "read", report.id, grant().actor, {"via": "api"})
        return jsonify(report_json(report, deliveries))
