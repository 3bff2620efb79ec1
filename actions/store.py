"""The booking store as the action server uses it: one per process.

Opened lazily so the action server starts even while the database is down;
each use that fails raises, and the caller apologises instead of hanging.
"""
from __future__ import annotations

from typing import Optional

from actions import content
from clinic_core.booking_store import BookingStore

_store: Optional[BookingStore] = None


def store() -> BookingStore:
    global _store
    if _store is None:
        _store = BookingStore.from_env(profile=content.profile())
    return _store
