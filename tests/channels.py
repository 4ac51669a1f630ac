"""The shared runner for channel webhook tables: each case names a fixture, how to sign and send it,
the expected HTTP status, and what must (or must not) be stored. Failure cases sit in the same tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from redis import Redis

ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class Case:
    """One webhook request and what it must do."""

    name: str
    fixture: str | None  # file under gateway/channels/<channel>/fixtures/, without .json
    status: int
    reply: str | None = None  # a substring the reply must contain (None: no check)
    stores: bool = True  # False: the gateway must keep nothing at all (refused requests)
    sign: str = "good"  # good / bad / none / other-url
    body: bytes | None = None  # raw body instead of the fixture
    content_type: str = "application/x-www-form-urlencoded"
    repeat: int = 1  # send the same request this many times (provider redelivery)
    edit: Callable[[dict[str, Any]], None] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def load_fixture(channel: str, name: str) -> dict[str, Any]:
    """A captured provider payload."""
    path = ROOT / "gateway" / "channels" / channel / "fixtures" / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def assert_nothing_stored(redis: Redis) -> None:
    """A refused request leaves no trace: no dedup key, no conversation, no job (only the per-address
    count of refusals, which holds nothing from the message)."""
    keys = [k.decode() if isinstance(k, bytes) else k for k in redis.keys("*")]
    assert [k for k in keys if not k.startswith("nts:refused:")] == [], keys


def post(client: FlaskClient, path: str, body: bytes, headers: dict[str, str], content_type: str) -> Any:
    """POST raw bytes."""
    return client.post(path, data=body, headers=headers, content_type=content_type)
