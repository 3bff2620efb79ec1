"""One client racing for a slot (run in a thread or a spawned process)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def book_one(
    url: str, slot_data: dict[str, Any], index: int, now_iso: str, barrier: Any
) -> tuple[str, str]:
    from clinic_core.availability import Slot
    from clinic_core.booking_store import BookingStore, SlotTaken
    from clinic_core.profile import load_profile

    store = BookingStore(url, profile=load_profile(), migrate=False)
    try:
        slot = Slot.from_dict(slot_data)
        now = dt.datetime.fromisoformat(now_iso)
        # warm the connection so that the race is about the booking, not connecting
        store.busy(slot.start, slot.end)
        barrier.wait(timeout=120)
        try:
            record = store.book(
                slot,
                name=f"Client {index}",
                phone=f"07911 {100000 + index}",
                sender_id=f"race-{index}",
                now=now,
            )
            return "won", record.reference
        except SlotTaken:
            return "taken", ""
        except Exception as exc:  # reported to the test, which fails on it
            return "error", repr(exc)
    finally:
        store.close()


def move_one(
    url: str, reference: str, phone: str, slot_data: dict[str, Any], now_iso: str, barrier: Any
) -> tuple[str, str]:
    from clinic_core.availability import Slot
    from clinic_core.booking_store import BookingStore, SlotTaken
    from clinic_core.profile import load_profile

    store = BookingStore(url, profile=load_profile(), migrate=False)
    try:
        store.busy(dt.datetime.now(dt.timezone.utc), dt.datetime.now(dt.timezone.utc))
        barrier.wait(timeout=120)
        try:
            store.move(
                reference, phone, Slot.from_dict(slot_data), now=dt.datetime.fromisoformat(now_iso)
            )
            return "won", reference
        except SlotTaken:
            return "taken", ""
        except Exception as exc:
            return "error", repr(exc)
    finally:
        store.close()


def process_entry(func_name: str, args: tuple, queue: Any) -> None:
    queue.put(globals()[func_name](*args))
