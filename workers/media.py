"""Photos and voice notes from reporters: fetched from the provider, checked, stored under a size limit.

The content type is taken from the file's own first bytes, never from what the provider or the sender
claims; anything that is not a JPEG/PNG/WebP picture or an OGG/MP4/AMR/MP3 recording is refused.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import requests

from gateway.settings import VAR_DIR, Settings

log = logging.getLogger("ntswatch.media")
MAX_BYTES = {"photo": 5 * 1024 * 1024, "voice": 10 * 1024 * 1024}
MEDIA_DIR = VAR_DIR / "media"

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


def store(data: bytes, kind: str, directory: Path = MEDIA_DIR) -> dict[str, Any]:
    """Check and keep a file; return its record (path relative to the media directory)."""
    if len(data) > MAX_BYTES[kind]:
        raise MediaError(f"{kind} larger than {MAX_BYTES[kind]} bytes")
    content_type, ext = sniff(data, kind)
    digest = hashlib.sha256(data).hexdigest()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest}.{ext}"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return {"kind": kind, "content_type": content_type, "size": len(data), "sha256": digest, "file": path.name}


def _download(url: str, limit: int, headers: dict[str, str] | None = None) -> bytes:
    with requests.get(url, headers=headers, timeout=20, stream=True) as resp:
        if resp.status_code != 200:
            raise MediaError(f"download answered {resp.status_code}")
        data = b""
        for chunk in resp.iter_content(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise MediaError("file larger than the limit")
        return data


def fetch_telegram(settings: Settings, file_id: str, kind: str) -> bytes:
    """getFile, then the file itself (https://core.telegram.org/bots/api#getfile)."""
    base = f"{settings.telegram_api_base}/bot{settings.telegram_bot_token}"
    resp = requests.post(f"{base}/getFile", json={"file_id": file_id}, timeout=20)
    data = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    if not data.get("ok"):
        raise MediaError("getFile refused")
    size = data["result"].get("file_size") or 0
    if size > MAX_BYTES[kind]:
        raise MediaError(f"{kind} larger than {MAX_BYTES[kind]} bytes")
    path = data["result"]["file_path"]
    return _download(f"{settings.telegram_api_base}/file/bot{settings.telegram_bot_token}/{path}", MAX_BYTES[kind])


def fetch_line(settings: Settings, message_id: str, kind: str) -> bytes:
    """Message content (https://developers.line.biz/en/reference/messaging-api/#get-content)."""
    base = settings.line_api_base.replace("://api.", "://api-data.") if "api.line.me" in settings.line_api_base \
        else settings.line_api_base
    return _download(f"{base}/v2/bot/message/{message_id}/content", MAX_BYTES[kind],
                     headers={"Authorization": f"Bearer {settings.line_channel_access_token}"})


def collect(settings: Settings, refs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Fetch, check and store every media reference of a report; return (records, flags)."""
    records, flags = [], []
    for ref in refs[:5]:
        kind = "photo" if ref.get("kind") == "photo" else "voice"
        try:
            if ref.get("provider") == "telegram":
                data = fetch_telegram(settings, ref["file_id"], kind)
            elif ref.get("provider") == "line":
                data = fetch_line(settings, ref["message_id"], kind)
            else:
                raise MediaError(f"unknown provider {ref.get('provider')!r}")
            records.append(store(data, kind, settings.media_path()))
        except (MediaError, requests.RequestException, KeyError, ValueError) as exc:
            log.warning("media of kind %s not kept: %s", kind, exc)
            flags.append("media_refused" if isinstance(exc, MediaError) else "media_unavailable")
    return records, sorted(set(flags))
