"""Settings from the environment, as one validated pydantic model: the names are the fixed interface
(README "Configure real channels and centres"), read in this one place, and a bad value is refused at start
with the variable's name."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
# Runtime data of the embedded stack (Redis AOF, SQLite, dev secrets, media, spool); NTS_VAR_DIR moves it.
VAR_DIR = Path(os.environ.get("NTS_VAR_DIR") or PROJECT_ROOT / "var")
UPDATES = ("received", "acknowledged", "assigned", "closed")


MIN_SECRET = 16  # characters of a shared secret or token: fewer can be guessed over the network


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the environment variable."""


# field name -> environment variable (the fixed names first, then the project's own NTS_* knobs)
ENVIRONMENT: dict[str, str] = {
    "redis_url": "REDIS_URL", "database_url": "DATABASE_URL", "bind": "NTS_BIND", "centers_file": "NTS_CENTERS_FILE",
    "api_token": "NTS_API_TOKEN", "secret_key": "NTS_SECRET_KEY", "public_url": "NTS_PUBLIC_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID", "twilio_auth_token": "TWILIO_AUTH_TOKEN", "twilio_from": "TWILIO_FROM",
    "twilio_api_base": "TWILIO_API_BASE", "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET", "telegram_api_base": "TELEGRAM_API_BASE",
    "line_channel_secret": "LINE_CHANNEL_SECRET", "line_channel_access_token": "LINE_CHANNEL_ACCESS_TOKEN",
    "line_api_base": "LINE_API_BASE", "smsgateway_secret": "SMSGATEWAY_SECRET",
    "smsgateway_api_base": "SMSGATEWAY_API_BASE", "ussd_secret": "USSD_SECRET",
    "spool_dir": "NTS_SPOOL_DIR", "media_dir": "NTS_MEDIA_DIR", "proxy_hops": "NTS_PROXY_HOPS",
    "reporter_updates": "NTS_REPORTER_UPDATES", "notify_backoff_s": "NTS_NOTIFY_BACKOFF",
    "sweep_interval_s": "NTS_SWEEP_INTERVAL_S", "sweep_grace_s": "NTS_SWEEP_GRACE_S",
    "processing_claim_s": "NTS_PROCESSING_CLAIM_S", "send_claim_s": "NTS_SEND_CLAIM_S",
    "retention_days": "NTS_RETENTION_DAYS", "broadcast_rates": "NTS_BROADCAST_RATES", "dev_outbox": "NTS_DEV_OUTBOX",
    "trusted_proxies": "NTS_TRUSTED_PROXIES",
}


