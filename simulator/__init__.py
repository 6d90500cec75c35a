"""The bundled SIMPEG/SIASN simulator: a real HTTP server standing in for the region's SIMPEG and
BKN's SIASN, with deterministic seeded data, injectable faults and SIASN's export file writer.

Used by the demo (``diklat simulator``) and by the tests (:class:`simulator.server.SimulatorServer`).
It never imports Prefect and the product never imports it.
"""

from simulator.data import Dataset, generate

__all__ = ["Dataset", "generate"]
