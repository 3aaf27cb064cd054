"""Connections a slow or idle client cannot hoard: request headers must arrive within a deadline (a client that
sends one header line every few seconds is cut off), and past a cap on open connections a new one is closed at
once, so the process never runs out of descriptors and everyone else is still answered.

A connection the server closes while the client may still be sending (a 408 or 413 mid-upload) closes the
way HTTP/1.1 servers do it (a "lingering close"): the reply is followed by a FIN, and what the client goes
on sending is read and dropped for up to `LINGER_S`. Closed at once with unread bytes in its buffer, the
socket sends a reset instead, and the client's kernel may drop the reply it has not yet read.

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
LINGER_S = 2.0


class LingeringTransport:
    """An asyncio transport whose `close()` half-closes (FIN after the buffered reply) and lets the client
    finish sending for `linger_s` before the socket is closed; everything else goes to the transport."""

    def __init__(self, transport, loop, linger_s: float = LINGER_S) -> None:
        self._transport = transport
        self._loop = loop
        self._linger_s = linger_s
        self._timer = None
        self.lingering = False

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def close(self) -> None:
        if self.lingering or self._transport.is_closing():
            return
        if not self._transport.can_write_eof():
            self._transport.close()
            return
        self.lingering = True
        self._transport.write_eof()
        self._transport.resume_reading()  # flow control may have paused it; the rest is read and dropped
        self._timer = self._loop.call_later(self._linger_s, self._transport.close)

    def close_now(self) -> None:
        self.cancel_linger()
        self._transport.close()

    def cancel_linger(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()


def guarded_protocol(header_timeout_s: float = HEADER_TIMEOUT_S,
                     max_connections: int = MAX_CONNECTIONS) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header deadline and the connection cap, for `uvicorn.run(http=...)`."""

    class GuardedProtocol(H11Protocol):
        transport: LingeringTransport  # uvicorn's, wrapped in connection_made
        _header_timer = None
        _refused = False
        _opened = 0.0

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self.transport = LingeringTransport(transport, self.loop)
            self._opened = self.loop.time()
            if len(self.connections) > max_connections and not self._evict_one():
                self._refused = True
                transport.close()
                return
            self._arm_header_timer()

        def _evict_one(self) -> bool:
            """Over the cap: the connection that has waited longest without sending a whole request (a slow
            or idle client) is closed to make room; False where every other one is busy with a request."""
            waiting: list[GuardedProtocol] = [
                c for c in self.connections if c is not self and isinstance(c, GuardedProtocol)
                and not c._refused and c.conn.their_state is h11.IDLE and c.conn.our_state is h11.IDLE
                and not c.transport.is_closing()]
            if not waiting:
                return False
            if not GuardedProtocol.warned:
                log.warning("more than %d connections open: the idlest are closed to make room", max_connections)
                GuardedProtocol.warned = True
            oldest = min(waiting, key=lambda c: c._opened)
            oldest._disarm_header_timer()
            oldest.transport.close_now()
            self.connections.discard(oldest)
            return True

        def connection_lost(self, exc) -> None:
            self._disarm_header_timer()
            self.transport.cancel_linger()
            if self._refused:
                self.connections.discard(self)
                return
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused or self.transport.lingering:
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
