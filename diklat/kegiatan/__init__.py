"""A training as a record: its data (:mod:`diklat.kegiatan.data.data`), the ledger of its SOP
steps, the lock of its one live run, the agencies' proposals, SIASN's verification of its
candidates and the write-back of its results. Imports the core and personnel."""
