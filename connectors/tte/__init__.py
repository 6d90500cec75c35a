"""Electronic signatures (TTE) for letters: a local CA, PAdES signing with a visible stamp and QR,
the BSrE esign-client, and verification. Connectors only: no Prefect, no database, no settings;
everything comes in as parameters (see ``docs/architecture.md``, "Tanda tangan elektronik").
"""
