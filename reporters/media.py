"""Photos and voice notes from reporters: fetched from the provider, checked, stored under a size limit.

The content type is taken from the file's own first bytes, never from what the provider or the sender
claims; anything that is not a JPEG/PNG/WebP picture or an OGG/MP4/AMR/MP3 recording is refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from gateway.channels.line import client as line
from gateway.channels.sending import SendError
from gateway.channels.telegram import client as telegram
from gateway.settings import Settings

log = logging.getLogger("ntswatch.media")
MAX_BYTES = {"photo": 5 * 1024 * 1024, "voice": 10 * 1024 * 1024}

_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"OggS", 0, "audio/ogg", "ogg"),
    (b"#!AMR", 0, "audio/amr", "amr"),
    (b"ID3", 0, "audio/mpeg", "mp3"),
    (b"ftyp", 4, "audio/mp4", "m4a"),  # LINE audio messages are m4a
)


class MediaError(ValueError):
    """A file was too large, of a type we do not keep, or could not be fetched."""


def sniff(data: bytes, kind: str) -> tuple[str, str]:
    """(content type, extension) from the file's magic bytes; MediaError for anything else."""
    for magic, offset, content_type, ext in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            if kind == "photo" and not content_type.startswith("image/"):
                break
            if kind == "voice" and not content_type.startswith("audio/"):
                break
            return content_type, ext
    raise MediaError(f"not an accepted {kind} file")


def store(data: bytes, kind: str, directory: Path) -> dict[str, Any]:
    """Check and keep a file (readable by this user only); return its record (name inside the media directory)."""
    if len(data) > MAX_BYTES[kind]:
        raise MediaError(f"{kind} larger than {MAX_BYTES[kind]} bytes")
    content_type, ext = sniff(data, kind)
    digest = hashlib.sha256(data).hexdigest()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{digest}.{ext}"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        tmp.replace(path)
    return {"kind": kind, "content_type": content_type, "size": len(data), "sha256": digest, "file": path.name}


def clean_photo(data: bytes, max_side: int = 2048) -> bytes:
    """A photo from a browser, decoded and re-encoded as JPEG: no EXIF, GPS or maker notes survive, the camera's
    orientation is applied, the long side is at most `max_side` (what an officer on 2G can open). MediaError for
    anything that is not a JPEG/PNG/WebP picture, too large, or a decompression bomb."""
    import io

    from PIL import Image, ImageOps

    if len(data) > MAX_BYTES["photo"]:
        raise MediaError(f"photo larger than {MAX_BYTES['photo']} bytes")
    sniff(data, "photo")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 40_000_000:
                raise MediaError("picture too large")
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError("not a readable picture") from exc
    upright.thumbnail((max_side, max_side))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85, optimize=True)  # a fresh file: no metadata is copied
    return out.getvalue()


def collect(settings: Settings, refs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Fetch, check and store every media reference of a report; return (records, flags)."""
    records: list[dict[str, Any]] = []
    flags: list[str] = []
    for ref in refs[:5]:
        kind = "photo" if ref.get("kind") == "photo" else "voice"
        if ref.get("provider") == "stored":  # checked and kept when it arrived (the web report page)
            records.append({k: ref[k] for k in ("kind", "content_type", "size", "sha256", "file") if k in ref})
            continue
        try:
            if ref.get("provider") == "telegram":
                data = telegram.download(settings, str(ref["file_id"]), MAX_BYTES[kind])
            elif ref.get("provider") == "line":
                data = line.download(settings, str(ref["message_id"]), MAX_BYTES[kind])
            else:
                raise MediaError(f"unknown provider {ref.get('provider')!r}")
            records.append(store(data, kind, settings.media_path()))
        except (MediaError, SendError, KeyError, ValueError) as exc:
            log.warning("media of kind %s not kept: %s", kind, exc)
            refused = isinstance(exc, MediaError) or (isinstance(exc, SendError) and exc.permanent)
            flags.append("media_refused" if refused else "media_unavailable")
    return records, sorted(set(flags))
