"""The endpoint step 8 is judged against: on sockets of its own for one block (the learner's
kernel), or on sockets reserved once for the whole process (a grading worker, before its walls
forbid binding), and always to the very connection the learner's client opened."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from grader.part2 import scenario_endpoint
from grader.part2.scenario_endpoint import Sockets

LIVE = {105: True}


def _ask(url: str) -> object:
    try:
        return httpx.get(f"{url}/predict", params={"customer_id": 105}, timeout=0.3).status_code
    except httpx.ConnectError:
        return "refused"
    except httpx.ReadTimeout:
        return "no answer"


def test_a_connection_left_waiting_is_never_served_in_the_clients_place():
    stray: list[socket.socket] = []
    with scenario_endpoint.scenario_endpoint("up", LIVE) as (url, heard):
        port = int(url.rsplit(":", 1)[1])

        def connect_directly() -> None:  # another thread's: not redirected, it waits
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /predict?customer_id=999 HTTP/1.1\r\n\r\n")
            stray.append(sock)

        thread = threading.Thread(target=connect_directly)
        thread.start()
        thread.join()
        reply = httpx.get(f"{url}/predict", params={"customer_id": 105}, timeout=2)
    stray[0].close()
    assert reply.json() == {"customer_id": 105, "churn": True, "model_version": "v1"}
    assert heard.requests == ["GET /predict?customer_id=105"]


@pytest.fixture
def reserved(monkeypatch):
    """This process's endpoint sockets made once, as a grading worker makes them."""
    monkeypatch.setattr(scenario_endpoint, "_reserved", [])
    ports = scenario_endpoint.reserve()
    assert scenario_endpoint.reserve() == ports  # once only
    sockets = scenario_endpoint._reserved[0]
    yield sockets
    sockets.close()


def test_reserved_sockets_serve_every_scenario_on_one_port(reserved: Sockets):
    urls, outcomes = [], []
    for scenario in ("up", "down", "slow", "error", "up"):
        with scenario_endpoint.scenario_endpoint(scenario, LIVE) as (url, _):
            urls.append(url)
            outcomes.append(_ask(url))
    assert outcomes == [200, "refused", "no answer", 500, 200]
    port = reserved.listener.getsockname()[1]
    assert set(urls) == {f"http://127.0.0.1:{port}"}
    assert reserved.ports == {port}  # down is the same port on 127.0.0.2: one port to allow
    assert reserved.listener.fileno() != -1  # kept for the next block


def test_connections_left_waiting_are_closed_when_a_block_ends(reserved: Sockets):
    port = reserved.listener.getsockname()[1]
    early = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]  # before it
    late: list[socket.socket] = []
    with scenario_endpoint.scenario_endpoint("up", LIVE) as (url, heard):
        assert _ask(url) == 200
        thread = threading.Thread(  # another thread's: not redirected
            target=lambda: late.append(socket.create_connection(("127.0.0.1", port))))
        thread.start()
        thread.join()
    assert heard.requests == ["GET /predict?customer_id=105"]
    for sock in early + late:  # closed by the endpoint, never answered
        sock.settimeout(2)
        assert sock.recv(16) == b""
        sock.close()


def test_without_127_0_0_2_down_is_a_second_port(monkeypatch):
    """A loopback with 127.0.0.1 alone (some systems'): "down" is then a port of its own."""
    bind = socket.socket.bind

    def only_127_0_0_1(sock: socket.socket, address: tuple) -> None:
        if address[0] == "127.0.0.2":
            raise OSError(99, "Cannot assign requested address")
        bind(sock, address)

    monkeypatch.setattr(socket.socket, "bind", only_127_0_0_1)
    sockets = Sockets()
    monkeypatch.setattr(scenario_endpoint, "_reserved", [sockets])
    try:
        assert len(sockets.ports) == 2
        outcomes = []
        for scenario in ("up", "down"):
            with scenario_endpoint.scenario_endpoint(scenario, LIVE) as (url, _):
                outcomes.append(_ask(url))
        assert outcomes == [200, "refused"]
    finally:
        sockets.close()
