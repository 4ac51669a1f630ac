"""The `ntswatch` command: flows check, districts, reports, and `run` bringing the whole stack up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.simulate import post_sms
from i18n import messages
from reports.context import Context
from tests.conftest import free_port


def test_flows_check_passes_and_prints_every_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "check"]) == 0
    out = capsys.readouterr().out
    assert "flows check: ok" in out
    for lang in ("th", "lo", "km", "en"):
        assert f"{lang}: {len(messages.REPORTER) + len(messages.PUSHED)} texts" in out


def test_flows_check_fails_on_a_missing_translation(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(messages.ALL, "ask_new", "A brand new question nobody translated yet?")
    monkeypatch.setitem(messages.REPORTER, "ask_new", "A brand new question nobody translated yet?")
    assert main(["flows", "check", "--quiet"]) == 1
    assert "th: missing translation for ask_new" in capsys.readouterr().out


def test_flows_check_fails_over_budget(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from i18n.catalog import translations

    monkeypatch.setitem(messages.REPORTER, "cancelled", messages.REPORTER["cancelled"])
    original = translations("th").gettext
    monkeypatch.setattr(translations("th"), "gettext",
                        lambda s: "ยกเลิก" * 30 if s == messages.REPORTER["cancelled"] else original(s))
    assert main(["flows", "check", "--quiet"]) == 1
    assert "th: cancelled needs 3 SMS parts" in capsys.readouterr().out


def test_districts_lists_and_resolves(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["districts"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 67
    assert main(["districts", "Poipet"]) == 0
    assert "2706 Aranyaprathet" in capsys.readouterr().out
    assert main(["districts", "xyzzy"]) == 1


def test_a_closed_pipe_ends_a_listing_quietly() -> None:
    """`ntswatch districts | head -1`: the reader leaves early; no BrokenPipe traceback."""
    done = subprocess.run(f"{sys.executable} -m gateway.cli districts | head -1", shell=True,  # noqa: S602
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_bad_values_are_refused_with_their_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["centers", "invite", "--center", "4803", "--role", "coordinator", "--name", "X", "--days", "-5"]) == 2
    assert "--days" in capsys.readouterr().err
    assert main(["centers", "invite", "--center", "4803", "--role", "boss", "--name", "X"]) == 2
    assert "'boss' is not one of" in capsys.readouterr().err
    assert main(["reports", "--status", "lost"]) == 2


def _env_for_stack(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "TELEGRAM_BOT_TOKEN", "NTS_CENTERS_FILE", "NTS_API_TOKEN",
                        "NTS_SECRET_KEY", "TWILIO_AUTH_TOKEN", "NTS_PUBLIC_URL")}
    env.update(NTS_VAR_DIR=str(tmp_path / "var"), NTS_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1")
    return env


def _get(url: str, auth: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", f"Bearer {auth}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, its children's children included."""
    found: list[int] = []
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        found += [int(child), *descendants(int(child))]
    return found


