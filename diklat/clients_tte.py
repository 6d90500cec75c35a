"""Builds the electronic-signature signer from the settings (``DIKLAT_TTE__*``): where the
domain's settings meet :mod:`connectors.tte`, which knows no settings. The lead folds this into
the composition module; nothing else should read ``settings.tte`` to build a signer."""

from __future__ import annotations

from pathlib import Path

from connectors.tte.bsre import BsreSigner
from connectors.tte.local import LocalSigner
from connectors.tte.local_ca import root_cert_path
from connectors.tte.model import Signer
from diklat.settings import Settings, get_settings


def ca_dir(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    return Path(s.tte.ca_dir or s.var_dir / "tte")


def signer_from_settings(settings: Settings | None = None) -> Signer:
    """``LocalSigner`` over ``tte.ca_dir`` (mode ``local``), or a ``BsreSigner`` on
    ``tte.bsre_url`` with API ``tte.bsre_api`` and ``tte.timeout`` (mode ``bsre``)."""
    s = settings or get_settings()
    t = s.tte
    if t.mode == "bsre":
        return BsreSigner(t.bsre_url, api=t.bsre_api, username=t.bsre_username or None,
                          password=t.bsre_password.get_secret_value() or None,
                          timeout=t.timeout, connect_timeout=s.http.connect_timeout)
    return LocalSigner(ca_dir(s))


def trust_roots(settings: Settings | None = None) -> list[Path]:
    """The PEM files a verification trusts: ``tte.trust_roots``, else the local CA's root."""
    s = settings or get_settings()
    return list(s.tte.trust_roots) or [root_cert_path(ca_dir(s))]
