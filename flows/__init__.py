"""Prefect flows, one module per flow. Flows orchestrate; the work lives in ``diklat``."""
