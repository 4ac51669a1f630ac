"""`ntswatch`: one console script for every process and operator task (click; `ntswatch --help` lists them).

Commands run beside `make run` pick up its development secrets and the address of its embedded Redis
(`var/dev.env`, `var/stack.env`); variables already set in the environment win.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

import click

from gateway.composition import build_context
from gateway.devstack import load_dev_env
from gateway.settings import SettingsError
from reports.centres_file import CentersError
from reports.context import Context, installed


def setup_logging() -> None:
    """One format for every process; library chatter (Alembic's INFO lines) kept out of operators' way."""
    logging.basicConfig(level=os.environ.get("NTS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def context() -> Context:
    """The process's Context: the one already installed (a test, a parent), else built from the environment
    and the running dev stack's files."""
    found = installed()
    if found is not None:
        return found
    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)
    return build_context()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """NTS-Mekong Watch reporting gateway: SMS, USSD, Telegram and LINE reports in th/lo/km/en, routed to the
    border district centres."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ntswatch` console script; the exit code (2 for a usage error)."""
    setup_logging()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="ntswatch",
                          standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return 1
    except (SettingsError, CentersError) as exc:
        click.echo(f"configuration error: {exc}", err=True)
        return 2
    except BrokenPipeError:  # `ntswatch districts | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 0
    return int(result) if isinstance(result, int) else 0


# Subcommands register themselves on `cli` when imported.
from gateway.cli import centres, operator, processes  # noqa: E402,F401
