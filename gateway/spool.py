"""The local spool: where the gateway keeps reporters' messages while Redis cannot take them.

Courier strands a message when Redis fails after the database write; Ushahidi ingests one SMS many times. We
write each message we could not hand to Redis to an append-only file on local disk, fsync'd before the
provider gets its 2xx, one file per process (no interleaving between gunicorn workers), encrypted with
NTS_SECRET_KEY (the disk never holds a reporter's number or words in clear). The replayer (`ntswatch spool
replay`) renames files under their lock, feeds every record through the normal intake path when Redis is back
(dedup on the provider id makes a second replay harmless) and quarantines records it cannot read.

Record format: one line per message, `<crc32 hex8> <fernet token>\n`. A torn last line (the process died
mid-write) or a checksum mismatch is moved to `quarantine/` with the file it came from; the rest replays.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.channels.events import Inbound
from gateway.metrics import SPOOL
from reports.identity import cipher

log = logging.getLogger("ntswatch.spool")

SUFFIX = ".spool"
DRAINING = ".draining"


def encode_inbound(msg: Inbound) -> dict[str, Any]:
    """A message as plain JSON types."""
    return {"channel": msg.channel, "provider_id": msg.provider_id, "address": msg.address, "text": msg.text,
            "received_at": msg.received_at.isoformat(), "language_hint": msg.language_hint,
            "location": list(msg.location) if msg.location else None, "media": list(msg.media)}


def decode_inbound(data: dict[str, Any]) -> Inbound:
    """The message `encode_inbound` wrote."""
    loc = data.get("location")
    return Inbound(channel=data["channel"], provider_id=data["provider_id"], address=data["address"],
                   text=data["text"], received_at=datetime.fromisoformat(data["received_at"]),
                   language_hint=data.get("language_hint"),
                   location=(float(loc[0]), float(loc[1])) if loc else None,
                   media=tuple(data.get("media") or ()))


@dataclass(frozen=True)
class Record:
    """One spooled message with when and in which order this process wrote it."""

    written_at: float
    seq: int
    msg: Inbound


class Spool:
    """The spool directory; `append` is safe from many threads and processes at once."""

    def __init__(self, directory: Path, secret_key: str) -> None:
        self.directory = directory
        self._secret_key = secret_key
        self._lock = threading.Lock()
        self._seq = 0

    def own_file(self) -> Path:
        """This process's file (the pid changes after a fork, so each gunicorn worker has its own)."""
        return self.directory / f"{socket.gethostname()}-{os.getpid()}{SUFFIX}"

    def append(self, msg: Inbound) -> None:
        """Write `msg` and fsync before returning: once this returns, a power cut cannot lose it."""
        with self._lock:
            self._seq += 1
            body = json.dumps({"at": time.time(), "seq": self._seq, "msg": encode_inbound(msg)},
                              ensure_ascii=False).encode()
            token = cipher(self._secret_key).encrypt(body)
            line = b"%08x %s\n" % (zlib.crc32(token), token)
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = self._open_locked(self.own_file())
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _open_locked(self, path: Path) -> int:
        """Open `path` for appending under an exclusive lock; reopen if the replayer renamed it meanwhile."""
        while True:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(fd).st_ino:
                if os.fstat(fd).st_size == 0:
                    _fsync_dir(self.directory)  # a new file: make its name durable too
                return fd
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextmanager
    def replayer_lock(self) -> Iterator[bool]:
        """One replayer per spool directory at a time: yields False when another holds it."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / ".replayer.lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def pending_files(self) -> list[Path]:
        """Files waiting to be replayed (written, or taken by a replayer that did not finish)."""
        if not self.directory.exists():
            return []
        return sorted(p for p in self.directory.iterdir() if p.suffix == SUFFIX or DRAINING in p.name)

    def take(self) -> list[Path]:
        """Rename every written file under its lock so writers start new ones; return all files to replay."""
        for path in self.pending_files():
            if path.suffix != SUFFIX:
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                path.rename(path.with_name(f"{path.stem}{DRAINING}-{time.time_ns()}"))
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        _fsync_dir(self.directory)
        return [p for p in self.pending_files() if DRAINING in p.name]

    def read(self, path: Path) -> list[Record]:
        """The good records of `path`; bad lines and a torn tail go to quarantine/."""
        records: list[Record] = []
        data = path.read_bytes()
        bad: list[bytes] = []
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, else a torn write
        if tail:
            bad.append(tail)
        fernet = cipher(self._secret_key)
        for line in lines:
            crc, _, token = line.partition(b" ")
            try:
                if int(crc, 16) != zlib.crc32(token):
                    raise ValueError("checksum")
                body = json.loads(fernet.decrypt(token))
                records.append(Record(float(body["at"]), int(body["seq"]), decode_inbound(body["msg"])))
            except Exception:  # any unreadable line is quarantined, never fatal
                bad.append(line)
        if bad:
            self.quarantine(path, bad)
        return records

    def quarantine(self, path: Path, lines: list[bytes]) -> Path:
        """Keep unreadable lines for a person to look at; they are counted and logged, never dropped."""
        qdir = self.directory / "quarantine"
        qdir.mkdir(exist_ok=True, mode=0o700)
        out = qdir / f"{path.name}.bad"
        with open(out, "ab") as fh:
            fh.write(b"\n".join(lines) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        SPOOL.labels("quarantined").inc(len(lines))
        log.error("spool: %d unreadable record(s) from %s quarantined in %s", len(lines), path.name, out)
        return out


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
