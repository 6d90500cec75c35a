"""``diklat web``: the public verification page behind the QR on every signed letter, and the
signing page where an official types his BSrE passphrase (FastAPI, served by uvicorn)."""