def child_matching(pid: int, pattern: str) -> int:
    """The supervisor's direct child whose command line matches `pattern`."""
    out = subprocess.run(["pgrep", "-P", str(pid), "-f", pattern], capture_output=True, text=True).stdout.split()
    assert out, f"no child matching {pattern!r}"
    return int(out[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


@pytest.mark.system
def test_run_brings_up_redis_web_and_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = _env_for_stack(tmp_path, port)
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    started_all: list[int] = []
    try:
        started = time.monotonic()
        while time.monotonic() - started < 60:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("no /healthz within 60 s")
        print(f"/healthz answered {time.monotonic() - started:.1f} s after `ntswatch run`")
        assert _get(base + "/readyz")[0] == 200
        secrets = dict(line.split("=", 1) for line in (tmp_path / "var/dev.env").read_text().split())
        assert (tmp_path / "var/dev.env").stat().st_mode & 0o077 == 0  # private to the user
        assert (tmp_path / "var").stat().st_mode & 0o077 == 0
        status, reply = post_sms(base + "/webhooks/twilio/sms", secrets["TWILIO_AUTH_TOKEN"], "+66812345678",
                                 "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
        assert status == 200 and "เลขที่" in reply
        for _ in range(100):  # the worker process picks the report up and stores it
            status, page = _get(base + "/api/reports?center=4803", auth=secrets["NTS_API_TOKEN"])
            if "เห็นเรือขนของข้ามโขง" in page:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the alert never reached the inbox")
        assert (tmp_path / "var/redis/appendonlydir").exists() or list((tmp_path / "var/redis").glob("*.aof*"))
        shared = [str(p) for p in (tmp_path / "var").rglob("*") if p.stat().st_mode & 0o077]
        assert shared == []  # SQLite, AOF, media, outbox, spool: readable by this user only
        # kill -9 the worker and Redis: the stack restarts both and the next report still reaches the inbox
        for pattern in ("gateway.cli worker", "redis-server"):
            os.kill(child_matching(proc.pid, pattern), signal.SIGKILL)
        status, reply = post_sms(base + "/webhooks/twilio/sms", secrets["TWILIO_AUTH_TOKEN"], "+66812345679",
                                 "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง")
        assert status == 200  # a ticket, or "received, we will reply soon" from the spool while Redis restarts
        for _ in range(150):
            status, page = _get(base + "/api/reports?center=4803", auth=secrets["NTS_API_TOKEN"])
            if "รถตู้สองคันจอดริมโขง" in page:
                break
            time.sleep(0.2)
        else:
            pytest.fail("after kill -9 of the worker and Redis, a report never reached the inbox")
        # A command in a second terminal reaches the running stack's Redis and database through var/stack.env.
        second = subprocess.run([sys.executable, "-m", "gateway.cli", "centers", "broadcast", "--center", "4803",
                                 "--text", "th=ประชุมอาสาวันศุกร์", "--audience", "members"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "queued" in second.stdout, second.stderr[-2000:]
        started_all = descendants(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
        try:
            out, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            for pid in descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    text = out.decode(errors="replace")
    assert "Ctrl-C stops everything" in text and "stopped" in text
    stopping = text[text.index("stopping:"):]  # (the kill -9 above makes the worker complain; the stop must not)
    assert "Traceback" not in stopping, stopping[-3000:]
    # Everything it started is gone: nothing answers on the port and no process it started is left.
    with pytest.raises(OSError):
        _get(base + "/healthz")
    assert started_all and [pid for pid in started_all if alive(pid)] == []
    assert not (tmp_path / "var/stack.env").exists()


def test_audit_verify_passes_then_fails_on_a_tampered_row(ctx: object, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    from reports import store
    from reports.context import Context
    from tests.test_storage import PLACE, payload

    assert isinstance(ctx, Context)
    with ctx.sessions.begin() as s:
        store.save_report(s, payload(), "4803", PLACE, [])
    assert main(["audit", "verify"]) == 0
    assert "audit trail ok: 3 rows" in capsys.readouterr().out
    with ctx.sessions.begin() as s:
        s.execute(text("UPDATE audit_events SET detail = '{}' WHERE id = 1"))
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at row 1" in capsys.readouterr().out


def test_a_process_started_alone_creates_its_files_private(tmp_path: Path) -> None:
    """`ntswatch web`/`worker` under a Procfile runner, with a umask of 022: the database is still private."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db/nts.sqlite3"}
    done = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); from gateway.cli import main; "
                           "sys.exit(main(['db', 'upgrade']))"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    created = [tmp_path / "db", *(tmp_path / "db").iterdir()]
    assert created[1:] and all(p.stat().st_mode & 0o077 == 0 for p in created), \
        [(str(p), oct(p.stat().st_mode)) for p in created]


@pytest.mark.system
def test_ctrl_c_twice_kills_everything_at_once_and_leaves_the_port_free(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run"], env=_env_for_stack(tmp_path, port),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    started_all: list[int] = []
    try:
        for _ in range(200):
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("no /healthz within 60 s")
        started_all = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # an impatient operator: Ctrl-C, and Ctrl-C again
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in started_all:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    text = out.decode(errors="replace")
    assert "stopped" in text and "Traceback" not in text, text[-3000:]
    assert started_all and [pid for pid in started_all if alive(pid)] == []
    with pytest.raises(OSError):
        _get(base + "/healthz")
    again = socket.socket()
    # As gunicorn binds (SO_REUSEADDR): connections in TIME_WAIT do not matter, a process still listening does.
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    again.bind(("127.0.0.1", port))  # the next `make run` can take the port
    again.close()


def test_reports_export_and_listing(ctx: Context, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.helpers import stored_report

    stored_report(ctx, "แจ้ง ยาเสพติด ท่าอุเทน =cmd|' /C calc'!A0 เรือขนกล่อง")
    assert main(["reports", "--limit", "5"]) == 0  # the listing still answers as before
    assert "4803" in capsys.readouterr().out
    assert main(["reports", "export", "--format", "csv", "--center", "4803"]) == 0
    out = capsys.readouterr().out
    assert out.lstrip("\ufeff").startswith("ticket,") and "'=cmd" not in out.split("details", 1)[0]
    assert ",=cmd" not in out  # the formula is quoted, never a live cell
    target = tmp_path / "reports.geojson"
    assert main(["reports", "export", "--format", "geojson", "--output", str(target)]) == 0
    assert json.loads(target.read_text())["type"] == "FeatureCollection" and target.stat().st_mode & 0o077 == 0
    assert main(["reports", "export", "--since", "yesterday"]) == 2
    assert "since:" in capsys.readouterr().err  # the bad filter is named
