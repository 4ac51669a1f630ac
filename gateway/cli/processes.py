"""The long-running processes (the `Procfile`): `run` (all of them), `web`, `worker`, `telegram`, `spool`.

Each command imports what its process runs inside its function: a worker never loads gunicorn or Flask, a bot
never loads RQ, which keeps every process of a small district-office box lean (not to dodge import cycles: the
layering contract in `.importlinter` checks these imports like any other).
"""

from __future__ import annotations

import os

import click

from gateway.cli.base import cli, context, serving_settings


@cli.command()
def run() -> int:
    """Start the whole stack on embedded defaults: Redis, SQLite, web, worker, spool replayer (and the Telegram
    poller when TELEGRAM_BOT_TOKEN is set). Ctrl-C stops everything."""
    from gateway.devstack import run_stack

    return run_stack()


@cli.command()
def web() -> int:
    """Serve the web gateway on NTS_BIND with gunicorn (threads, no fork per request)."""
    import subprocess
    import sys

    from gunicorn.app.base import BaseApplication

    settings = serving_settings()
    # The master only supervises: the schema is brought up to date by a short-lived child, and the app is built
    # in the worker, so the master holds no database layer, gazetteer or conversation (it was ~150 MB of RSS
    # on a box with 2 GB for everything).
    subprocess.run([sys.executable, "-m", "gateway.cli", "db", "upgrade"], check=True)

    class _App(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", settings.bind)
            # One process of 8 threads carries a district office (hundreds of webhooks a second); a bigger
            # server sets WEB_CONCURRENCY to its cores.
            self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "1")))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("accesslog", None)  # access logs would carry nothing useful and cost I/O

        def load(self) -> object:
            # In the worker, before it accepts a connection: the gazetteer and the conversation load now, not
            # in the first villager's request (that took ~1 s: the e2e benchmark's slowest alerts were the
            # first ones).
            from gateway.app import create_app

            ctx = context()
            app = create_app(context=ctx)
            app.extensions["ntswatch"].engine  # noqa: B018
            ctx.gazetteer.warm()
            return app

    _App().run()
    return 0


@cli.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty (tests, one-off runs).")
def worker(burst: bool) -> int:
    """Run an RQ worker with the scheduler (retries, back-off, escalation timers) and the sweeper, each a thread."""
    from rq import SimpleWorker

    from reports.db import upgrade
    from workers.scheduler import start_scheduler
    from workers.sweeper import start_sweeper

    ctx = context()
    ctx.settings.check_serving()
    upgrade(ctx.engine)
    ctx.gazetteer.warm()  # load once before the first job, not inside it
    # SimpleWorker runs jobs in this process: no fork per job (the default Worker pays ~10 ms a fork and
    # reloads the gazetteer each time). Jobs are short and idempotent; a crash is recovered by the sweeper.
    rq_worker = SimpleWorker([ctx.jobs.rq], connection=ctx.jobs.redis)
    if not burst:
        start_sweeper(ctx)  # re-queues work whose job a crash or a Redis restart lost
        start_scheduler(ctx)  # retries, back-off, escalation timers: a thread here, not a forked process
    rq_worker.work(burst=burst, with_scheduler=burst, logging_level="INFO")
    return 0


@cli.command()
@click.argument("action", type=click.Choice(["poll", "set-webhook"]), default="poll")
@click.option("--drop-pending", is_flag=True, help="With set-webhook: discard updates Telegram queued meanwhile.")
def telegram(action: str, drop_pending: bool) -> int:
    """Run the Telegram bot by polling (no public address needed), or register the webhook
    (NTS_PUBLIC_URL/webhooks/telegram with TELEGRAM_WEBHOOK_SECRET)."""
    from bots.telegram import run_polling, set_webhook

    ctx = context()
    ctx.settings.check_serving()
    if action == "set-webhook":
        result = set_webhook(ctx, drop_pending=drop_pending)
        click.echo(f"webhook {'set' if result['ok'] else 'NOT set'}: {result['url']}")
        return 0 if result["ok"] else 1
    return run_polling(ctx)


@cli.group()
def spool() -> None:
    """The local spool: messages kept on disk while Redis was unreachable."""


@spool.command("replay")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds between passes.")
def spool_replay(once: bool, interval: float) -> int:
    """Drain the spool into the queue whenever Redis answers (one replayer per host)."""
    if not once:  # the long wait runs as a small process; each pass loads the engine in a child (spool_watch)
        import sys

        os.execv(sys.executable, [sys.executable, "-m", "gateway.spool_watch", "--interval", str(interval)])  # noqa: S606 (our own interpreter, fixed arguments)
    from flows.engine import Engine
    from gateway.replayer import drain
    from gateway.spool import Spool

    ctx = context()
    ctx.settings.check_serving()
    box = Spool(ctx.settings.spool_path(), ctx.settings.secret_key)
    result = drain(ctx, Engine.for_context(ctx), box)
    click.echo(f"replayed {result.replayed}, already handled {result.duplicates}, files {result.files}")
    return 0


@spool.command("status")
def spool_status() -> int:
    """How much waits in the spool."""
    from gateway.spool import Spool

    ctx = context()
    box = Spool(ctx.settings.spool_path(), ctx.settings.secret_key)
    files = box.pending_files()
    click.echo(f"{len(files)} spool file(s), {sum(p.stat().st_size for p in files)} bytes in {box.directory}")
    return 0
