"""The spool replayer's idle loop, as a small process: watch the spool directory, and only when something waits
in it run one full replay pass (`ntswatch spool replay --once`) as a child that loads the conversation engine,
drains, and exits.

Spool files exist only while Redis was unreachable, so the replayer spends nearly all its life waiting; a
replayer holding the engine, the gazetteer and the database layer for that used ~130 MB of a 2 GB box.
`ntswatch spool replay` execs into this module (python -m gateway.spool_watch --interval S).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from gateway.devstack import load_dev_env
from gateway.settings import Settings, SettingsError

log = logging.getLogger("ntswatch.replayer")
SUFFIXES = (".spool", ".draining")  # gateway/spool.py: written files, and files a replayer had taken


def waiting(directory: Path) -> bool:
    """Whether any spool file waits in `directory`."""
    try:
        return any(entry.name.endswith(SUFFIXES) or ".draining" in entry.name for entry in os.scandir(directory))
    except FileNotFoundError:
        return False


def replay_once() -> int:
    """One full replay pass in a child process; its exit status."""
    return subprocess.run([sys.executable, "-m", "gateway.cli", "spool", "replay", "--once"], check=False).returncode


MAX_BACKOFF_S = 30.0


def watch(directory: Path, interval_s: float) -> None:
    """Poll `directory`; replay whenever something waits. A pass that fails (Redis still down) is tried again
    after a wait that doubles up to 30 s, so an outage does not start a full process every second."""
    pause = interval_s
    while True:
        if waiting(directory):
            status = replay_once()
            if status != 0:
                pause = min(pause * 2, MAX_BACKOFF_S)
                log.warning("spool: replay pass ended with status %d; next pass in %.1f s", status, pause)
            else:
                pause = interval_s
        time.sleep(pause)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m gateway.spool_watch [--interval S]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("NTS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for key, value in load_dev_env().items():
        os.environ.setdefault(key, value)
    try:
        settings = Settings.from_env()
        settings.check_serving()
    except SettingsError as exc:
        print(f"ntswatch: {exc}", file=sys.stderr)
        return 2
    directory = settings.spool_path()
    log.info("spool: watching %s every %.1f s", directory, args.interval)
    try:
        watch(directory, args.interval)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
