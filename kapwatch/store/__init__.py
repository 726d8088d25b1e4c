"""The store: studies, who saw them, which digest sent them, and each window's fate.

One module per concept; Store gathers their operations:
    models       the tables
    database     the engine, the migrations, sessions and the one-run lock
    windows      windows and their digest's delivery on each channel
    ingest       storing what sources report: index (deduplication's lookups), merge, bulk insert
    assessments  the evidence step's reads and writes
    queries      the digest's read models
    cache        what one run keeps for the next
    verdicts     readers' verdicts, and the links as they stand once verdicts override the engine
    dedupe       what makes two records one work
"""

from __future__ import annotations

from kapwatch.store.assessments import Assessments
from kapwatch.store.cache import Caches
from kapwatch.store.database import LOCK_STALE, RunLocked, StoreError, make_engine, migrate
from kapwatch.store.ingest import BATCH, AddResult, Ingest
from kapwatch.store.models import (
    Base,
    ClaimLink,
    Delivery,
    DigestItem,
    RunLock,
    Sighting,
    SourceState,
    Study,
    StudyNews,
    Verdict,
    Window,
)
from kapwatch.store.queries import ListedLink, Listing, Queries, WindowStudies, empty_ledger
from kapwatch.store.verdicts import Link, QueueStudy, VerdictError, Verdicts
from kapwatch.store.windows import Windows


class Store(Windows, Ingest, Assessments, Queries, Verdicts, Caches):
    """The database, opened (and migrated to the newest schema unless upgrade=False), with
    every concept's operations."""


__all__ = [
    "BATCH",
    "LOCK_STALE",
    "AddResult",
    "Base",
    "ClaimLink",
    "Delivery",
    "DigestItem",
    "Link",
    "ListedLink",
    "Listing",
    "QueueStudy",
    "RunLock",
    "RunLocked",
    "Sighting",
    "SourceState",
    "Store",
    "StoreError",
    "Study",
    "StudyNews",
    "Verdict",
    "VerdictError",
    "Verdicts",
    "Window",
    "WindowStudies",
    "empty_ledger",
    "make_engine",
    "migrate",
]
