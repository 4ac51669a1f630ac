"""What every channel shares: webhook errors with their HTTP status, and form-body parsing."""

from __future__ import annotations

from urllib.parse import parse_qsl


class WebhookError(Exception):
    """A request the gateway refuses; `status` is the HTTP answer, nothing is stored."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(WebhookError):
    """Malformed body or missing fields."""

    status = 400


class Forbidden(WebhookError):
    """Wrong signature or secret."""

    status = 403


class NotConfigured(WebhookError):
    """The channel's credentials are not set on this gateway."""

    status = 503


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """Decode an application/x-www-form-urlencoded body strictly (bad percent-escapes or UTF-8 → 400)."""
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadRequest(f"expected a form body, got {content_type or 'no content type'!r}")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), encoding="utf-8",
                          errors="strict", max_num_fields=200)
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not valid UTF-8") from exc
    except ValueError as exc:
        raise BadRequest(f"malformed form body: {exc}") from exc
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise BadRequest(f"field {key!r} given twice")
        params[key] = value
    return params
