"""Zoho's Bulk Read API in the emulator: jobs, criteria, custom views, paging, CSV/ICS downloads.

Modules: ``query`` (the create request), ``columns`` (field paths), ``criteria`` (filter trees),
``views`` (built-in custom views), ``tokens`` (page tokens), ``job`` (the job and its snapshot),
``export`` (the zip files), ``registry`` (per-emulator bookkeeping), ``endpoints`` (HTTP).
"""

from syncd.emulator.bulk_read.endpoints import routes
from syncd.emulator.bulk_read.registry import BulkReads, bulk_reads

__all__ = ["BulkReads", "bulk_reads", "routes"]
