"""A loopback stand-in for an OpenAI-compatible chat endpoint that records every request.

It answers ``POST /v1/chat/completions`` (OpenAI, Ollama, vLLM, llama.cpp) and Azure OpenAI's
``POST /openai/deployments/{deployment}/chat/completions?api-version=...`` (key in the ``api-key`` header) with
the replies a test scripts in ``replies`` (one per request, in order; the last one repeats). ``refuses`` names a
request parameter the server rejects with a 400 as OpenAI does (``max_tokens`` on newer models). Tests script
faults (``Fault``), hold every answer (``gate``) or slow them down (``delay``).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.loopback import Answer, Fault, Incoming, StandIn, scripted  # noqa: F401 - Fault for the tests

KEY = "sk-fake-llm-7f3a9c"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict
    authorization: str | None
    api_key: str | None  # Azure's api-key header
    at: float
    status: int = 0

    @property
    def prompt(self) -> str:
        return "\n".join(message["content"] for message in self.body.get("messages", []))


class FakeLlm(StandIn):
    def __init__(self) -> None:
        self.replies: list[str | None] = ["NOT_FOUND"]
        self.refuses: str | None = None
        self.usage = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
        self._served = 0
        super().__init__()

    @property
    def url(self) -> str:
        return self.server.url

    def _answer(self, incoming: Incoming) -> Answer:
        self._held()
        parts = urlsplit(incoming.target)
        try:
            body = json.loads(incoming.body) if incoming.body else {}
        except ValueError:
            body = {}
        request = Request(incoming.method, parts.path, dict(parse_qsl(parts.query)), body,
                          incoming.headers.get("Authorization"), incoming.headers.get("api-key"), time.monotonic())
        return self._recorded(request, self._respond)

    def _respond(self, request: Request) -> Answer:
        fault = scripted(self.hooks, self.faults, request)
        if fault is not None:
            body = fault.body if fault.body is not None else json.dumps(
                {"error": {"message": "fault", "type": "server_error"}}).encode()
            return fault.status, body, {"Content-Type": "application/json", **fault.headers}
        azure = request.path.startswith("/openai/deployments/") and request.path.endswith("/chat/completions")
        if request.method != "POST" or not (request.path == "/v1/chat/completions" or azure):
            return _error(404, "not found")
        if azure and "api-version" not in request.query:
            return _error(404, "Resource not found")
        if self.refuses and self.refuses in request.body:
            other = "max_completion_tokens" if self.refuses == "max_tokens" else "max_tokens"
            return _error(400, f"Unsupported parameter: '{self.refuses}' is not supported with this model. "
                               f"Use '{other}' instead.", param=self.refuses)
        reply = self.replies[min(self._served, len(self.replies) - 1)]
        self._served += 1
        model = request.path.split("/")[3] if azure else request.body.get("model")
        return _json(200, {"id": f"chatcmpl-{self._served}", "object": "chat.completion", "created": 0,
                           "model": model, "usage": self.usage,
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": reply}}]})


def _json(status: int, body: dict) -> Answer:
    return status, json.dumps(body).encode(), {"Content-Type": "application/json"}


def _error(status: int, message: str, param: str | None = None) -> Answer:
    return _json(status, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                    "code": "unsupported_parameter" if param else None}})


@pytest.fixture
def fake() -> FakeLlm:
    """A stand-in endpoint for the test (import it into a test module to use it); any held answer is let go."""
    server = FakeLlm()
    yield server
    server.gate.set()
    server.close()
