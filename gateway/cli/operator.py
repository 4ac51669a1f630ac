"""Operators' commands: try it (`simulate`), check the texts (`flows check`), look at reports and districts,
verify the audit trail, migrate the database, send the digest, purge old contacts."""

from __future__ import annotations

import json
import os

import click

from gateway.cli.base import cli, context
from reports.enums import Category, ReportStatus


@cli.command()
@click.option("--lang", type=click.Choice(["th", "lo", "km", "en"]), default="th", show_default=True,
              help="The villager's language (sets the sample message and the phone's country).")
@click.option("--url", help="The gateway's base URL (default: http://$NTS_BIND of the running stack).")
@click.option("--from", "sender", help="The villager's phone number, E.164 (e.g. +66812345678).")
def simulate(lang: str, url: str | None, sender: str | None) -> int:
    """Chat as a villager over correctly signed Twilio webhooks; shows each reply with its SMS cost and, under
    `make run`, the messages the gateway sent this number later (updates, questions)."""
    from gateway.devstack import load_dev_env
    from gateway.simulate import chat

    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)
    bind = os.environ.get("NTS_BIND", "127.0.0.1:8000")
    return chat(url or f"http://{bind}", os.environ.get("TWILIO_AUTH_TOKEN", ""), lang, sender)


@cli.group()
def flows() -> None:
    """The reporters' conversation and its texts."""


@flows.command("check")
@click.option("--quiet", is_flag=True, help="Print only problems and the summary line.")
def flows_check(quiet: bool) -> int:
    """Every reporter text in every language with its UTF-16 length and SMS parts; fails on a missing
    translation or a text over two parts."""
    from flows.check import run_check

    return run_check(quiet=quiet)


