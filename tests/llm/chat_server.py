"""A minimal OpenAI-compatible chat-completions server for tests, on a free loopback port.

No LLM server can run in CI, so tests that exercise the ``openai`` backend talk to this one:
it answers what a test scripts (``replies``, in order) or what its ``responder`` computes
from the request, and records every request. Anything unscripted answers HTTP 500.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    usage: dict[str, int] | None = field(
        default_factory=lambda: {"prompt_tokens": 11, "completion_tokens": 7}
    )
    hold: bool = False  # wait until the test releases the server (to provoke a timeout)


@dataclass
class ChatServer:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    # Answers a request (its JSON body) when no scripted reply is left.
    responder: Callable[[dict[str, Any]], Reply] | None = None

    def script(self, *contents: str) -> None:
        self.replies.extend(Reply(content) for content in contents)

    def user_prompts(self) -> list[str]:
        return [
            next(m["content"] for m in r["body"]["messages"] if m["role"] == "user")
            for r in self.requests
        ]


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if server.replies:
                reply = server.replies.pop(0)
            elif server.responder is not None:
                reply = server.responder(body)
            else:
                reply = Reply(status=500)
            if reply.hold:
                server.release.wait(timeout=10)
            payload: dict[str, Any] = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply.content}}
                ],
            }
            if reply.usage is not None:
                payload["usage"] = reply.usage
            data = json.dumps(payload).encode() if reply.status == 200 else b'{"error":"x"}'
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout test) leaves a broken pipe behind; expected.
        return None


@contextmanager
def running_chat_server() -> Iterator[ChatServer]:
    state = ChatServer(url="")
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
