"""Clients of the remote personnel systems: the region's SIMPEG and BKN's SIASN.

No Prefect here: tasks and flows wrap these plain clients. ``connectors.http`` holds the shared
session, retry and error machinery.
"""

from connectors.http import (
    AuthError,
    BadPayload,
    ClientError,
    ConnectorError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)

__all__ = [
    "AuthError",
    "BadPayload",
    "ClientError",
    "ConnectorError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TransportError",
]
