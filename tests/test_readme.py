"""README.md is right for a new user: every YAML and JSON block parses, the centres example passes the real
loader, every variable it lists is read by the settings, every `ntswatch …` command it names exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import yaml

from gateway.cli import cli
from gateway.settings import ENVIRONMENT
from reports.centres_file import parse_centers

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.DOTALL)


def test_every_yaml_and_json_block_parses_and_the_centres_example_loads() -> None:
    kinds = [kind for kind, _ in BLOCKS]
    assert "yaml" in kinds
    for kind, body in BLOCKS:
        if kind == "yaml":
            data = yaml.safe_load(body)
            if isinstance(data, dict) and "centers" in data:
                centers = parse_centers(data, Path("README.md"))
                assert centers.for_district("4803") is not None and centers.fallback.id == "national"
        elif kind == "json":
            json.loads(body)


def test_every_variable_in_the_tables_is_read_by_the_settings() -> None:
    named = set(re.findall(r"`((?:NTS|TWILIO|TELEGRAM|LINE|SMSGATEWAY|USSD|REDIS|DATABASE)_[A-Z_]+)`", README))
    assert "NTS_SECRET_KEY" in named
    known = set(ENVIRONMENT.values()) | {"NTS_VAR_DIR", "NTS_TEST_POSTGRES_URL", "NTS_LOG_LEVEL"}
    assert named - known == set()


def test_every_command_it_names_exists() -> None:
    commands = set(re.findall(r"ntswatch ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", README))
    assert commands
    for command in commands:
        group: click.Command = cli
        words = command.split()
        for word in words:
            if not isinstance(group, click.Group) or word not in group.commands:
                break  # an argument (`ntswatch districts Poipet`), not a subcommand
            group = group.commands[word]
        else:
            continue
        assert words[0] in cli.commands, f"README names `ntswatch {command}`, which does not exist"
