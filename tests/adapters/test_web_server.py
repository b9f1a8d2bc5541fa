"""The shared aiohttp server on loopback: health, the body read timeout, and the order and deadline of shutdown."""
from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from aiohttp import web

from adapters import web_server
from tests.adapters.loopback import LoopThread


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await web_server.read_body(request))


@pytest.fixture
def loop():
    running = LoopThread()
    yield running
    running.stop()


def _serve(loop: LoopThread, app: web.Application) -> web_server.Listening:
    app.router.add_post("/echo", _echo)
    return loop.run(web_server.start(app, "127.0.0.1", 0))


def test_health_and_a_prompt_body_are_answered(loop) -> None:
    listening = _serve(loop, web_server.new_application())
    try:
        assert requests.get(listening.url + "/healthz", timeout=10).json() == {"status": "ok"}
        assert requests.post(listening.url + "/echo", data=b"hello", timeout=10).content == b"hello"
    finally:
        loop.run(listening.stop())


def test_a_body_sent_too_slowly_gets_408(loop) -> None:
    listening = _serve(loop, web_server.new_application(web_server.Timeouts(read=0.5)))
    where = urlsplit(listening.url)
    try:
        with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
            connection.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little")
            status_line = connection.makefile("rb").readline().decode()
        assert status_line.split()[1] == "408"
    finally:
        loop.run(listening.stop())


def test_a_connection_that_never_finishes_its_headers_is_closed(loop) -> None:
    listening = _serve(loop, web_server.new_application(web_server.Timeouts(headers=1.0)))
    where = urlsplit(listening.url)
    try:
        with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
            connection.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            assert connection.recv(1024) == b""  # closed, long before the 75 s keep-alive timeout
            assert time.monotonic() - started < 5
    finally:
        loop.run(listening.stop())


def test_a_body_that_does_not_decode_as_its_content_encoding_says_gets_400(loop) -> None:
    listening = _serve(loop, web_server.new_application())
    try:
        for encoding in ("gzip", "deflate"):
            response = requests.post(listening.url + "/echo", data=b"not compressed at all", timeout=10,
                                     headers={"Content-Encoding": encoding})
            assert response.status_code == 400
    finally:
        loop.run(listening.stop())


def test_malformed_http_is_logged_without_the_request_bytes(loop, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    listening = _serve(loop, web_server.new_application())
    where = urlsplit(listening.url)
    try:
        with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
            connection.sendall(b"POST /echo HTTP/1.1\nHost: x\nContent-Length: 6\n\nsecret")  # bare LF: refused
            assert connection.makefile("rb").readline().split()[1] == b"400"
    finally:
        loop.run(listening.stop())
    assert "malformed HTTP request refused" in caplog.text
    assert "secret" not in caplog.text


def test_shutdown_finishes_background_work_before_the_platforms_clean_up_and_waits_no_longer_than_the_deadline(
        loop) -> None:
    app = web_server.new_application(web_server.Timeouts(shutdown=1.0))
    order: list[str] = []
    never = threading.Event()
    web_server.finish_on_shutdown(app, lambda: order.append("finished"))
    web_server.finish_on_shutdown(app, lambda: never.wait(30))  # stuck work must not hold the process

    async def platform_cleanup(_: web.Application) -> None:
        order.append("platform cleaned up")

    app.on_cleanup.append(platform_cleanup)
    listening = _serve(loop, app)
    started = time.monotonic()
    loop.run(listening.stop())
    never.set()
    assert order == ["finished", "platform cleaned up"]
    assert time.monotonic() - started < 5


def test_a_port_in_use_is_one_clear_error(loop) -> None:
    from bot.errors import LorebotError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(LorebotError, match="cannot listen on 127.0.0.1"):
            loop.run(web_server.start(web_server.new_application(), "127.0.0.1", taken.getsockname()[1]))
