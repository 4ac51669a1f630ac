"""The development outbox: under `make run` (NTS_DEV_OUTBOX=1), a message for a provider that has no
credentials is kept here instead of failing, so every flow — status updates, questions to the reporter,
alerts to Telegram and LINE groups, broadcasts — can be tried without any account. `ntswatch simulate`
prints what reached its number; `/dev/outbox` lists everything. Outside `make run` an unconfigured
provider is a `NotConfigured` error (one log line, the send skipped).

One JSON line per message in `var/outbox.jsonl` (private to the user, 0600), appended under a lock, so the
web, worker and bot processes can all write to it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from gateway.channels.sending import NotConfigured
from gateway.settings import Settings

KEEP_LINES = 2000


def outbox_path(settings: Settings) -> Path:
    """Where the development outbox lives."""
    return settings.var_path() / "outbox.jsonl"


def keep(settings: Settings, provider: str, to: str, text: str, **extra: Any) -> str:
    """Keep a message a provider without credentials would have sent; its id ("dev-…").

    Raises NotConfigured when the development outbox is off (production)."""
    if not settings.dev_outbox:
        raise NotConfigured(f"{provider} is not configured on this gateway (see README: Configure real channels)")
    path = outbox_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    message_id = f"dev-{time.time_ns()}"
    line = json.dumps({"id": message_id, "at": time.time(), "provider": provider, "to": to, "text": text,
                       **extra}, ensure_ascii=False)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)
    return message_id


def read(settings: Settings, to: str | None = None, since: float = 0.0, limit: int = 200) -> list[dict[str, Any]]:
    """The newest messages (oldest first), optionally only those to `to` and after `since`."""
    path = outbox_path(settings)
    if not path.exists():
        return []
    items = []
    for raw in path.read_text(encoding="utf-8").splitlines()[-KEEP_LINES:]:
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if item.get("at", 0) > since and (to is None or item.get("to") == to):
            items.append(item)
    return items[-limit:]
