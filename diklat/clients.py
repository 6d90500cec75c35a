"""Where the layers meet: clients of the outside systems built from the settings.

``connectors/`` knows HTTP, tokens and payload shapes but nothing of this product's settings
(it never imports ``diklat``); the domain knows the settings. This one module turns settings
into connector objects, so a setting is read in one place and a connector stays testable
with plain arguments::

    from diklat.clients import simpeg_client
    with simpeg_client(get_settings()) as simpeg:
        ...
"""

from __future__ import annotations

from typing import Any

from connectors.http import HttpClient, RetryPolicy
from connectors.siasn import SiasnClient, TokenManager
from connectors.simpeg import SimpegClient
from diklat.settings import Settings, get_settings


def http_options(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments of :class:`connectors.http.HttpClient` from ``settings.http``:
    timeouts and the retry policy (the only layer that retries a call)."""
    h = (settings or get_settings()).http
    return {
        "connect_timeout": h.connect_timeout,
        "read_timeout": h.read_timeout,
        "retry": RetryPolicy(
            max_retries=h.max_retries,
            backoff_base=h.backoff_base,
            backoff_max=h.backoff_max,
            budget_seconds=h.retry_budget_seconds,
            unreachable_budget_seconds=h.unreachable_budget_seconds,
        ),
    }


def simpeg_client(settings: Settings | None = None) -> SimpegClient:
    """The region's SIMPEG (``settings.simpeg``)."""
    st = settings or get_settings()
    s = st.simpeg
    http = HttpClient(s.url, name="simpeg", headers={"X-API-Key": s.api_key.get_secret_value()},
                      **http_options(st))
    return SimpegClient(http, page_size=s.page_size)


def siasn_client(settings: Settings | None = None, pool_size: int | None = None) -> SiasnClient:
    """BKN's SIASN (``settings.siasn``) with both token kinds; ``pool_size`` defaults to twice
    the configured concurrency."""
    st = settings or get_settings()
    s = st.siasn
    http = HttpClient(s.url, name="siasn", pool_size=max(4, pool_size or s.concurrency * 2),
                      **http_options(st))
    sso_url = (f"{s.sso_url.rstrip('/')}/auth/realms/{s.sso_realm}"
               "/protocol/openid-connect/token")
    tokens = TokenManager(
        http,
        token_url=http.url(s.token_path),
        consumer_key=s.consumer_key.get_secret_value(),
        consumer_secret=s.consumer_secret.get_secret_value(),
        sso_token_url=sso_url,
        sso_client_id=s.sso_client_id,
        username=s.username,
        password=s.password.get_secret_value() if s.password else None,
        sso_token=s.sso_token.get_secret_value() if s.sso_token else None,
    )
    return SiasnClient(http, tokens, s.base_path, st.instansi.instansi_siasn_id)
