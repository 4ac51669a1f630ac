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

from gateway.cli import accounts, centres, operator, processes
from gateway.cli.base import cli
from gateway.settings import SettingsError
from reports.centres_file import CentersError

COMMANDS = (accounts, centres, operator, processes)  # each registers its commands on `cli` when imported


def setup_logging() -> None:
    """One format for every process; library chatter (Alembic's INFO lines) kept out of operators' way."""
    logging.basicConfig(level=os.environ.get("NTS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ntswatch` console script; the exit code (2 for a usage error)."""
    # What the gateway writes (SQLite files, media, the spool, Redis's AOF under `run`) holds reports and contact
    # data: private to this user from the moment it is created, in every process the Procfile starts.
    os.umask(0o077)
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

