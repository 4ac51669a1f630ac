"""Settings from the environment: the names are fixed by DESIGN.md §3 and read in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
# Runtime data of the embedded stack (Redis AOF, SQLite, dev secrets); NTS_VAR_DIR moves it.
VAR_DIR = Path(os.environ.get("NTS_VAR_DIR") or PROJECT_ROOT / "var")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@dataclass(frozen=True)
class Settings:
    """Everything the gateway, workers and bots read from the environment."""

    redis_url: str = ""
    database_url: str = ""
    bind: str = "127.0.0.1:8000"
    centers_file: str = "config/centers.yaml"
    api_token: str = ""
    secret_key: str = ""
    public_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_base: str = "https://api.line.me"
    smsgateway_secret: str = ""
    smsgateway_api_base: str = ""
    ussd_secret: str = ""
    # Limits and timings with sensible defaults; not part of the fixed interface.
    max_body_bytes: int = 64 * 1024
    # Reverse proxies in front of the gateway that set X-Forwarded-For (NTS_PROXY_HOPS). 0 trusts no such
    # header: behind nginx every request would then come from the proxy's address, and the per-address
    # refusal limit (gateway/web/guard.py) would block the providers with the guesser.
    proxy_hops: int = 0
    # Which proactive updates reporters get (NTS_REPORTER_UPDATES); STOP silences all of them for one reporter.
    reporter_updates: tuple[str, ...] = ("received", "acknowledged", "assigned", "closed")
    dedup_ttl_s: int = 48 * 3600
    conversation_timeout_s: int = 60 * 60
    notify_backoff_s: tuple[int, ...] = field(default=(5, 30, 120, 600, 1800))  # NTS_NOTIFY_BACKOFF, the last repeats
    notify_max_attempts: int = 52  # with the 30-minute cap: about a day of provider outage before dead-letter
    notify_fallback_after: int = 3  # failed attempts on a chat channel before the centre's fallback targets
    sweep_interval_s: float = 30.0  # how often a worker looks for work whose job was lost (NTS_SWEEP_INTERVAL_S)
    sweep_grace_s: float = 60.0  # how overdue work must be before it counts as lost (NTS_SWEEP_GRACE_S)
    # How long a worker's claim on a report or a send outlives it if it dies (longer than any HTTP timeout).
    retention_days: int = 180  # erase a reporter's contact after this many days without a report (0: keep)
    processing_claim_s: int = 60  # NTS_PROCESSING_CLAIM_S
    send_claim_s: int = 120  # NTS_SEND_CLAIM_S
    # Broadcast sends a second per channel, shared by all workers (NTS_BROADCAST_RATES): Telegram allows about
    # 30 messages a second to different users, LINE's push far more; one SMS a second suits a Twilio long code
    # and keeps an Android gateway's SIM clear of the operator's spam limits.
    broadcast_rates: dict[str, float] = field(default_factory=lambda: {"telegram": 25.0, "line": 100.0, "sms": 1.0})
    default_country: str = "TH"
    media_dir: str = ""  # photos and voice notes; default var/media
    spool_dir: str = ""  # messages kept while Redis is down; default var/spool (NTS_SPOOL_DIR)

    def media_path(self) -> Path:
        """Where checked media files are kept."""
        return Path(self.media_dir) if self.media_dir else VAR_DIR / "media"

    def spool_path(self) -> Path:
        """The spool directory (local disk of this host)."""
        return Path(self.spool_dir) if self.spool_dir else VAR_DIR / "spool"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read the environment; keyword overrides win (tests and the dev runner use them)."""
        values: dict[str, object] = {
            "redis_url": _env("REDIS_URL"),
            "database_url": _env("DATABASE_URL"),
            "bind": _env("NTS_BIND", "127.0.0.1:8000"),
            "centers_file": _env("NTS_CENTERS_FILE", "config/centers.yaml"),
            "api_token": _env("NTS_API_TOKEN"),
            "secret_key": _env("NTS_SECRET_KEY"),
            "public_url": _env("NTS_PUBLIC_URL").rstrip("/"),
            "twilio_account_sid": _env("TWILIO_ACCOUNT_SID"),
            "twilio_auth_token": _env("TWILIO_AUTH_TOKEN"),
            "twilio_from": _env("TWILIO_FROM"),
            "twilio_api_base": _env("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
            "telegram_bot_token": _env("TELEGRAM_BOT_TOKEN"),
            "telegram_webhook_secret": _env("TELEGRAM_WEBHOOK_SECRET"),
            "telegram_api_base": _env("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/"),
            "line_channel_secret": _env("LINE_CHANNEL_SECRET"),
            "line_channel_access_token": _env("LINE_CHANNEL_ACCESS_TOKEN"),
            "line_api_base": _env("LINE_API_BASE", "https://api.line.me").rstrip("/"),
            "smsgateway_secret": _env("SMSGATEWAY_SECRET"),
            "smsgateway_api_base": _env("SMSGATEWAY_API_BASE").rstrip("/"),
            "ussd_secret": _env("USSD_SECRET"),
            "spool_dir": _env("NTS_SPOOL_DIR"),
            "proxy_hops": int(_env("NTS_PROXY_HOPS", "0")),
            "reporter_updates": tuple(x.strip() for x in _env("NTS_REPORTER_UPDATES",
                                                              "received,acknowledged,assigned,closed").split(",")
                                      if x.strip()),
            "notify_backoff_s": tuple(int(x) for x in _env("NTS_NOTIFY_BACKOFF", "5,30,120,600,1800").split(",")),
            "sweep_interval_s": float(_env("NTS_SWEEP_INTERVAL_S", "30")),
            "sweep_grace_s": float(_env("NTS_SWEEP_GRACE_S", "60")),
            "processing_claim_s": int(_env("NTS_PROCESSING_CLAIM_S", "60")),
            "retention_days": int(_env("NTS_RETENTION_DAYS", "180")),
            "send_claim_s": int(_env("NTS_SEND_CLAIM_S", "120")),
            "broadcast_rates": _rates(_env("NTS_BROADCAST_RATES", "telegram=25,line=100,sms=1")),
        }
        if not values["database_url"]:
            values["database_url"] = f"sqlite:///{VAR_DIR / 'ntswatch.sqlite3'}"
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def centers_path(self) -> Path:
        """The centres file, relative paths taken from the project root when not found from the cwd."""
        path = Path(self.centers_file)
        if not path.is_absolute() and not path.exists():
            path = PROJECT_ROOT / path
        return path


def _rates(spec: str) -> dict[str, float]:
    """"telegram=25,line=100,sms=0.5" -> {"telegram": 25.0, ...}; a bad entry is an error at start-up."""
    rates: dict[str, float] = {}
    for item in filter(None, (x.strip() for x in spec.split(","))):
        name, _, value = item.partition("=")
        rate = float(value)
        if rate <= 0:
            raise ValueError(f"NTS_BROADCAST_RATES: {name} must be above 0")
        rates[name.strip()] = rate
    return rates
