"""Fault injection for the simulator: an ASGI middleware that, for a seeded share of requests to
the data endpoints, answers 500/502/503, 429 with ``Retry-After``, answers too slowly, drops the
connection without an answer, cuts the JSON body in half, expires every token and answers 401,
or refuses a SIASN write at HTTP 200. ``paths`` narrows the faults to some endpoints and
``max_faults`` bounds how many are injected (one lost answer of ``kursus/save``: ``cut`` on
that path, once; the request itself was processed).

The draw is one ``random()`` per faultable request from an RNG seeded with ``FaultConfig.seed``,
so a given sequence of requests meets the same faults every run. Control endpoints
(``/_control/...``) are never faulted; token endpoints only when ``targets`` includes ``"auth"``.
Every answer is counted per area and status (``GET /_control/stats``).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAULT_KINDS = ("fail", "rate_limit", "slow", "drop", "cut", "truncate", "expire", "refuse", "down")


@dataclass
class FaultConfig:
    """Shares are probabilities per faultable request; they are tried in this order and should
    add up to at most 1."""

    fail_share: float = 0.0  # 500/502/503
    fail_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    rate_limit_share: float = 0.0  # 429 + Retry-After
    retry_after: float = 1  # seconds, sent as an integer when whole
    slow_share: float = 0.0  # sleep ``slow_seconds`` before answering (past the read timeout)
    slow_seconds: float = 5.0
    drop_share: float = 0.0  # close the connection without an answer
    cut_share: float = 0.0  # send the headers and half the body, then close the connection
    truncate_share: float = 0.0  # 200 with the JSON body cut in half
    expire_share: float = 0.0  # SIASN only: expire all tokens now and answer 401
    #: SIASN writes only: HTTP 200 with a refusal in the endpoint's envelope (``code`` 0 for
    #: ``upload-dok-rw``, ``success: false`` for ``kursus/save``), as the real service does
    refuse_share: float = 0.0
    #: Only requests whose path contains one of these are faulted (empty: every path)
    paths: list[str] = field(default_factory=list)
    #: Stop injecting after this many faults (None: no limit), e.g. one lost answer
    max_faults: int | None = None
    #: after this many further faultable requests pass, every one answers 503 ("server down")
    fail_after: int | None = None
    seed: int = 0
    targets: list[str] = field(default_factory=lambda: ["simpeg", "siasn"])  # + "auth"

    def update(self, changes: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for k, v in changes.items():
            setattr(self, k, v)
        shares = (
            self.fail_share,
            self.rate_limit_share,
            self.slow_share,
            self.drop_share,
            self.cut_share,
            self.truncate_share,
            self.expire_share,
            self.refuse_share,
        )
        if sum(shares) > 1.0 + 1e-9 or min(shares) < 0:
            raise ValueError("fault shares must be >= 0 and add up to at most 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def area_of(path: str) -> str:
    if path.startswith("/simpeg/"):
        return "simpeg"
    if path.startswith("/apisiasn/"):
        return "siasn"
    if path.startswith(("/oauth2/", "/auth/")):
        return "auth"
    if path.startswith("/_control"):
        return "control"
    return "other"


class FaultInjector:
    """Holds the settings, the seeded RNG and the counters; thread-safe."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._passed = 0
        self._injected = 0
        self.by_area: dict[str, Counter[str]] = {}
        self.faults: Counter[str] = Counter()

    def configure(self, changes: dict[str, Any] | None = None, reset: bool = False) -> FaultConfig:
        with self._lock:
            new = FaultConfig() if reset else FaultConfig(**self.config.as_dict())
            new.update(changes or {})
            self.config = new
            self._rng = random.Random(new.seed)
            self._passed = 0
            self._injected = 0
            return new

    def decide(self, area: str, path: str = "") -> str | None:
        """The fault for one request in ``area`` to ``path``, or None."""
        with self._lock:
            c = self.config
            if area not in c.targets:
                return None
            if c.paths and not any(p in path for p in c.paths):
                return None
            if c.max_faults is not None and self._injected >= c.max_faults:
                return None
            if c.fail_after is not None and self._passed >= c.fail_after:
                return "down"
            u = self._rng.random()
            kind: str | None = None
            for name, share in (
                ("fail", c.fail_share),
                ("rate_limit", c.rate_limit_share),
                ("slow", c.slow_share),
                ("drop", c.drop_share),
                ("cut", c.cut_share),
                ("truncate", c.truncate_share),
                ("expire", c.expire_share),
                ("refuse", c.refuse_share),
            ):
                if u < share:
                    kind = name
                    break
                u -= share
            if kind in ("expire", "refuse") and area != "siasn":
                kind = None
            if kind is None:
                self._passed += 1
            else:
                self._injected += 1
            return kind

    def pick_status(self) -> int:
        with self._lock:
            return self._rng.choice(self.config.fail_statuses or [500])

    def count(self, area: str, status: int | str, fault: str | None = None) -> None:
        with self._lock:
            self.by_area.setdefault(area, Counter())[str(status)] += 1
            if fault:
                self.faults[fault] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_status: Counter[str] = Counter()
            for area, counter in self.by_area.items():
                if area != "control":
                    by_status.update(counter)
            return {
                "by_status": dict(sorted(by_status.items())),
                "by_area": {a: dict(sorted(c.items())) for a, c in sorted(self.by_area.items())},
                "faults": {k: self.faults.get(k, 0) for k in FAULT_KINDS},
                "total": sum(by_status.values()),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.by_area.clear()
            self.faults.clear()


_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_UNAVAILABLE = (
    b"<html><body><h1>503 Service Unavailable</h1>\r\nNo server is available to "
    b"handle this request.\r\n</body></html>\r\n"
)


async def _reply(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _json(data: Any) -> bytes:
    return orjson.dumps(data)


class FaultMiddleware:
    """Wraps the simulator's ASGI app; see the module docstring."""

    def __init__(
        self, app: ASGIApp, injector: FaultInjector, on_expire: Callable[[], Any] | None = None
    ) -> None:
        self.app = app
        self.injector = injector
        self.on_expire = on_expire

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        area = area_of(scope["path"])
        inj = self.injector
        fault = None if area == "control" else inj.decide(area, scope["path"])
        siasn = area == "siasn"

        if fault in ("fail", "down"):
            status = 503 if fault == "down" else inj.pick_status()
            inj.count(area, status, fault)
            if status == 502:
                await _reply(send, 502, _BAD_GATEWAY, b"text/html")
            elif status == 503:
                await _reply(send, 503, _UNAVAILABLE, b"text/html")
            else:
                body = (
                    _json({"code": 0, "message": "Internal Server Error"})
                    if siasn
                    else _json({"error": "Internal Server Error"})
                )
                await _reply(send, status, body, b"application/json")
            return
        if fault == "rate_limit":
            inj.count(area, 429, fault)
            ra = inj.config.retry_after
            ra_text = str(int(ra)) if float(ra).is_integer() else str(ra)
            body = (
                _json({"code": 0, "message": "API rate limit exceeded"})
                if siasn
                else _json({"error": "Terlalu banyak permintaan, coba lagi nanti"})
            )
            await _reply(send, 429, body, b"application/json", [(b"retry-after", ra_text.encode())])
            return
        if fault == "expire":
            if self.on_expire is not None:
                self.on_expire()
            inj.count(area, 401, fault)
            await _reply(
                send,
                401,
                _json({"code": 0, "message": "invalid or expired jwt"}),
                b"application/json",
            )
            return
        if fault == "refuse":
            inj.count(area, 200, fault)
            body = (
                _json({"success": False, "message": "Gagal menyimpan data, silakan coba lagi"})
                if scope["path"].endswith("/kursus/save")
                else _json(
                    {"code": 0, "message": "Gagal mengunggah dokumen ke penyimpanan", "data": None}
                )
            )
            await _reply(send, 200, body, b"application/json")
            return
        if fault == "drop":
            inj.count(area, "dropped", fault)
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is not None:
                transport.close()  # no status line at all: the client sees a connection error
                cycle.disconnected = True  # type: ignore[union-attr]
                return
            # Not uvicorn's h11 cycle: promise a body and end the stream early instead.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"100000"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"data": [', "more_body": False})
            return
        if fault == "slow":
            with inj._lock:
                inj.faults["slow"] += 1  # the late answer itself is counted by its status
            await asyncio.sleep(inj.config.slow_seconds)

        if fault in ("truncate", "cut"):
            await self._truncated(scope, receive, send, area, cut=fault == "cut")
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                inj.count(area, message["status"])
            await send(message)

        await self.app(scope, receive, counting_send)

    async def _truncated(
        self, scope: Scope, receive: Receive, send: Send, area: str, cut: bool = False
    ) -> None:
        """Half the body: as a complete short answer (``truncate``: bad JSON), or under the
        full Content-Length followed by a closed connection (``cut``: the client's read of the
        body fails, ``ChunkedEncodingError`` in ``requests``)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        assert start is not None
        body = b"".join(chunks)
        status = start["status"]
        half = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if cut and len(body) > 1 and transport is not None:
            self.injector.count(area, "cut", "cut")
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": half, "more_body": True})
            transport.close()
            cycle.disconnected = True  # type: ignore[union-attr]
            return
        if status == 200 and len(body) > 1:
            body = half
            self.injector.count(area, 200, "truncate")
        else:
            self.injector.count(area, status)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
