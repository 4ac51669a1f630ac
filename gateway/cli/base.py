"""What every `ntswatch` command shares: the root click group and the process's Context."""

from __future__ import annotations

import os

import click

from gateway.composition import build_context
from gateway.devstack import load_dev_env
from reports.context import Context, installed


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
