"""Benchmarks: ``python -m bench sync`` and ``python -m bench letters`` (JSON line per scenario)."""
