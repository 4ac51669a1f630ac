"""`ntswatch`: one console script for every process and operator task."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence


def _setup_logging() -> None:
    logging.basicConfig(level=os.environ.get("NTS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _with_dev_env() -> None:
    """Let commands run beside `ntswatch run` pick up its development secrets (env vars still win)."""
    from gateway.devstack import load_dev_env

    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)


def cmd_web(_args: argparse.Namespace) -> int:
    """Serve the gateway with gunicorn (threads, no fork per request)."""
    from gunicorn.app.base import BaseApplication

    from gateway.app import create_app
    from gateway.settings import Settings
    from reports.db import make_engine, upgrade

    settings = Settings.from_env()
    upgrade(make_engine(settings.database_url))

    class _App(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", settings.bind)
            self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "2")))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)  # access logs would carry nothing useful and cost I/O

        def load(self) -> object:
            return create_app(settings)

    _App().run()
    return 0


def _die_with_parent(parent: int) -> Callable[[], None]:
    """For the worker's forked children (RQ's scheduler): end when the worker ends, even by SIGKILL.

    An orphaned scheduler would keep its lock and run on after the worker is restarted (Linux prctl).
    """

    def arm() -> None:
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            return  # not Linux: nothing to arm
        if os.getppid() != parent:  # the worker died before the line above took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


def cmd_worker(args: argparse.Namespace) -> int:
    """Run an RQ worker with the scheduler (retries, back-off)."""
    from rq import SimpleWorker

    from reports.db import upgrade
    from workers.context import get_context
    from workers.queue import get_queue

    ctx = get_context()
    upgrade(ctx.engine)
    ctx.gazetteer  # noqa: B018 (load once before the first job, not inside it)
    # SimpleWorker runs jobs in this process: no fork per job (the default Worker pays ~10 ms a fork and
    # reloads the gazetteer each time). Jobs are short and idempotent; a crash is recovered by RQ.
    worker = SimpleWorker([get_queue(ctx.redis)], connection=ctx.redis)
    os.register_at_fork(after_in_child=_die_with_parent(os.getpid()))
    if not args.burst:
        from workers.sweeper import start_sweeper

        start_sweeper(ctx)  # re-queues work whose job a crash or a Redis restart lost
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    return 0


def cmd_telegram(args: argparse.Namespace) -> int:
    """Run the Telegram bot (polling), or register the webhook."""
    from bots.telegram import run_polling, set_webhook

    if args.action == "set-webhook":
        result = set_webhook(drop_pending=args.drop_pending)
        print(f"webhook {'set' if result['ok'] else 'NOT set'}: {result['url']}")
        return 0 if result["ok"] else 1
    return run_polling()


def cmd_simulate(args: argparse.Namespace) -> int:
    """Chat as a villager over signed Twilio webhooks."""
    from gateway.simulate import chat

    _with_dev_env()
    bind = os.environ.get("NTS_BIND", "127.0.0.1:8000")
    return chat(args.url or f"http://{bind}", os.environ.get("TWILIO_AUTH_TOKEN", ""), args.lang, args.sender)


def cmd_flows_check(args: argparse.Namespace) -> int:
    """Measure every reporter text in every language."""
    from flows.check import run_check

    return run_check(quiet=args.quiet)


def cmd_reports(args: argparse.Namespace) -> int:
    """List stored reports (pseudonymous)."""
    from sqlalchemy import select

    from reports.models import Report
    from workers.context import get_context

    ctx = get_context()
    with ctx.sessions() as session:
        query = select(Report).order_by(Report.created_at.desc()).limit(args.limit)
        if args.ticket:
            query = select(Report).where(Report.ticket == args.ticket)
        for r in session.execute(query).scalars():
            print(f"{r.ticket}  {r.created_at:%Y-%m-%d %H:%M}  {r.category:<11} {r.district_code or '----'} "
                  f"→ {r.center_id:<8} {r.status:<12} {r.channel}/{r.language}  {r.details[:50]}")
    return 0


def cmd_districts(args: argparse.Namespace) -> int:
    """List the 67 border districts and their centres, or resolve a place name."""
    from workers.context import get_context

    ctx = get_context()
    gaz = ctx.gazetteer
    if args.query:
        place = gaz.search(" ".join(args.query))
        if place is None:
            print("not found")
            return 1
        center = ctx.centers.for_district(place.district_code)
        print(f"{place.district_code} {gaz.describe(place, 'en')} via {place.via} {list(place.flags)} "
              f"→ centre {center.id if center else ctx.centers.fallback_id + ' (fallback)'}")
        return 0
    for d in sorted(gaz.districts.values(), key=lambda d: d.code):
        center = ctx.centers.for_district(d.code)
        print(f"{d.code}  {d.name_en:<22} {d.name_th:<18} {d.province_en:<18} "
              f"→ {center.id if center else '(fallback ' + ctx.centers.fallback_id + ')'}")
    return 0


def cmd_audit_verify(_args: argparse.Namespace) -> int:
    """Check the hash chain of the audit trail; exit 1 at the first row that does not fit."""
    from reports.store import verify_audit
    from workers.context import get_context

    with get_context().sessions() as session:
        count, bad = verify_audit(session)
    if bad is not None:
        print(f"audit trail BROKEN at row {bad} (checked {count} rows)")
        return 1
    print(f"audit trail ok: {count} rows, hash chain intact")
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    """Apply the database migrations."""
    from gateway.settings import Settings
    from reports.db import make_engine, upgrade

    upgrade(make_engine(Settings.from_env().database_url))
    return 0


def cmd_spool(args: argparse.Namespace) -> int:
    """Replay the spool (messages kept while Redis was down), once or continuously; or show what waits."""
    from gateway.replayer import drain, run_forever
    from gateway.spool import Spool
    from gateway.web.state import AppState
    from workers.context import get_context

    _with_dev_env()
    ctx = get_context()
    spool = Spool(ctx.settings.spool_path(), ctx.settings.secret_key)
    if args.spool_command == "status":
        files = spool.pending_files()
        print(f"{len(files)} spool file(s), {sum(p.stat().st_size for p in files)} bytes in {spool.directory}")
        return 0
    engine = AppState(ctx).engine
    if args.once:
        result = drain(ctx, engine, spool)
        print(f"replayed {result.replayed}, already handled {result.duplicates}, files {result.files}")
        return 0
    run_forever(ctx, engine, spool, args.interval)
    return 0


def cmd_centers_invite(args: argparse.Namespace) -> int:
    """Make a one-time invite code for a new member of a centre."""
    from reports.membership import INVITE_DAYS, InviteError, create_invite
    from workers.context import get_context

    _with_dev_env()
    ctx = get_context()
    center = ctx.centers.by_id.get(args.center)
    if center is None:
        print(f"no centre {args.center!r} in {ctx.settings.centers_path()}", file=sys.stderr)
        return 2
    try:
        with ctx.sessions.begin() as session:
            code = create_invite(session, center, args.role, args.name, "cli", args.days or INVITE_DAYS)
    except InviteError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{code}  ({args.name}, {args.role}, {center.name}; valid {args.days or INVITE_DAYS} days, once)\n"
          f"They send  JOIN {code}  to the gateway's bot on Telegram or LINE.")
    return 0


def cmd_centers_broadcast(args: argparse.Namespace) -> int:
    """Queue an awareness broadcast of a centre (free text per language, or a template in all four)."""
    from datetime import date

    from sqlalchemy import select

    from reports.models import Broadcast
    from workers import broadcasts
    from workers.context import get_context

    _with_dev_env()
    ctx = get_context()
    if args.status:
        with ctx.sessions() as session:
            found = session.execute(select(Broadcast).where(Broadcast.id == args.status.upper())).scalar_one_or_none()
            if found is None:
                print(f"no broadcast {args.status!r}", file=sys.stderr)
                return 2
            print(json.dumps({"id": found.id, "center": found.center_id, "audience": found.audience,
                              **broadcasts.summary(session, found.id)}, ensure_ascii=False))
        return 0
    center = ctx.centers.by_id.get(args.center or "")
    if center is None:
        print(f"no centre {args.center!r} in {ctx.settings.centers_path()}", file=sys.stderr)
        return 2
    try:
        if args.template:
            day = date.fromisoformat(args.date) if args.date else None
            texts = broadcasts.template_texts(args.template, center, ctx.gazetteer, day, args.place or "")
        else:
            texts = dict(_language_text(item) for item in args.text or ())
        broadcast_id, members, subscribers = broadcasts.create(ctx, center, texts, args.audience, "cli")
    except (broadcasts.BroadcastError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"broadcast {broadcast_id} queued for {members + subscribers} people ({members} members, "
          f"{subscribers} subscribed villagers); follow it with  ntswatch centers broadcast --status {broadcast_id}")
    return 0


def _language_text(item: str) -> tuple[str, str]:
    lang, sep, body = item.partition("=")
    if not sep:
        raise ValueError(f"--text wants LANG=TEXT (th, lo, km, en), got {item!r}")
    return lang.strip(), body


def cmd_digest(args: argparse.Namespace) -> int:
    """Print every centre's digest; with --send, send today's to their groups (once a day)."""
    from workers import digest
    from workers.context import get_context

    _with_dev_env()
    ctx = get_context()
    if args.send:
        print(f"sent {digest.send_digests(ctx)} digest message(s)")
        return 0
    for center in ctx.centers.by_id.values():
        print(f"{center.id:10} {digest.render(center, digest.count(ctx, center), digest.utcnow())}")
    return 0


def cmd_retention(_args: argparse.Namespace) -> int:
    """Erase the contacts of reporters silent for longer than NTS_RETENTION_DAYS."""
    from workers.context import get_context
    from workers.retention import purge_contacts

    _with_dev_env()
    print(f"erased {purge_contacts(get_context())} contact(s)")
    return 0


def cmd_run(_args: argparse.Namespace) -> int:
    """The whole stack on embedded defaults."""
    from gateway.devstack import run_stack

    return run_stack()


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="ntswatch", description="NTS-Mekong Watch reporting gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start redis, web, worker (and telegram) on embedded defaults").set_defaults(
        func=cmd_run)
    sub.add_parser("web", help="serve the web gateway on NTS_BIND").set_defaults(func=cmd_web)
    p = sub.add_parser("worker", help="run an RQ worker")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("telegram", help="run the Telegram bot (polling), or `set-webhook` for webhook mode")
    p.add_argument("action", nargs="?", choices=["poll", "set-webhook"], default="poll")
    p.add_argument("--drop-pending", action="store_true", help="with set-webhook: discard queued updates")
    p.set_defaults(func=cmd_telegram)
    p = sub.add_parser("simulate", help="chat as a villager over signed Twilio webhooks")
    p.add_argument("--lang", choices=["th", "lo", "km", "en"], default="th")
    p.add_argument("--url", help="gateway base URL (default http://$NTS_BIND)")
    p.add_argument("--from", dest="sender", help="the villager's phone number (E.164)")
    p.set_defaults(func=cmd_simulate)
    flows = sub.add_parser("flows", help="flow definitions").add_subparsers(dest="flows_command", required=True)
    p = flows.add_parser("check", help="SMS length of every text in every language; fails on a gap")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_flows_check)
    p = sub.add_parser("reports", help="list stored reports")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--ticket")
    p.set_defaults(func=cmd_reports)
    p = sub.add_parser("districts", help="border districts and their centres; or resolve a place name")
    p.add_argument("query", nargs="*")
    p.set_defaults(func=cmd_districts)
    audit = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit_verify)
    spool = sub.add_parser("spool", help="the local spool kept while Redis is down").add_subparsers(
        dest="spool_command", required=True)
    p = spool.add_parser("replay", help="drain the spool into the queue whenever Redis answers")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between passes")
    p.set_defaults(func=cmd_spool)
    spool.add_parser("status", help="how much waits in the spool").set_defaults(func=cmd_spool)
    centers = sub.add_parser("centers", help="the working groups").add_subparsers(dest="centers_command",
                                                                                  required=True)
    p = centers.add_parser("invite", help="a one-time code a new member sends to the bot (JOIN <code>)")
    p.add_argument("--center", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--days", type=int)
    p.set_defaults(func=cmd_centers_invite)
    p = centers.add_parser("broadcast", help="awareness news to a centre's members and subscribed villagers")
    p.add_argument("--center")
    p.add_argument("--text", action="append", metavar="LANG=TEXT",
                   help="the message in one language (repeat for th, lo, km, en; others get the centre's)")
    p.add_argument("--template", choices=("fake_jobs", "training"), help="a ready-made text in all four languages")
    p.add_argument("--date", help="training date, YYYY-MM-DD")
    p.add_argument("--place", help="training place, as villagers know it")
    p.add_argument("--audience", choices=("all", "members", "subscribers"), default="all")
    p.add_argument("--status", metavar="ID", help="how far a broadcast has gone (sent, skipped, pending, dead)")
    p.set_defaults(func=cmd_centers_broadcast)
    p = sub.add_parser("digest", help="each centre's daily digest (new, open, overdue, closed)")
    p.add_argument("--send", action="store_true", help="send today's digest to the centres' groups")
    p.set_defaults(func=cmd_digest)
    retention = sub.add_parser("retention", help="reporters' contact details").add_subparsers(
        dest="retention_command", required=True)
    retention.add_parser("purge", help="erase contacts older than NTS_RETENTION_DAYS").set_defaults(
        func=cmd_retention)
    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ntswatch` console script."""
    _setup_logging()
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
