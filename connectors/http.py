"""Shared HTTP machinery for the SIMPEG and SIASN connectors.

One :class:`HttpClient` per remote system wraps a pooled ``requests.Session`` and gives every
call a (connect, read) timeout, retries with exponential backoff and full jitter on transient
failures (connection errors, read timeouts, 429 honouring ``Retry-After``, 5xx, a 200 whose
JSON does not parse), a per-call retry budget (attempts and seconds), and a typed error
hierarchy carrying the HTTP status and a truncated, scrubbed body.

Personal data never reaches a log: the logger writes method, path, status and timings only,
and bodies kept on errors have NIK / phone / e-mail values blanked out.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger("diklat.connectors")

#: Longest body kept on an error (characters).
BODY_LIMIT = 500

_SENSITIVE = re.compile(
    r'("?(?:nik|noHp|no_hp|nomor_hp|nomorHp|email|password|access_token|token)"?\s*[:=]\s*)'
    r'("[^"]*"|[^,}&\s]+)',
    re.IGNORECASE,
)


def scrub(text: str | None, limit: int = BODY_LIMIT) -> str | None:
    """Truncate ``text`` and blank out the values of personal or secret fields."""
    if text is None:
        return None
    cut = text[: limit * 4]
    cut = _SENSITIVE.sub(lambda m: m.group(1) + '"***"', cut)
    return cut[:limit] + ("…" if len(text) > limit else "")


# --------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Any failure talking to a remote system. ``status`` is the HTTP status when there was
    an answer; ``body`` is the (truncated, scrubbed) answer body."""

    retriable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = scrub(body)
        self.url = url

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        status = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{status}{self.message}{where}"


class AuthError(ConnectorError):
    """401/403, or a token could not be obtained."""


class NotFound(ConnectorError):
    """404 (for SIASN: ``{"code": 0, "data": "Data tidak ditemukan"}``)."""


class RateLimited(ConnectorError):
    """429 that outlived the retry budget. ``retry_after`` in seconds when the server said."""

    retriable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ConnectorError):
    """5xx."""

    retriable = True


class TransportError(ConnectorError):
    """No (complete) answer: refused or dropped connection, timeout."""

    retriable = True


class Unreachable(TransportError):
    """The connection was refused or the host could not be reached: the request never
    arrived, so even a POST may be sent again. Retried within
    :attr:`RetryPolicy.unreachable_budget_seconds` only (a server that is down stays down
    for a while; the next run continues from its checkpoint)."""


class BadPayload(ConnectorError):
    """An answer that is not what the API promises (JSON that does not parse, wrong shape)."""

    retriable = True


class ClientError(ConnectorError):
    """Another 4xx: the request itself is wrong; retrying does not help."""


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``budget_seconds`` bounds the total time one call may spend,
    sleeps included; ``max_retries`` bounds the number of extra attempts."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    budget_seconds: float = 120.0
    unreachable_budget_seconds: float = 8.0

    def budget_for(self, e: ConnectorError) -> float:
        """Seconds one call may spend retrying after ``e``."""
        if isinstance(e, Unreachable):
            return min(self.budget_seconds, self.unreachable_budget_seconds)
        return self.budget_seconds

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)] (attempt counts from 0)."""
        cap = min(self.backoff_max, self.backoff_base * (2 ** min(attempt, 30)))
        return (rng or random).uniform(0.0, cap)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date. None if absent or
    unreadable; never negative."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 7231 dates are GMT
        import datetime as dt

        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


# --------------------------------------------------------------------------- client


@dataclass
class CallStats:
    """Counters of one client, for logs and tests (thread-safe increments)."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retry(self, reason: str) -> None:
        with self._lock:
            self.retries += 1
            self.by_reason[reason] = self.by_reason.get(reason, 0) + 1

    def request(self) -> None:
        with self._lock:
            self.requests += 1

    def failure(self) -> None:
        with self._lock:
            self.failures += 1


