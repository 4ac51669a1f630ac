"""The working groups: invite a member, send an awareness broadcast (and follow it)."""

from __future__ import annotations

import json
from datetime import date

import click

from gateway.cli.base import cli, context
from reports.enums import Role


@cli.group()
def centers() -> None:
    """The district centres' working groups (ids are those of NTS_CENTERS_FILE, usually the DOPA district code)."""


@centers.command("invite")
@click.option("--center", required=True, help="The centre's id in the centres file, e.g. 4803.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The new member's role.")
@click.option("--name", required=True, help="The new member's name as the group knows them.")
@click.option("--days", type=click.IntRange(1, 30), default=7, show_default=True, help="How long the code is valid.")
def centers_invite(center: str, role: str, name: str, days: int) -> int:
    """Make a one-time invite code; the member sends JOIN <code> to the bot on Telegram or LINE."""
    from centres.members import InviteError, create_invite

    ctx = context()
    found = ctx.centers.by_id.get(center)
    if found is None:
        raise click.BadParameter(f"no centre {center!r} in {ctx.settings.centers_path()}", param_hint="--center")
    try:
        with ctx.sessions.begin() as session:
            code = create_invite(session, ctx.settings.secret_key, found, role, name, "cli", days)
    except InviteError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"{code}  ({name}, {role}, {found.name}; valid {days} days, once)\n"
               f"They send  JOIN {code}  to the gateway's bot on Telegram or LINE.")
    return 0


def _language_text(item: str) -> tuple[str, str]:
    lang, sep, body = item.partition("=")
    if not sep or lang.strip() not in ("th", "lo", "km", "en"):
        raise click.BadParameter(f"want LANG=TEXT with LANG one of th, lo, km, en; got {item!r}", param_hint="--text")
    return lang.strip(), body


@centers.command("broadcast")
@click.option("--center", help="The centre's id in the centres file, e.g. 4803.")
@click.option("--text", "texts", multiple=True, metavar="LANG=TEXT",
              help="The message in one language (repeat for th, lo, km, en; others get the centre's).")
@click.option("--template", type=click.Choice(["fake_jobs", "training"]),
              help="A ready-made text in all four languages.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Training date, YYYY-MM-DD.")
@click.option("--place", help="Training place, as villagers know it.")
@click.option("--audience", type=click.Choice(["all", "members", "subscribers"]), default="all", show_default=True,
              help="Members of the working group, villagers who asked for news, or both.")
@click.option("--status", "status_id", metavar="ID", help="Show how far broadcast ID has gone instead.")
def centers_broadcast(center: str | None, texts: tuple[str, ...], template: str | None, day: object,
                      place: str | None, audience: str, status_id: str | None) -> int:
    """Queue an awareness broadcast of a centre to its members and subscribed villagers, each in their language."""
    from redis.exceptions import RedisError
    from sqlalchemy import select

    from centres import broadcasts
    from reports.models import Broadcast

    ctx = context()
    if status_id:
        with ctx.sessions() as session:
            found = session.execute(select(Broadcast).where(Broadcast.id == status_id.upper())).scalar_one_or_none()
            if found is None:
                raise click.BadParameter(f"no broadcast {status_id!r}", param_hint="--status")
            click.echo(json.dumps({"id": found.id, "center": found.center_id, "audience": found.audience,
                                   **broadcasts.summary(session, found.id)}, ensure_ascii=False))
        return 0
    chosen = ctx.centers.by_id.get(center or "")
    if chosen is None:
        raise click.BadParameter(f"no centre {center!r} in {ctx.settings.centers_path()}", param_hint="--center")
    try:
        if template:
            when = day.date() if hasattr(day, "date") else None
            written = broadcasts.template_texts(template, chosen, ctx.gazetteer, when if isinstance(when, date)
                                                else None, place or "")
        else:
            written = dict(_language_text(item) for item in texts)
        broadcast_id, members, subscribers = broadcasts.create(ctx, chosen, written, audience, "cli")
    except broadcasts.BroadcastError as exc:
        raise click.BadParameter(str(exc)) from None
    except RedisError:
        raise click.ClickException("Redis is not reachable (is `make run` running, or REDIS_URL set?); "
                                   "nothing was sent") from None
    click.echo(f"broadcast {broadcast_id} queued for {members + subscribers} people ({members} members, "
               f"{subscribers} subscribed villagers); follow it with  ntswatch centers broadcast --status "
               f"{broadcast_id}")
    return 0
