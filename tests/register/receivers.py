"""Real receivers for the delivery tests: a webhook receiver (stdlib HTTP server) and an SMTP server.

`WebhookReceiver` verifies every request's signature with `delivery.webhook_signature_verify`, as a
force's receiver would, and keeps each idempotency key once: it records every key it was sent
(`seen`) and the keys it processed (`processed`), so a test can tell at-least-once delivery from
exactly-once processing. It can be told to answer 500 (`fail_with`), be stopped and started again
on the same port (`stop`, `start`), and hold one response open (`hold_at`) so that a test can kill
the worker while it waits for an answer the receiver has already acted on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from forewarn.register.delivery import webhook_signature_verify


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll until `predicate()` is truthy (and return it), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class WebhookReceiver:
    def __init__(self, secret: str, *, port: int | None = None):
        self.secret = secret
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.seen: list[str] = []  # every key of a correctly signed request, in order
        self.processed: list[str] = []  # keys acted on, in order: a key here once, whatever was resent
        self.bodies: dict[str, dict] = {}
        self.headers: dict[str, dict] = {}
        self.refused = 0  # requests with a bad signature or timestamp
        self.fail_with: int | None = None  # answer this status without processing
        self.hold_at: int | None = None  # hold the response to the n-th processed key open
        self.holding = threading.Event()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/forewarn"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = webhook_signature_verify(secret=receiver.secret,
                                              timestamp=self.headers.get("X-Forewarn-Timestamp", ""),
                                              body=body, signature=self.headers.get("X-Forewarn-Signature", ""))
                if not ok:
                    with receiver.lock:
                        receiver.refused += 1
                    self._answer(401)
                    return
                if receiver.fail_with:
                    self._answer(receiver.fail_with)
                    return
                key = self.headers.get("Idempotency-Key", "")
                payload = json.loads(body)
                hold = False
                with receiver.lock:
                    receiver.seen.append(key)
                    if key not in receiver.bodies:  # an idempotent receiver acts on a key once
                        receiver.bodies[key] = payload
                        receiver.headers[key] = dict(self.headers)
                        receiver.processed.append(key)
                        hold = receiver.hold_at == len(receiver.processed)
                if hold:
                    receiver.holding.set()
                    receiver.release.wait(timeout=20)
                self._answer(200)

            def _answer(self, status: int):
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the worker was killed while waiting
                    pass

        return Handler

    def start(self) -> WebhookReceiver:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="webhook-receiver", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Take the receiver down: connections are refused until `start` again."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = None

    @property
    def duplicates(self) -> int:
        """Requests for a key already processed (at-least-once delivery showing through)."""
        return len(self.seen) - len(set(self.seen))


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free localhost port; keeps every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []  # email.message.EmailMessage
        self.envelopes: list = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy

                sink.envelopes.append(envelope)
                sink.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                        policy=policy.default))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self._make = lambda: Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller = None

    def start(self) -> SmtpSink:
        """Start (or start again, on the same port: a stopped controller's event loop is closed)."""
        self.controller = self._make()
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
