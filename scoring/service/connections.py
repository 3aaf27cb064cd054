"""Connections a slow or idle client cannot hoard: request headers must arrive within a deadline (a client that
sends one header line every few seconds is cut off), and past a cap on open connections a new one is closed at
once, so the process never runs out of descriptors and everyone else is still answered.

uvicorn has neither (its keep-alive timeout is reset by every byte, and `limit_concurrency` answers 503 only
once a request's headers are complete): both are added to its h11 protocol here. Past the cap, the connection
that has waited longest without sending a request is closed to make room, so a newcomer gets in.
"""
from __future__ import annotations

import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 500  # well under the 1,024 descriptors a systemd service gets by default


def guarded_protocol(header_timeout_s: float = HEADER_TIMEOUT_S,
                     max_connections: int = MAX_CONNECTIONS) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header deadline and the connection cap, for `uvicorn.run(http=...)`."""

    class GuardedProtocol(H11Protocol):
        _header_timer = None
        _refused = False
        _opened = 0.0

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._opened = self.loop.time()
            if len(self.connections) > max_connections and not self._evict_one():
                self._refused = True
                transport.close()
                return
            self._arm_header_timer()

        def _evict_one(self) -> bool:
            """Over the cap: the connection that has waited longest without sending a whole request (a slow
            or idle client) is closed to make room; False where every other one is busy with a request."""
            waiting = [c for c in self.connections if c is not self and isinstance(c, GuardedProtocol)
                       and not c._refused and c.conn.their_state is h11.IDLE and c.conn.our_state is h11.IDLE
                       and not c.transport.is_closing()]
            if not waiting:
                return False
            if not GuardedProtocol.warned:
                log.warning("more than %d connections open: the idlest are closed to make room", max_connections)
                GuardedProtocol.warned = True
            oldest = min(waiting, key=lambda c: c._opened)
            oldest._disarm_header_timer()
            oldest.transport.close()
            self.connections.discard(oldest)
            return True

        def connection_lost(self, exc) -> None:
            self._disarm_header_timer()
            if self._refused:
                self.connections.discard(self)
                return
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # this request's headers are complete
                self._disarm_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_header_timer()  # the next request on this connection gets its own deadline

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self.conn.our_state is h11.IDLE and self.conn.their_state is h11.IDLE:
                body = b'{"detail": "request headers not complete within %g s"}' % header_timeout_s
                self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                                     b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            self.transport.close()

    GuardedProtocol.warned = False
    return GuardedProtocol
