"""A real HTTP endpoint on 127.0.0.1 for one call of the learner's fallback, with no thread.

The fallback is judged by what it does, whichever client it uses (`httpx.get`, an
`httpx.Client(base_url=..., timeout=...)`, `urllib.request.urlopen(url, timeout=...)`,
`requests`): all of them open a TCP socket, send a request and read a reply. While the
endpoint is active, every TCP connection the calling thread opens goes to it, whatever URL the
code asked for (it is redirected in `socket.connect`), and it behaves as its scenario says:

- ``up``: answers `GET /predict?customer_id=N` from its `live` answers (200 and JSON; 404 for
  a customer it doesn't know; 422 without a customer);
- ``down``: nothing listens: the system refuses the connection;
- ``slow``: the connection is accepted and never answered: only the client's own timeout gets
  the caller out (or the probe's time limit);
- ``error``: every request gets a 500.

There is no server thread (a grading worker may start none): the reply is written into the
connection when the client first reads, after its request has arrived. The endpoint records
each request line and each timeout the client set on its sockets (the timeout that really
applied, however the code spelled it). Everything is restored when the block ends.

It serves on two sockets: a listener on 127.0.0.1 (up, slow, error) and, on the same port of
127.0.0.2, a socket bound but never listening (down: the system refuses the connection).
Each block makes its own pair, unless `reserve` made one for the whole process first: a
grading worker does that before its walls go up, so learner code can reach that one port and
no other, and can bind none (`grader/batch/sandbox/walls.py`). Only the connection the
redirected socket itself opened is served (matched by its port): a connection another socket
left waiting is closed, never answered in its place.
"""

from __future__ import annotations

import json
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCENARIOS = ("up", "down", "slow", "error")
PATCHED = ("connect", "connect_ex", "recv", "recv_into", "settimeout")
MAX_REQUEST = 8192
MAX_RECORDED = 10
BACKLOG = 16


@dataclass
class Heard:
    """What the endpoint saw during the call."""

    requests: list[str] = field(default_factory=list)  # "GET /predict?customer_id=105"
    timeouts: list[float | None] = field(default_factory=list)  # as the client set them
    attempts: int = 0  # connections the code tried to open (refused ones too)


def _reply(status: int, body: dict) -> bytes:
    data = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 422: "Unprocessable Entity",
              500: "Internal Server Error"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\nconnection: close\r\n\r\n")
    return head.encode() + data


def answer(scenario: str, request_line: str, live: dict[int, bool], version: str) -> bytes:
    """The reply of an endpoint that is `scenario` ("up" or "error") to one request line."""
    if scenario == "error":
        return _reply(500, {"detail": "Internal Server Error"})
    parts = request_line.split(" ")
    target = urlsplit(parts[1] if len(parts) > 1 else "/")
    if target.path.rstrip("/") != "/predict" or parts[0] != "GET":
        return _reply(404, {"detail": "Not Found"})
    ids = parse_qs(target.query).get("customer_id", [])
    try:
        customer_id = int(ids[0])
    except (IndexError, ValueError):
        return _reply(422, {"detail": "customer_id: an integer is required"})
    if customer_id not in live:
        return _reply(404, {"detail": f"unknown customer {customer_id}"})
    return _reply(200, {"customer_id": customer_id, "churn": live[customer_id],
                        "model_version": version})


def _read_request(server: socket.socket) -> bytes:
    """The request the client has sent so far (it sends all of it before it reads)."""
    data = b""
    server.setblocking(False)
    try:
        while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST:
            chunk = server.recv(MAX_REQUEST)
            if not chunk:
                break
            data += chunk
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        server.setblocking(True)
    return data


