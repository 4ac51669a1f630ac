"""What every `ntswatch` command shares: the root click group and the process's Context."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from gateway.devstack import load_dev_env

if TYPE_CHECKING:
    from gateway.settings import Settings
    from reports.context import Context


def context() -> Context:
    """The process's Context: the one already installed (a test, a parent), else built from the environment
    and the running dev stack's files. (Imported here: a command that never builds a Context — the web
    process's master, the spool watcher — stays small.)"""
    from gateway.composition import build_context
    from reports.context import installed

    found = installed()
    if found is not None:
        return found
    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)
    return build_context()


def serving_settings() -> Settings:
    """The settings from the environment and the dev stack's files, refused (SettingsError) if unfit to serve;
    without building a Context (a process that only supervises stays small)."""
    from gateway.settings import Settings

    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)
    settings = Settings.from_env()
    settings.check_serving()
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """NTS-Mekong Watch reporting gateway: SMS, USSD, Telegram and LINE reports in th/lo/km/en, routed to the
    border district centres."""
