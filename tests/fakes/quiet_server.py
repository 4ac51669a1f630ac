"""A threading HTTP server for the provider fakes that does not print a traceback when a client went away
(a test that stopped listening, a timeout on purpose): the client side reports what matters."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    """ThreadingHTTPServer without the stderr noise of clients that hung up."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a client that disconnected; anything else is printed as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
