"""Incidents: reports on the same category and place within INCIDENT_WINDOW are linked as one incident, so
a centre sees corroboration ("3 reports of this here in 6 h") instead of noise.

"Same place" is the tambon when both reports have one, else the district; reports whose place could not be
resolved are never linked (their words may name different places).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.models import Report

INCIDENT_WINDOW = timedelta(hours=6)


@dataclass(frozen=True)
class Incident:
    """How many reports an incident has, and the ticket of its first."""

    count: int
    first_ticket: str


def link(session: Session, report: Report) -> None:
    """Set `report.incident_id`: the incident of a matching earlier report, or its own id (a new incident)."""
    report.incident_id = report.id
    if not report.district_code:
        return
    same = [Report.id != report.id, Report.center_id == report.center_id, Report.category == report.category,
            Report.district_code == report.district_code,
            Report.created_at >= report.created_at - INCIDENT_WINDOW]
    if report.tambon_code:
        same.append((Report.tambon_code == report.tambon_code) | Report.tambon_code.is_(None))
    earlier = session.execute(select(Report.incident_id).where(*same).order_by(Report.created_at.desc())
                              .limit(1)).scalar()
    if earlier:
        report.incident_id = earlier


def incident_of(session: Session, report: Report) -> Incident | None:
    """The incident when it has more than this one report, else None."""
    if not report.incident_id:
        return None
    same = Report.incident_id == report.incident_id
    count = session.execute(select(func.count()).where(same)).scalar_one()
    if count <= 1:
        return None
    first = session.execute(select(Report.ticket).where(same).order_by(Report.created_at, Report.id).limit(1)).scalar()
    return Incident(int(count), str(first))
