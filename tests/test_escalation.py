"""centres/escalation.py: an unacknowledged alert climbs the chain on time (controllable clock and real RQ
scheduler); an acknowledged one does not; every rung is sent once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from centres import actions, escalation
from flows.engine import Engine
from gateway.channels.events import Inbound
from i18n.catalog import text as t
from reports.centres_file import MemberRef
from reports.context import Context, install
from reports.enums import Action
from reports.models import AuditEvent, Report
from tests.conftest import FIXTURES, make_context
from tests.fakes.http_api import FakeAPI
from tests.helpers import is_received_update, rq_queue, run_worker
from workers import jobs

DANGER_THA_UTHEN = "แจ้ง ค้ามนุษย์ ท่าอุเทน ตอนนี้ มีเด็กถูกขังในรถตู้"
SMS_PATH = "/2010-04-01/Accounts/"


def stored(ctx: Context, text: str) -> Report:
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66899990000", text, datetime.now(UTC)))
    assert reply.report_id
    rq_queue(ctx.redis).empty()
    jobs.process_report(reply.report_id)
    with ctx.sessions() as s:
        report = s.get(Report, reply.report_id)
    assert report is not None
    return report


def scheduled_args(ctx: Context, report: Report, step: int) -> tuple[Any, ...]:
    job = Job.fetch(f"escalate-{report.id}-{step}", connection=ctx.jobs.redis)
    assert job.id in ScheduledJobRegistry(queue=rq_queue(ctx.redis)).get_job_ids()
    return tuple(job.args)


def sms_to(twilio_api: FakeAPI) -> list[tuple[str, str]]:
    """Escalation SMS sent (the reporter's "the centre has it" update left out)."""
    return [(r.body["To"], r.body["Body"]) for r in twilio_api.received("POST", SMS_PATH)
            if not is_received_update(r.body["Body"])]


@pytest.mark.parametrize("text, level, minutes", [
    (DANGER_THA_UTHEN, "person_in_danger", 5),
    ("แจ้ง ยาเสพติด ท่าอุเทน ตอนนี้ เรือขนของข้ามโขง", "now", 15),
    ("แจ้ง ยาเสพติด ท่าอุเทน เมื่อวาน เรือขนของข้ามโขง", "default", 60),
])
def test_the_timer_follows_the_urgency(ctx: Context, text: str, level: str, minutes: int) -> None:
    before = time.time()
    report = stored(ctx, text)
    assert escalation.urgency(report) == level
    _rid, step, due = scheduled_args(ctx, report, 1)
    assert step == 1 and before + minutes * 60 <= due <= time.time() + minutes * 60


def test_an_unacknowledged_case_climbs_secretary_then_head(ctx: Context, twilio_api: FakeAPI,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    report = stored(ctx, DANGER_THA_UTHEN)
    _rid, _step, due = scheduled_args(ctx, report, 1)
    monkeypatch.setattr(escalation, "clock", lambda: due - 60)  # woken a minute early: waits
    assert escalation.escalate(ctx, report.id, 1, due) == "early"
    monkeypatch.setattr(escalation, "clock", lambda: due + 0.2)
    assert escalation.escalate(ctx, report.id, 1, due) == "escalated"
    assert escalation.escalate(ctx, report.id, 1, due) == "escalated"  # a repeated job makes no second SMS
    run_worker(ctx.redis)
    assert [to for to, _ in sms_to(twilio_api)] == ["+66811113333"]  # the secretary
    body = sms_to(twilio_api)[0][1]
    assert body.startswith(t("th", "alert_escalated", minutes=5) + " NTS " + report.ticket)
    _rid, step, due2 = scheduled_args(ctx, report, 2)
    assert step == 2 and due2 == pytest.approx(due + 0.2 + 300, abs=1)
    monkeypatch.setattr(escalation, "clock", lambda: due2 + 0.1)
    assert escalation.escalate(ctx, report.id, 2, due2) == "escalated"
    run_worker(ctx.redis)
    assert [to for to, _ in sms_to(twilio_api)] == ["+66811113333", "+66811114444"]  # then the head
    with ctx.sessions() as s:
        events = [e for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == report.id)).scalars()
                  if e.event == "escalated"]
    assert [e.detail["step"] for e in events] == [1, 1, 2]


