"""Personnel: employees and units as SIMPEG and SIASN give them (sync, the SIASN export,
the unor mapping), the officials who hold the SOPs' roles, the run history and quarantine an
operator reads. Imports the core only."""
