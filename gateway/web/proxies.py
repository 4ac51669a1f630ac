"""Forwarded headers are believed only when the request comes from a proxy we run: `NTS_PROXY_HOPS` says how
many there are, `NTS_TRUSTED_PROXIES` which addresses they have. A client reaching the app directly keeps its
own address whatever X-Forwarded-For it sends, so it cannot rotate its apparent address past the refusal limit
(gateway/web/guard.py) or pose as a loopback scraper of /metrics.

Werkzeug's ProxyFix does the reading: https://werkzeug.palletsprojects.com/en/stable/middleware/proxy_fix/
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy; forwarded headers dropped for the rest."""

    def __init__(self, app: Any, hops: int, trusted: Iterable[str]) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops)
        self.networks = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def trusts(self, address: str) -> bool:
        """Whether `address` is one of our proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        for header in FORWARDED:
            environ.pop(header, None)
        return self.app(environ, start_response)
