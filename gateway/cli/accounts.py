"""People and keys: members' login links and SMS PINs (`ntswatch accounts`), API tokens (`ntswatch tokens`)."""

from __future__ import annotations

import click

from gateway.cli.base import cli, context


@cli.group()
def accounts() -> None:
    """Members' access: one-time login links to the workspace, PINs for officers' SMS commands."""


@accounts.command("login-link")
@click.option("--center", required=True, help="The member's centre (its id in the centres file, e.g. 4803).")
@click.option("--member", required=True, help="The member's name, as the centres file or their invite gives it.")
def login_link(center: str, member: str) -> int:
    """Print a one-time login link for a member (valid 10 minutes, once): for a member who cannot ask the bot."""
    from centres import access, logins

    ctx = context()
    principal = access.member_principal(ctx, center, member)
    if principal is None:
        raise click.BadParameter(f"no member {member!r} in centre {center!r}", param_hint="--member")
    click.echo(f"Login link for {member} ({center}), valid 10 minutes, once:")
    click.echo(logins.login_url(ctx, logins.make_login_code(ctx, principal)))
    return 0


@accounts.command("set-pin")
@click.option("--center", required=True, help="The officer's centre (its id in the centres file).")
@click.option("--member", required=True, help="The officer's name in the centres file (they need a phone there).")
@click.option("--pin", prompt="PIN (4-6 digits)", hide_input=True, confirmation_prompt=True,
              help="The PIN; asked for without echo when not given.")
def set_pin(center: str, member: str, pin: str) -> int:
    """Set the PIN a duty officer writes after the ticket in SMS commands (for officers without a smartphone;
    others send /pin to the bot themselves)."""
    from centres import pins

    ctx = context()
    found = ctx.centers.by_id.get(center)
    officer = next((m for m in found.members if m.name == member), None) if found else None
    if officer is None or not officer.phone:
        raise click.BadParameter(f"no member {member!r} with a phone in centre {center!r}", param_hint="--member")
    try:
        pins.set_pin(ctx, officer.phone, pin, f"cli:{center}")
    except pins.PinError as exc:
        raise click.BadParameter(str(exc), param_hint="--pin") from None
    click.echo(f"PIN set for {member} ({officer.phone[:-4]}····); they write it after the ticket: OK <ticket> <PIN>")
    return 0


@cli.group()
def tokens() -> None:
    """API tokens with scopes over some centres (NTS_API_TOKEN remains the operator's bootstrap token)."""


@tokens.command("create")
@click.option("--center", "centers", multiple=True, required=True, metavar="ID",
              help="A centre the token may reach (repeat; * for every centre).")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["reports:read", "reports:upload", "broadcast"]),
              help="What it may do (repeat): read reports, upload offline reports, send broadcasts.")
@click.option("--name", required=True, help="Who holds it (the audit trail names it), e.g. \"Headman Sakda's phone\".")
@click.option("--days", type=click.IntRange(1, 3650), help="Valid this many days (default: until revoked).")
def tokens_create(centers: tuple[str, ...], scopes: tuple[str, ...], name: str, days: int | None) -> int:
    """Make a token; it is printed once, on the last line (only its keyed hash is kept)."""
    from centres import tokens as api_tokens

    try:
        token_id, token = api_tokens.create(context(), list(centers), list(scopes), name, days, "cli")
    except api_tokens.TokenError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"token {token_id} for {name}: {', '.join(scopes)} on {', '.join(centers)}"
               f"{f', valid {days} days' if days else ''}. Keep it now; it is not shown again:")
    if list(scopes) == ["reports:upload"]:
        # A community leader's phone: opening this once puts the report page in leader mode (the token stays on
        # that phone until "clear everything"); the fragment after # is never sent to a server.
        click.echo(f"leader's enrolment link (open once on their phone): "
                   f"{context().settings.public_url.rstrip('/')}/report#leader={token}")
    click.echo(token)
    return 0


@tokens.command("list")
def tokens_list() -> int:
    """Every token (never the secret part): id, name, centres, scopes, state."""
    from centres import tokens as api_tokens

    for t in api_tokens.listing(context()):
        state = "revoked" if t.revoked_at else (f"until {t.expires_at:%Y-%m-%d}" if t.expires_at else "active")
        used = f"used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        click.echo(f"{t.id}  {t.name:<30} {','.join(t.centers):<12} {','.join(t.scopes):<36} {state}, {used}")
    return 0


@tokens.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> int:
    """Revoke token TOKEN_ID (the 8 characters after nts_) at once."""
    from centres import tokens as api_tokens

    if not api_tokens.revoke(context(), token_id, "cli"):
        raise click.BadParameter(f"no active token {token_id!r}", param_hint="TOKEN_ID")
    click.echo(f"token {token_id} revoked")
    return 0