def test_an_acknowledged_case_does_not_escalate(ctx: Context, twilio_api: FakeAPI,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    report = stored(ctx, DANGER_THA_UTHEN)
    _rid, _step, due = scheduled_args(ctx, report, 1)
    officer = MemberRef("Somsak", "police")
    assert actions.apply(ctx, report.ticket, Action("ack"), "4803", officer, "sms") == "done"
    monkeypatch.setattr(escalation, "clock", lambda: due + 1)
    assert escalation.escalate(ctx, report.id, 1, due) == "acknowledged"
    run_worker(ctx.redis)
    assert [to for to, _ in sms_to(twilio_api) if to != "+66899990000"] == []  # only the reporter's update


def test_duty_phones_come_first_and_the_sms_fits(ctx: Context, twilio_api: FakeAPI,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    report = stored(ctx, "แจ้ง ค้ามนุษย์ เชียงของ ตอนนี้ " + "มีคนถูกพาข้ามโขงหลายคน " * 10)
    center = ctx.centers.by_id["5703"]
    assert [[t.params["to"] for t in rung] for rung in escalation.rungs(center)] == [
        [["+66811110001"], ["+66811110002"]]]
    _rid, _step, due = scheduled_args(ctx, report, 1)
    monkeypatch.setattr(escalation, "clock", lambda: due)
    escalation.escalate(ctx, report.id, 1, due)
    run_worker(ctx.redis)
    from i18n.sms import sms_size

    escalated = [(to, body) for to, body in sms_to(twilio_api) if body.startswith("ยังไม่มีผู้รับทราบ")]
    assert sorted(to for to, _ in escalated) == ["+66811110001", "+66811110002"]
    assert all(sms_size(body).parts <= 2 for _, body in escalated)


def test_escalation_fires_on_time_on_the_real_scheduler(ctx: Context, twilio_api: FakeAPI, tmp_path: Path) -> None:
    """Measured: when the SMS reaches the provider against when it was due (RQ's scheduler, whole seconds)."""
    centres = (FIXTURES / "centers.yaml").read_text().replace(
        '  - id: "5703"\n', '  - id: "5703"\n    escalation: {person_in_danger: 0.05}\n')
    (tmp_path / "centers.yaml").write_text(centres)
    fast = make_context(ctx.settings.replace(centers_file=str(tmp_path / "centers.yaml")))
    install(fast)
    arrived: list[float] = []
    answer = twilio_api.routes[("POST", SMS_PATH + "*")]

    def timed(req: Any) -> tuple[int, Any]:
        arrived.append(time.time())
        return answer(req)

    twilio_api.route("POST", SMS_PATH + "*", timed)
    report = stored(fast, "แจ้ง ค้ามนุษย์ เชียงของ ตอนนี้ มีคนถูกพาข้ามโขง")
    _rid, _step, due = scheduled_args(fast, report, 1)
    run_worker(fast.redis, timeout=30)
    bodies = [r.body["Body"] for r in twilio_api.received("POST", SMS_PATH)]  # the reporter's update among them
    escalated = [t for t, body in zip(arrived, bodies, strict=True) if body.startswith("ยังไม่มีผู้รับทราบ")]
    assert len(escalated) == 2
    error = max(escalated) - due
    print(f"escalation due after 3 s: SMS at the provider {error:+.2f} s from due")
    assert 0 <= error < 3  # never early; RQ's scheduler polls each second and keeps whole seconds


def test_a_timer_lost_with_redis_is_set_again_by_the_sweeper(ctx: Context, twilio_api: FakeAPI,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.sweeper import sweep

    report = stored(ctx, DANGER_THA_UTHEN)
    calm = stored(ctx, DANGER_THA_UTHEN)
    actions.apply(ctx, calm.ticket, Action("ack"), calm.center_id, MemberRef("Somsak", "police"), "sms")
    registry = ScheduledJobRegistry(queue=rq_queue(ctx.redis))
    for r in (report, calm):
        registry.remove(f"escalate-{r.id}-1")  # Redis came back without its scheduled jobs
    created = report.created_at.timestamp()
    assert sweep(ctx, now=created + 299).escalations == 0  # not due yet
    assert sweep(ctx, now=created + 301).escalations == 1  # the acknowledged case is left alone
    assert sweep(ctx, now=created + 301).escalations == 0  # queued once
    monkeypatch.setattr(escalation, "clock", lambda: created + 302)
    run_worker(ctx.redis)
    escalated = [to for to, body in sms_to(twilio_api) if body.startswith("ยังไม่มีผู้รับทราบ")]
    assert escalated == ["+66811113333"]  # the secretary, as the timer would have
    assert scheduled_args(ctx, report, 2)[1] == 2  # and the next rung's timer is set
    assert sweep(ctx, now=created + 301).escalations == 0