@cli.group(invoke_without_command=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="How many, newest first.")
@click.option("--ticket", help="Only this ticket (digits, with its check digit).")
@click.option("--center", help="Only this centre's reports (its id in the centres file, e.g. 4803).")
@click.option("--status", type=click.Choice([s.value for s in ReportStatus]), help="Only cases in this status.")
@click.option("--category", type=click.Choice([c.value for c in Category]), help="Only this category.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
@click.pass_context
def reports(click_ctx: click.Context, limit: int, ticket: str | None, center: str | None, status: str | None,
            category: str | None, as_json: bool) -> int:
    """List stored reports (pseudonymous: never a phone number); `reports export` writes CSV or GeoJSON."""
    if click_ctx.invoked_subcommand is not None:
        return 0
    from sqlalchemy import select

    from reports.models import Report

    ctx = context()
    query = select(Report).order_by(Report.created_at.desc()).limit(limit)
    for column, value in ((Report.ticket, ticket), (Report.center_id, center), (Report.status, status),
                          (Report.category, category)):
        if value:
            query = query.where(column == value)
    with ctx.sessions() as session:
        for r in session.execute(query).scalars():
            if as_json:
                click.echo(json.dumps({"ticket": r.ticket, "created_at": r.created_at.isoformat(),
                                       "category": r.category, "district_code": r.district_code,
                                       "center_id": r.center_id, "status": r.status, "channel": r.channel,
                                       "language": r.language}, ensure_ascii=False))
                continue
            click.echo(f"{r.ticket}  {r.created_at:%Y-%m-%d %H:%M}  {r.category:<11} {r.district_code or '----'} "
                       f"→ {r.center_id:<8} {r.status:<12} {r.channel}/{r.language}  {r.details[:50]}")
    return 0


@reports.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default="csv", show_default=True)
@click.option("--center", help="Only this centre's reports.")
@click.option("--status", type=click.Choice([s.value for s in ReportStatus]))
@click.option("--category", type=click.Choice([c.value for c in Category]))
@click.option("--since", help="From this time (ISO 8601 with a zone, e.g. 2026-12-01T00:00:00+07:00).")
@click.option("--until", help="Before this time (ISO 8601 with a zone).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="A file (private, 0600); else stdout.")
def reports_export(fmt: str, center: str | None, status: str | None, category: str | None, since: str | None,
                   until: str | None, output: str | None) -> int:
    """The filtered reports as CSV (spreadsheet-safe) or GeoJSON, with no contact data — as the workspace exports."""
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from reports import export
    from reports.filters import FilterError, ReportFilter
    from reports.models import Report

    given = {"center": center, "status": status, "category": category, "since": since, "until": until}
    try:  # the board's own reading of filters, so a bad one is named the same way ("since: Input should be …")
        wanted = ReportFilter.from_args(MultiDict({k: v for k, v in given.items() if v}))
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from None
    ctx = context()
    with ctx.sessions() as session:
        rows = list(session.execute(wanted.where(select(Report)).order_by(Report.created_at.desc())
                                    .limit(100_000)).scalars())
        body = export.to_csv(rows) if fmt == "csv" else json.dumps(export.to_geojson(rows), ensure_ascii=False)
    if output:
        with open(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            f.write(body)
        click.echo(f"{len(rows)} reports written to {output}", err=True)
    else:
        click.echo(body, nl=False)
    return 0


@cli.command()
@click.argument("query", nargs=-1)
def districts(query: tuple[str, ...]) -> int:
    """List the 67 border districts and their centres; with a QUERY (any script, e.g. Poipet, ท่าอุเทน), resolve a
    place name as a report would."""
    ctx = context()
    gaz = ctx.gazetteer
    if query:
        place = gaz.search(" ".join(query))
        if place is None:
            click.echo("not found")
            return 1
        found = ctx.centers.for_district(place.district_code)
        click.echo(f"{place.district_code} {gaz.describe(place, 'en')} via {place.via} {list(place.flags)} "
                   f"→ centre {found.id if found else ctx.centers.fallback_id + ' (fallback)'}")
        return 0
    for d in sorted(gaz.districts.values(), key=lambda d: d.code):
        found = ctx.centers.for_district(d.code)
        click.echo(f"{d.code}  {d.name_en:<22} {d.name_th:<18} {d.province_en:<18} "
                   f"→ {found.id if found else '(fallback ' + ctx.centers.fallback_id + ')'}")
    return 0


@cli.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
def audit_verify() -> int:
    """Check the hash chain of the audit trail; exit 1 at the first row that does not fit."""
    from reports.store import verify_audit

    with context().sessions() as session:
        count, bad = verify_audit(session)
    if bad is not None:
        click.echo(f"audit trail BROKEN at row {bad} (checked {count} rows)")
        return 1
    click.echo(f"audit trail ok: {count} rows, hash chain intact")
    return 0


@cli.group()
def db() -> None:
    """The database (SQLite by default, PostgreSQL with DATABASE_URL)."""


@db.command("upgrade")
def db_upgrade() -> int:
    """Apply the database migrations (every process also does at start)."""
    from reports.db import upgrade

    upgrade(context().engine)
    return 0


@cli.command()
@click.option("--send", is_flag=True, help="Send today's digest to the centres' groups (once a day each).")
def digest(send: bool) -> int:
    """Print every centre's digest (new, open, overdue, closed); with --send, send it."""
    from centres import digest as digests
    from reports.models import utcnow

    ctx = context()
    if send:
        click.echo(f"sent {digests.send_digests(ctx)} digest message(s)")
        return 0
    for center in ctx.centers.by_id.values():
        click.echo(f"{center.id:10} {digests.render(center, digests.count(ctx, center), utcnow())}")
    return 0


@cli.group()
def retention() -> None:
    """Reporters' contact details."""


@retention.command("purge")
def retention_purge() -> int:
    """Erase the contacts of reporters silent for longer than NTS_RETENTION_DAYS (the sweeper does it daily)."""
    from reporters.retention import purge_contacts

    click.echo(f"erased {purge_contacts(context())} contact(s)")
    return 0
