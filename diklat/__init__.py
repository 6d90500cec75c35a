"""diklat: the domain of the training SOPs (settings, data model, SOP catalogue, register,
rules). No Prefect and no HTTP in here: flows and connectors call into this package."""

__version__ = "0.1.0"