class Sockets:
    """The endpoint's listener, and a socket bound beside it that never listens."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.refuser = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.listener.bind(("127.0.0.1", 0))
            self.listener.listen(BACKLOG)
            port = self.listener.getsockname()[1]
            try:  # the same port on another loopback address: one port to allow, not two
                self.refuser.bind(("127.0.0.2", port))
            except OSError:  # a loopback with 127.0.0.1 alone
                self.refuser.bind(("127.0.0.1", 0))
        except BaseException:
            self.close()
            raise

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(s.getsockname()[1] for s in (self.listener, self.refuser))

    def close(self) -> None:
        for sock in (self.listener, self.refuser):
            sock.close()


# Held in a list made at import, so the worker's guard (which puts back every name of this
# module as the fork server had it, before the probe runs) keeps what `reserve` put in it.
_reserved: list[Sockets] = []


def reserve() -> frozenset[int]:
    """Make the endpoint's sockets now, for every block to come in this process (a grading
    worker, before it may bind or listen); returns the ports a client has to reach."""
    if not _reserved:
        _reserved.append(Sockets())
    return _reserved[0].ports


def _drain(listener: socket.socket) -> None:
    """Close every connection still waiting on the listener when a block ends (learner code
    may connect to it directly, from another thread), so the next block starts with none."""
    listener.setblocking(False)
    try:
        for _ in range(BACKLOG * 4):
            server, _ = listener.accept()
            server.close()
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        listener.setblocking(True)


class _Endpoint:
    def __init__(self, scenario: str, live: dict[int, bool], version: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}")
        self.scenario, self.live, self.version = scenario, live, version
        self.heard = Heard()
        self.thread = threading.get_ident()
        self.kept = bool(_reserved)  # the worker's: closed only with the process
        self.sockets = _reserved[0] if _reserved else Sockets()
        self.listener = self.sockets.listener
        self.own: weakref.WeakSet[socket.socket] = weakref.WeakSet(
            [self.listener, self.sockets.refuser])
        self.address = self.listener.getsockname()
        # down: bound, never listening, so a connection is refused
        self.reached = self.sockets.refuser.getsockname() if scenario == "down" else self.address
        # a client socket -> the server side of its connection, until the client first reads
        self.pending: weakref.WeakKeyDictionary[socket.socket, socket.socket] = \
            weakref.WeakKeyDictionary()
        self.accepted: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.address[1]}"

    def ours(self, sock: socket.socket) -> bool:
        return threading.get_ident() == self.thread and sock not in self.own and \
            sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6)

    def target(self, sock: socket.socket) -> tuple:
        if sock.family == socket.AF_INET6:
            return (f"::ffff:{self.reached[0]}", self.reached[1], 0, 0)
        return self.reached

    def connected(self, sock: socket.socket) -> None:
        if self.scenario == "down":
            return
        port = sock.getsockname()[1]
        self.listener.settimeout(1.0)
        for _ in range(BACKLOG + 1):  # the first in the queue may be another socket's
            server, peer = self.listener.accept()
            if peer[1] == port:
                self.own.add(server)
                self.accepted.append(server)
                self.pending[sock] = server
                return
            server.close()

    def before_read(self, sock: socket.socket) -> None:
        server = self.pending.pop(sock, None)
        if server is None:
            return
        request = _read_request(server)
        line = request.split(b"\r\n", 1)[0].decode("latin-1")[:300]
        if len(self.heard.requests) < MAX_RECORDED:
            self.heard.requests.append(line.rsplit(" ", 1)[0] if " HTTP/" in line else line)
        if self.scenario in ("up", "error"):
            server.sendall(answer(self.scenario, line, self.live, self.version))

    def close(self) -> None:
        for sock in self.accepted:
            try:
                sock.close()
            except OSError:
                pass
        try:
            if self.kept:
                _drain(self.listener)
            else:
                self.sockets.close()
        except OSError:
            pass


def _patches(endpoint: _Endpoint, originals: dict[str, Any]) -> dict[str, Any]:
    def connect(sock: socket.socket, address: Any) -> None:
        if not endpoint.ours(sock):
            return originals["connect"](sock, address)
        endpoint.heard.attempts += 1
        originals["connect"](sock, endpoint.target(sock))
        endpoint.connected(sock)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if not endpoint.ours(sock):
            return originals["connect_ex"](sock, address)
        try:
            connect(sock, address)
        except OSError as err:
            return err.errno or 1
        return 0

    def recv(sock: socket.socket, *args: Any) -> bytes:
        endpoint.before_read(sock)
        return originals["recv"](sock, *args)

    def recv_into(sock: socket.socket, *args: Any) -> int:
        endpoint.before_read(sock)
        return originals["recv_into"](sock, *args)

    def settimeout(sock: socket.socket, value: Any) -> None:
        if endpoint.ours(sock) and len(endpoint.heard.timeouts) < MAX_RECORDED:
            endpoint.heard.timeouts.append(value if isinstance(value, (int, float)) else None)
        return originals["settimeout"](sock, value)

    return {"connect": connect, "connect_ex": connect_ex, "recv": recv,
            "recv_into": recv_into, "settimeout": settimeout}


@contextmanager
def scenario_endpoint(scenario: str, live: dict[int, bool], version: str = "v1"
                      ) -> Iterator[tuple[str, Heard]]:
    """(the endpoint's URL, what it heard) for a block in which this thread's TCP connections
    all reach an endpoint that is `scenario`."""
    endpoint = _Endpoint(scenario, live, version)
    cls = socket.socket
    own = {name: cls.__dict__[name] for name in PATCHED if name in cls.__dict__}
    originals = {name: getattr(cls, name) for name in PATCHED}
    try:
        for name, func in _patches(endpoint, originals).items():
            setattr(cls, name, func)
        yield endpoint.url, endpoint.heard
    finally:
        for name in PATCHED:
            if name in own:
                setattr(cls, name, own[name])
            else:
                try:
                    delattr(cls, name)
                except AttributeError:
                    pass
        endpoint.close()