class Settings(BaseModel):
    """Everything the gateway, workers and bots read from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    # Reverse proxies in front of the gateway that set X-Forwarded-For. 0 trusts no such header: behind nginx
    # every request would then come from the proxy's address, and the per-address refusal limit
    # (gateway/web/guard.py) would block the providers with the guesser.
    proxy_hops: int = Field(0, ge=0, le=5)
    # Only these addresses (or networks) may set X-Forwarded-For: a client reaching the app directly cannot pick
    # its apparent address.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Which proactive updates reporters get; STOP silences all of them for one reporter.
    reporter_updates: tuple[str, ...] = UPDATES
    dedup_ttl_s: int = 48 * 3600
    conversation_timeout_s: int = 60 * 60
    notify_backoff_s: tuple[int, ...] = (5, 30, 120, 600, 1800)  # seconds between alert retries, the last repeats
    notify_max_attempts: int = Field(52, ge=1)  # with the 30-minute cap: about a day of outage before dead-letter
    notify_fallback_after: int = Field(3, ge=1)  # failed attempts on a chat channel before the fallback targets
    sweep_interval_s: float = Field(30.0, gt=0)  # how often a worker looks for work whose job was lost
    sweep_grace_s: float = Field(60.0, ge=0)  # how overdue work must be before it counts as lost
    retention_days: int = Field(180, ge=0)  # erase a reporter's contact after this many silent days (0: keep)
    # How long a worker's claim on a report or a send outlives it if it dies (longer than any HTTP timeout).
    processing_claim_s: int = Field(60, ge=1)
    send_claim_s: int = Field(120, ge=1)
    # Broadcast sends a second per channel, shared by all workers: Telegram allows about 30 messages a second
    # to different users, LINE's push far more; one SMS a second suits a Twilio long code and keeps an Android
    # gateway's SIM clear of the operator's spam limits.
    broadcast_rates: dict[str, float] = Field(default_factory=lambda: {"telegram": 25.0, "line": 100.0, "sms": 1.0})
    default_country: str = "TH"
    var_dir: str = ""  # runtime data of this gateway (default var/ of the checkout, or NTS_VAR_DIR)
    media_dir: str = ""  # photos and voice notes; default var/media
    spool_dir: str = ""  # messages kept while Redis is down; default var/spool
    # `make run`: messages for a provider without credentials go to a local outbox the simulator and
    # /dev/outbox show, instead of failing (never set in production).
    dev_outbox: bool = False

    @field_validator("notify_backoff_s")
    @classmethod
    def _backoff(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(v < 0 for v in value):
            raise ValueError("a comma-separated list of seconds, e.g. 5,30,120,600,1800")
        return value

    @field_validator("reporter_updates")
    @classmethod
    def _updates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in UPDATES]
        if unknown:
            raise ValueError(f"unknown update(s) {', '.join(unknown)}; choose from {', '.join(UPDATES)}")
        return value

    @field_validator("broadcast_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for name, rate in value.items():
            if name not in ("telegram", "line", "sms") or rate <= 0:
                raise ValueError(f"{name}={rate}: use telegram, line, sms with a rate above 0")
        return value

    def var_path(self) -> Path:
        """The directory of this gateway's runtime data."""
        return Path(self.var_dir) if self.var_dir else VAR_DIR

    def media_path(self) -> Path:
        """Where checked media files are kept."""
        return Path(self.media_dir) if self.media_dir else self.var_path() / "media"

    def spool_path(self) -> Path:
        """The spool directory (local disk of this host)."""
        return Path(self.spool_dir) if self.spool_dir else self.var_path() / "spool"

    def centers_path(self) -> Path:
        """The centres file, relative paths taken from the project root when not found from the cwd."""
        path = Path(self.centers_file)
        if not path.is_absolute() and not path.exists():
            path = PROJECT_ROOT / path
        return path

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad one
        return value

    def check_serving(self) -> None:
        """Refuse to serve with a configuration that would fail or be guessable in the field (SettingsError
        naming every variable to set): no secret key, short secrets behind a public https address, the
        development outbox in production."""
        problems: list[str] = []
        if len(self.secret_key) < MIN_SECRET:
            problems.append(f"NTS_SECRET_KEY: set a random value of at least {MIN_SECRET} characters (it keys the "
                            "pseudonyms and encrypts contacts; keep it), e.g. "
                            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
        if self.public_url.startswith("https://"):
            for field in ("api_token", "twilio_auth_token", "telegram_webhook_secret", "line_channel_secret",
                          "smsgateway_secret", "ussd_secret"):
                value = getattr(self, field)
                if value and len(value) < MIN_SECRET:
                    problems.append(f"{ENVIRONMENT[field]}: {len(value)} characters is guessable behind "
                                    f"{self.public_url}; use at least {MIN_SECRET} random characters")
            if self.dev_outbox:
                problems.append("NTS_DEV_OUTBOX: development only; unset it behind a public address")
        if problems:
            raise SettingsError("; ".join(problems))

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes`, validated again."""
        return Settings.model_validate({**self.model_dump(), **changes})

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read the environment; keyword overrides win (tests and the dev runner use them)."""
        unknown = set(overrides) - set(cls.model_fields)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for name, variable in ENVIRONMENT.items():
            raw = os.environ.get(variable)
            # An empty NTS_REPORTER_UPDATES means "none"; any other empty variable means "the default".
            if raw is not None and (raw.strip() != "" or name == "reporter_updates"):
                values[name] = _parse(name, raw.strip())
        for name in ("public_url", "twilio_api_base", "telegram_api_base", "line_api_base", "smsgateway_api_base"):
            if isinstance(values.get(name), str):
                values[name] = values[name].rstrip("/")
        values.setdefault("database_url", f"sqlite:///{VAR_DIR / 'ntswatch.sqlite3'}")
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None


def _parse(name: str, raw: str) -> Any:
    """An environment string in the shape the field takes (lists and rates are comma-separated)."""
    if name in ("reporter_updates", "notify_backoff_s"):
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if name == "broadcast_rates":
        rates: dict[str, Any] = {}
        for item in filter(None, (x.strip() for x in raw.split(","))):
            key, _, value = item.partition("=")
            rates[key.strip()] = value.strip()
        return rates
    if name == "trusted_proxies":
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if name == "dev_outbox":
        return raw.lower() in ("1", "true", "yes", "on")
    return raw


def _explain(exc: ValidationError) -> str:
    """One line per wrong setting, named as the operator set it."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        variable = ENVIRONMENT.get(field, field)
        lines.append(f"{variable}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(lines)
