"""Prefect tasks: thin wrappers around plain functions in ``diklat`` and ``connectors``."""