class HttpClient:
    """A pooled session against one base URL with timeouts, retries and typed errors."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        pool_size: int = 16,
        headers: Mapping[str, str] | None = None,
        name: str = "http",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self.name = name
        self.stats = CallStats()
        self._sleep = sleep
        self._rng = random.Random()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "diklat-flows/1"})
        if headers:
            self.session.headers.update(headers)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- one attempt ------------------------------------------------------------------

    def _attempt(
        self, method: str, url: str, *, expect_json: bool, **kw: Any
    ) -> tuple[requests.Response, Any]:
        """One request; raises a typed error or returns (response, parsed JSON | None)."""
        self.stats.request()
        try:
            resp = self.session.request(method, url, timeout=self.timeout, **kw)
        except requests.ConnectTimeout as e:  # never connected: the request did not arrive
            raise Unreachable(f"connect timeout: {e.__class__.__name__}", url=_path(url)) from e
        except requests.Timeout as e:
            raise TransportError(f"timeout: {e.__class__.__name__}", url=_path(url)) from e
        except requests.ConnectionError as e:
            if _refused(e):
                raise Unreachable(
                    f"connection refused: {e.__class__.__name__}", url=_path(url)
                ) from e
            raise TransportError(
                f"connection failed: {e.__class__.__name__}", url=_path(url)
            ) from e
        except requests.exceptions.ChunkedEncodingError as e:
            raise TransportError(
                f"connection failed: {e.__class__.__name__}", url=_path(url)
            ) from e
        except requests.RequestException as e:
            raise TransportError(f"request failed: {e.__class__.__name__}", url=_path(url)) from e
        status = resp.status_code
        if status >= 400:
            body = _safe_text(resp)
            kind = _error_for_status(status)
            if kind is RateLimited:
                raise RateLimited(
                    "rate limited",
                    status=status,
                    body=body,
                    url=_path(url),
                    retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                )
            raise kind(_reason(status, body), status=status, body=body, url=_path(url))
        if not expect_json:
            return resp, None
        try:
            data = _loads(resp.content)
        except (ValueError, requests.exceptions.ChunkedEncodingError) as e:
            raise BadPayload(
                f"invalid JSON ({len(resp.content)} bytes)",
                status=status,
                body=_safe_text(resp),
                url=_path(url),
            ) from e
        return resp, data

    # -- with retries -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        expect_json: bool = True,
        idempotent: bool | None = None,
        **kw: Any,
    ) -> tuple[requests.Response, Any]:
        """Send with retries. Non-idempotent calls (POST by default) are retried only when
        the request surely did not reach the application: refused connections and 429."""
        url = self.url(path)
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        policy = self.retry
        start = time.monotonic()
        attempt = 0
        while True:
            t0 = time.monotonic()
            try:
                resp, data = self._attempt(method, url, expect_json=expect_json, **kw)
            except ConnectorError as e:
                if not self._should_retry(e, idempotent) or attempt >= policy.max_retries:
                    self.stats.failure()
                    log.log(
                        logging.WARNING if e.retriable else logging.DEBUG,
                        "%s %s %s failed after %d attempt(s): %s",
                        self.name,
                        method,
                        _path(url),
                        attempt + 1,
                        e.__class__.__name__,
                    )
                    raise
                wait = policy.backoff(attempt, self._rng)
                if isinstance(e, RateLimited) and e.retry_after is not None:
                    wait = e.retry_after + self._rng.uniform(0.0, policy.backoff_base)
                elapsed = time.monotonic() - start
                budget = policy.budget_for(e)
                if elapsed + wait > budget:
                    self.stats.failure()
                    log.warning(
                        "%s %s %s: retry budget of %.1fs exhausted (%s)",
                        self.name,
                        method,
                        _path(url),
                        budget,
                        e.__class__.__name__,
                    )
                    raise
                self.stats.retry(e.__class__.__name__)
                log.info(
                    "%s %s %s: %s (status %s), retry %d in %.2fs",
                    self.name,
                    method,
                    _path(url),
                    e.__class__.__name__,
                    e.status,
                    attempt + 1,
                    wait,
                )
                self._sleep(wait)
                attempt += 1
                continue
            log.debug(
                "%s %s %s -> %s in %.3fs",
                self.name,
                method,
                _path(url),
                resp.status_code,
                time.monotonic() - t0,
            )
            return resp, data

    @staticmethod
    def _should_retry(e: ConnectorError, idempotent: bool) -> bool:
        if not e.retriable:
            return False
        if idempotent:
            return True
        # A refused connection never reached the server; a dropped one might have.
        return isinstance(e, (RateLimited, Unreachable))

    def get_json(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)[1]

    def post_json(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)[1]


try:  # orjson parses a 1,000-employee page about three times faster than json
    import orjson

    def _loads(body: bytes) -> Any:
        return orjson.loads(body)
except ImportError:  # pragma: no cover - orjson comes with the simulator's dependencies

    def _loads(body: bytes) -> Any:
        return json.loads(body)


def _refused(e: requests.ConnectionError) -> bool:
    """True when the connection was never made (refused, no route, unknown host), as
    opposed to one dropped after the request may have arrived. urllib3 reports these as a
    ``NewConnectionError`` (or a name-resolution failure) somewhere in the cause chain."""
    import urllib3.exceptions as u3

    seen: set[int] = set()
    stack: list[BaseException | None] = [e]
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, (u3.NewConnectionError, ConnectionRefusedError)):
            return True
        if isinstance(x, u3.MaxRetryError):
            stack.append(x.reason)
        stack.extend(
            [
                x.__cause__,
                x.__context__,
                *[a for a in getattr(x, "args", ()) if isinstance(a, BaseException)],
            ]
        )
    return False


def _path(url: str) -> str:
    """URL for logs: no query string (it may carry identifiers), no credentials."""
    u = url.split("?", 1)[0]
    return re.sub(r"//[^/@]*@", "//", u)


def _safe_text(resp: requests.Response) -> str | None:
    try:
        return resp.text[: BODY_LIMIT * 4]
    except Exception:  # pragma: no cover - undecodable body
        return None


def _error_for_status(status: int) -> type[ConnectorError]:
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return ClientError


def _reason(status: int, body: str | None) -> str:
    """A short human reason from a JSON error body (``message``/``detail``/``data``)."""
    if body:
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ("message", "detail", "error_description", "error", "data"):
                val = doc.get(key)
                if isinstance(val, str) and val:
                    return scrub(val, 200) or val
    return {401: "unauthorized", 403: "forbidden", 404: "not found", 429: "rate limited"}.get(
        status, "server error" if status >= 500 else "request refused"
    )
