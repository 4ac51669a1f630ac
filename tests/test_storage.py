"""reports.db / reports.store on SQLite and (with NTS_TEST_POSTGRES_URL) PostgreSQL: migrations match the
models, saving is idempotent, the audit chain detects tampering, identity stays encrypted."""

from __future__ import annotations

import time
import uuid
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from reports import store
from reports.db import MIGRATIONS_DIR, alembic_config, current_revision, head_revision, make_engine, make_sessionmaker
from reports.draft import ReportDraft
from reports.identity import encrypt_contact
from reports.models import AuditEvent, Base, InboundMessage, Report, Reporter
from tests.conftest import ALL_BACKENDS, SECRET_KEY

pytestmark = ALL_BACKENDS


def payload(**over: Any) -> ReportDraft:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()), "ticket": "1000" + uuid.uuid4().hex[:6], "reporter": "R-TESTTESTAA",
        "contact": encrypt_contact(SECRET_KEY, "+66812345678"), "channel": "twilio", "language": "th",
        "category": "drugs", "place_text": "ท่าอุเทน", "when": "now", "details": "เรือ",
        "received_at": time.time(),
        "messages": [{"id": "SM" + uuid.uuid4().hex, "text": "แจ้ง ยาเสพติด ท่าอุเทน เรือ", "at": time.time()}],
    }
    data.update(over)
    return ReportDraft(**data)


PLACE = {"district_code": "4803", "tambon_code": None, "province_code": "48", "via": "district"}


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_database_at_head_is_not_migrated_again_nor_alembic_loaded(database_url: str) -> None:
    import subprocess
    import sys

    engine = make_engine(database_url)
    versions = sorted(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert head_revision() == versions[-1] == current_revision(engine)  # the fixture's database is upgraded
    probe = ("import sys; from reports.db import make_engine, upgrade; "
             f"upgrade(make_engine({database_url!r})); print('alembic' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=MIGRATIONS_DIR.parent.parent).stdout.strip() == "False"
    from alembic import command

    command.downgrade(alembic_config(engine), versions[-2])  # one migration behind
    probe_behind = probe.replace("print('alembic' in sys.modules)", "print(sys.modules.get('alembic') is not None)")
    assert subprocess.run([sys.executable, "-c", probe_behind], capture_output=True, text=True, check=True,
                          cwd=MIGRATIONS_DIR.parent.parent).stdout.strip() == "True"  # one behind: migrated
    assert current_revision(engine) == versions[-1]


def test_save_report_is_idempotent(database_url: str) -> None:
    sessions = make_sessionmaker(make_engine(database_url))
    data = payload()
    with sessions.begin() as s:
        report, created = store.save_report(s, data, "4803", PLACE, [])
        assert created and report.district_code == "4803"
    with sessions.begin() as s:
        again, created = store.save_report(s, data, "4803", PLACE, [])
        assert not created and again.ticket == data.ticket
    with sessions() as s:
        assert s.execute(select(Report)).scalars().all().__len__() == 1
        assert len(s.execute(select(InboundMessage)).scalars().all()) == 1
        reporter = s.get(Reporter, "R-TESTTESTAA")
        assert reporter is not None and reporter.report_count == 1
        assert reporter.contact_enc and "812345678" not in reporter.contact_enc


def test_second_report_counts_for_the_same_reporter(database_url: str) -> None:
    sessions = make_sessionmaker(make_engine(database_url))
    for _ in range(2):
        with sessions.begin() as s:
            store.save_report(s, payload(), "4803", PLACE, [])
    with sessions() as s:
        reporter = s.get(Reporter, "R-TESTTESTAA")
        assert reporter is not None and reporter.report_count == 2


def test_audit_chain_verifies_and_detects_tampering(database_url: str) -> None:
    sessions = make_sessionmaker(make_engine(database_url))
    for _ in range(3):
        with sessions.begin() as s:
            store.save_report(s, payload(), "4803", PLACE, [])
    with sessions() as s:
        count, bad = store.verify_audit(s)
        assert (count, bad) == (9, None)
        first = [e.event for e in s.execute(select(AuditEvent).order_by(AuditEvent.id).limit(3)).scalars()]
        assert first == ["received", "normalised", "routed"]
    with sessions.begin() as s:
        row = s.execute(select(AuditEvent).order_by(AuditEvent.id).offset(2).limit(1)).scalar_one()
        s.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = :id"), {"id": row.id})
        tampered = row.id
    with sessions() as s:
        count, bad = store.verify_audit(s)
        assert bad == tampered


def test_forget_erases_contact_but_keeps_reports(database_url: str) -> None:
    sessions = make_sessionmaker(make_engine(database_url))
    with sessions.begin() as s:
        store.save_report(s, payload(), "4803", PLACE, [])
    with sessions.begin() as s:
        assert store.forget_reporter(s, "R-TESTTESTAA")
        assert not store.forget_reporter(s, "R-NOBODY0000")
    with sessions() as s:
        assert s.get(Reporter, "R-TESTTESTAA") is None  # nothing keyed by the number is left
        (report,) = s.execute(select(Report)).scalars().all()
        moved = s.get(Reporter, report.reporter_id)
        assert moved is not None and moved.contact_enc is None and moved.forgotten_at is not None
        assert moved.id.startswith("F-") and report.reporter_alias  # the centre still sees the alias it knew
