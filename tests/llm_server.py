"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It answers ``POST /v1/chat/completions`` and ``GET /v1/models`` from a queue of
replies (or a handler function) set by each test, records every request body,
and can add latency. The real ``openai`` client talks to it over HTTP: retries,
timeouts and status codes are exercised for real, nothing is monkeypatched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str -> sent as is (for malformed bodies)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(
    content: str | None,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 120,
    completion_tokens: int = 80,
    model: str = "modelo-teste",
) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return Reply(
        body={
            "id": "chatcmpl-teste",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def draft_reply(script: dict[str, Any], **kwargs: Any) -> Reply:
    return completion(json.dumps(script, ensure_ascii=False), **kwargs)


def error_reply(status: int, message: str = "erro simulado", headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status=status, body={"error": {"message": message, "type": "server_error"}}, headers=headers or {}
    )


class ScriptedLLMServer:
    """Replies come from ``handler(body)`` when set, else from the queue, else ``default``."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.queue: list[Reply] = []
        self.default: Reply | None = None
        self.handler: Callable[[dict[str, Any]], Reply] | None = None
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.queue.extend(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        if self.handler is not None:
            return self.handler(body)
        with self._lock:
            if self.queue:
                return self.queue.pop(0)
        if self.default is not None:
            return self.default
        return error_reply(500, "nenhuma resposta programada para este teste")

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("_path", "").endswith("/chat/completions")]

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> ScriptedLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, reply: Reply) -> None:
                if server.latency or reply.delay:
                    time.sleep(server.latency + reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    body = {
                        "object": "list",
                        "data": [{"id": "modelo-teste", "object": "model", "owned_by": "teste"}],
                    }
                    self._send(Reply(body=body))
                else:
                    self._send(error_reply(404, "rota desconhecida"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                body["_path"] = self.path
                with server._lock:
                    server.requests.append(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(error_reply(404, "rota desconhecida"))
                    return
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._send(server._next(body))
                finally:
                    with server._lock:
                        server.in_flight -= 1

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


@pytest.fixture(name="llm_server")
def llm_server_fixture() -> Iterator[ScriptedLLMServer]:
    """Import this name in a test module and ask for ``llm_server``."""
    server = ScriptedLLMServer().start()
    try:
        yield server
    finally:
        server.stop()
