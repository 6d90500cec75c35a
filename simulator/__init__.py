"""The bundled SIMPEG/SIASN simulator: a real HTTP server standing in for the region's SIMPEG and
BKN's SIASN, with deterministic seeded data, injectable faults and SIASN's export file writer.

Used by the demo (``diklat simulator``), the tests (:class:`simulator.server.SimulatorServer`,
in a thread) and the benchmarks (:class:`simulator.server.SimulatorProcess`, a child process).
It never imports Prefect, and the product (``diklat/``, ``connectors/``) never imports it.

Modules: ``refdata`` (units, ranks, positions, names), ``data`` (generator and store),
``shapes`` (SIASN/export shapes of one employee), ``faults`` (fault middleware), ``app``
(the FastAPI app), ``server`` (running it), ``export_csv`` ("Export Data ASN" writer),
``bsre`` (a BSrE esign-client stand-in that signs for real: :class:`simulator.bsre.BsreServer`).

HTTP surface (all JSON):

* SIMPEG, header ``X-API-Key: simulator-key``:
  ``GET /simpeg/api/v1/pegawai?limit=1000&after=<nip>&updated_since=<ISO 8601>`` ->
  ``{"data": [...], "next": <last nip or null>, "total": n}`` (NIP order, keyset paging,
  ``updated_at > updated_since``; naive times are WITA; limit at most 5000);
  ``GET /simpeg/api/v1/pegawai/{nip}``; ``GET /simpeg/api/v1/unit``.
* SIASN: ``POST /oauth2/token`` (Basic ``simulator:simulator-secret``),
  ``POST /auth/realms/public-siasn/protocol/openid-connect/token`` (password
  ``simulator-password``, or ``refresh_token``); then with ``Authorization: Bearer <gateway>``
  and ``Auth: bearer <sso>``: ``GET /apisiasn/1.0/pns/data-utama/{nip}``,
  ``/pns/rw-kursus/{nip}``, ``/pns/rw-diklat/{nip}``, ``/referensi/ref-unor?limit&offset``,
  ``POST /apisiasn/1.0/kursus/save``, ``POST /apisiasn/1.0/upload-dok-rw`` (PDF only),
  ``GET /apisiasn/1.0/download-dok?filePath=<dok_uri>``.
* Control (never faulted): ``GET|POST /_control/faults``, ``POST /_control/mutate``,
  ``/_control/remove``, ``/_control/update``, ``/_control/expire-tokens``,
  ``GET|POST /_control/tokens``, ``GET /_control/stats``, ``POST /_control/stats/reset``,
  ``GET /_control/dataset``, ``GET /_control/kursus``, ``POST /_control/reset``.
"""

from simulator.data import Dataset, generate

__all__ = ["Dataset", "generate"]
