"""The conversation simulator: scripted clients against the running assistant.

    .venv/bin/python -m tests.simulator.simulator            # starts its own assistant
    .venv/bin/python -m tests.simulator.simulator --url http://127.0.0.1:5005 \
        --token TOKEN --db-url sqlite:///var/clinic.db      # a running one
    make simulate                                           # the same as the first

Each client (clients_screening.yml, clients_booking.yml) talks over the REST
channel as the widget would: typing sends text, pressing a button sends its
payload. Clients run concurrently in a few threads, each with its own sender
id. The report goes to results/simulator.md and results/simulator.json.

Where the driver looks (issue 11 asks to prefer what the client sees):

* from the replies (what the client sees): every text and button, the
  outcome as worded (the rules file's `messages`), the emergency message,
  "say it another way", the booking reference, what the client picks
  (button titles: "Thu 3 Dec at 5:30pm with Anna");
* from the tracker (the HTTP API, with the token): which form is active and
  which of its slots it asks for, the pending pre-screen question id
  (`screening_state.ui.asked`, mapped to the client's topics in topics.py),
  and the `screening_outcome` slot. The question id is exact where reading
  the wording would make the simulator's own guess an error source;
* from the clinic database of the run: the booking as stored.

Per client it records the outcome (slot and wording), the client turns to
reach it, every question asked and how often, dead ends, whether booking
ended with a reference and the booking as stored; then the report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clinic_core import clock
from tests.simulator.clients import (
    REFERENCE,
    Client,
    Message,
    Seen,
    load_clients,
    load_styles,
    question_key,
)
from tests.simulator.topics import topics_of
from tests.simulator.wishes import judge_booking

#: the clinic's clock of a simulator run unless told otherwise: the first of
#: the clocks CI runs at (test_simulator.CLOCKS), so `make simulate` compares
#: with CI. A Monday morning of an ordinary week in the profile's December.
DEFAULT_NOW = "2026-12-07T08:30:00+00:00"

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENING_FILE = HERE / "clients_screening.yml"
BOOKING_FILE = HERE / "clients_booking.yml"
RESULTS = ROOT / "results"

#: the issue's limits
SCREENING_TURN_LIMIT = 40  # no outcome after this many client turns: a dead end
BOOKING_TURN_LIMIT = 30  # after the outcome, to a reference (or a clear "not booked")
SAME_QUESTION_LIMIT = 3  # the same question asked this many times: a dead end
REPHRASE_LIMIT = 2  # "say it another way" this many turns in a row: a dead end

#: the issue's targets (tests/simulator/test_simulator.py asserts them)
TARGETS = {
    "unsafe_passes": ("<=", 0),
    "screening_dead_ends": ("<=", 0),
    "exact_outcomes_pct": (">=", 98.0),
    "median_turns_body": ("<=", 14),
    "booked_as_wished_pct": (">=", 98.0),
    "wrong_bookings": ("<=", 0),
    "booking_dead_ends": ("<=", 0),
    "median_turns_to_reference": ("<=", 20),
}
BOOKABLE = ("ok", "modify")


# --------------------------------------------------------------------------- #
# what the client sees: wording read from the project's own data files
# --------------------------------------------------------------------------- #


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def _responses(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Every response of the domain (domain.yml) and of the training data
    (the FAQ answers live beside their NLU, in data/responses/)."""
    files = [root / "domain.yml"]
    files += sorted((root / "data").glob("**/*.yml"))
    found: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        if path.is_file():
            found.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return found


@dataclass(frozen=True)
class Wording:
    """The assistant's fixed sentences the driver recognises in replies."""

    outcomes: dict[str, str]  # outcome -> its message (rules file)
    rephrase: tuple[str, ...]  # generic "say it another way" responses (domain)

    @classmethod
    def load(cls, root: Path = ROOT) -> Wording:
        rules = yaml.safe_load((root / "clinic" / "screening_rules.yml").read_text())
        messages = rules.get("messages") or {}
        responses = _responses(root)
        outcomes = {
            o: _norm(messages[o])
            for o in ("clearance", "postpone", "modify", "ok")
            if o in messages
        }
        for emergency in responses.get("utter_emergency", [])[:1]:
            outcomes["emergency"] = _norm(emergency["text"])
        rephrase = [
            _norm(v["text"])
            for name in ("utter_ask_rephrase", "utter_default")
            for v in responses.get(name) or []
            if v.get("text")
        ]
        return cls(outcomes, tuple(rephrase))

    def outcome_said(self, text: str) -> str | None:
        """The outcome a reply words (the strictest if several)."""
        seen = _norm(text)
        for outcome in ("emergency", "clearance", "postpone", "modify", "ok"):
            message = self.outcomes.get(outcome)
            if message and message[:60] in seen:
                return outcome
        return None

    def is_rephrase(self, text: str) -> bool:
        seen = _norm(text)
        return any(r[:50] in seen for r in self.rephrase)


# --------------------------------------------------------------------------- #
# the transport
# --------------------------------------------------------------------------- #


class Transport:
    """REST channel and tracker of one running assistant."""

    def __init__(self, url: str, token: str, timeout: float = 90) -> None:
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        for _attempt in range(20):
            req = urllib.request.Request(
                self.url + "/webhooks/rest/webhook",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    return json.loads(r.read() or b"[]") or []
            except urllib.error.HTTPError as error:
                if error.code == 429:  # the per-conversation rate limit: wait, same turn
                    time.sleep(2.5)
                    continue
                raise
        raise RuntimeError("rate-limited for too long")

    def tracker(self, sender: str) -> dict[str, Any]:
        url = f"{self.url}/conversations/{sender}/tracker?include_events=NONE&token={self.token}"
        with urllib.request.urlopen(url, timeout=self.timeout) as r:
            return json.loads(r.read())


# --------------------------------------------------------------------------- #
# one conversation
# --------------------------------------------------------------------------- #


@dataclass
class Turn:
    n: int
    said: str
    button: bool
    note: str
    replies: list[str]
    buttons: list[str]
    pending: str | None  # what the assistant asks now (question key)


@dataclass
class Record:
    id: str
    kind: str
    service: str
    style: str
    expected: str | None
    expected_reasons: list[str]
    why: str = ""
    sender: str = ""
    outcome: str | None = None  # screening_outcome slot (emergency when its message showed)
    outcome_said: str | None = None  # the outcome as the reply worded it
    reasons: list[str] = field(default_factory=list)
    turns_to_outcome: int | None = None
    turns: int = 0
    asked: dict[str, int] = field(default_factory=dict)
    question_texts: dict[str, str] = field(default_factory=dict)
    rephrases: int = 0
    dead_end: str | None = None
    reference: str | None = None
    turns_to_reference: int | None = None
    booking: dict[str, Any] | None = None
    booking_problems: list[str] = field(default_factory=list)  # the booking as stored
    told_problems: list[str] = field(default_factory=list)  # what the client was (not) told
    error: str | None = None
    gave_up: str | None = None
    seconds: float = 0.0
    transcript: list[Turn] = field(default_factory=list)


class DeadEnds:
    """Dead-end detection, fed one observation per client turn.

    * the same pre-screen question asked a third time (counted over the
      whole conversation: issue 11 says nobody is asked the same question
      three times);
    * a booking step asked three turns in a row with the very same words
      and buttons (a step asked again with new times after the client
      changed its wish is progress, not a loop);
    * "say it another way" (the generic rephrase) REPHRASE_LIMIT turns in a row;
    * no outcome after SCREENING_TURN_LIMIT turns (the driver checks that).
    """

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.run_key: tuple[str, str] | None = None
        self.run_length = 0
        self.rephrase_run = 0

    def observe(self, key: str | None, rephrase: bool, shown: str = "") -> str | None:
        """Records one turn (the pending question key, whether the reply
        asked to rephrase, what it showed); returns why it is a dead end."""
        self.rephrase_run = self.rephrase_run + 1 if rephrase else 0
        if self.rephrase_run >= REPHRASE_LIMIT:
            return f"'say it another way' {self.rephrase_run} times in a row"
        if key is None:
            self.run_key, self.run_length = None, 0
            return None
        self.asked[key] += 1
        self.run_length = self.run_length + 1 if (key, shown) == self.run_key else 1
        self.run_key = (key, shown)
        if key.startswith("screening:") and self.asked[key] >= SAME_QUESTION_LIMIT:
            return f"asked {key.split(':', 1)[1]} {self.asked[key]} times"
        if not key.startswith("screening:") and self.run_length >= SAME_QUESTION_LIMIT:
            return f"asked {key.split(':', 1)[1]} {self.run_length} times in a row"
        return None


def shown(seen: Seen) -> str:
    """What one reply showed, words and buttons, for comparing turns."""
    return _norm(seen.text) + "|" + "|".join(b.get("title", "") for b in seen.buttons)


def observe(
    replies: list[dict[str, Any]], tracker: dict[str, Any], wording: Wording, today: dt.date
) -> Seen:
    """One turn as the client knows it: the replies it sees, and from the
    tracker the active form, its requested slot, the pending pre-screen
    question id and the outcome slot."""
    slots = tracker.get("slots") or {}
    form = (tracker.get("active_loop") or {}).get("name")
    requested = slots.get("requested_slot")
    state = slots.get("screening_state") if isinstance(slots.get("screening_state"), dict) else {}
    question = (
        (state.get("ui") or {}).get("asked")
        if form == "screening_form" and requested == "screening_answer"
        else None
    )
    texts = [r.get("text") or "" for r in replies]
    joined = "\n".join(texts)
    ref = REFERENCE.search(joined)
    return Seen(
        texts=texts,
        buttons=[b for r in replies for b in r.get("buttons") or []],
        form=form,
        requested=requested,
        question=question,
        outcome=slots.get("screening_outcome"),
        emergency_seen=wording.outcome_said(joined) == "emergency",
        reference=ref.group(1) if ref else None,
        today=today,
    )


def run_client(client: Client, transport: Transport, wording: Wording, today: dt.date) -> Record:
    """Drives one client to its end (outcome, reference, or a dead end)."""
    record = Record(
        client.id,
        client.kind,
        client.service,
        client.style,
        client.expect.outcome,
        list(client.expect.reasons),
        client.expect.why,
    )
    record.sender = f"sim-{client.id}-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    dead = DeadEnds()
    seen = Seen(today=today)
    outcome_at: int | None = None
    try:
        for n in range(1, SCREENING_TURN_LIMIT + BOOKING_TURN_LIMIT + 1):
            message: Message = client.reply(seen)
            replies = transport.send(record.sender, message.text)
            seen = observe(replies, transport.tracker(record.sender), wording, today)
            key = question_key(seen)
            rephrase = wording.is_rephrase(seen.text)
            record.rephrases += int(rephrase)
            record.turns = n
            record.transcript.append(
                Turn(
                    n,
                    message.text,
                    message.button,
                    message.note,
                    seen.texts,
                    [b.get("title", "") for b in seen.buttons],
                    key,
                )
            )
            if key:
                record.asked[key] = record.asked.get(key, 0) + 1
                if key.startswith("screening:") and key not in record.question_texts and seen.texts:
                    record.question_texts[key] = seen.texts[-1][:300]
            said = wording.outcome_said(seen.text)
            if said:
                record.outcome_said = said
            if seen.emergency_seen:
                seen.outcome = "emergency"
            if seen.outcome and seen.form != "screening_form":
                record.outcome = seen.outcome
                if outcome_at is None:
                    outcome_at = n
                    record.turns_to_outcome = n
            if seen.reference:
                record.reference, record.turns_to_reference = seen.reference, n
                return record
            if message.end:
                record.gave_up = message.note
                return record
            why = dead.observe(key, rephrase, shown(seen))
            if why:
                record.dead_end = why
                return record
            if record.outcome and client.kind == "screening":
                return record
            if record.outcome == "emergency":
                return record
            if (
                client.kind == "booking"
                and record.outcome
                and record.outcome not in BOOKABLE
                and seen.form is None
                and _news_told(client)
            ):
                return record  # not bookable: the client stops here
            if outcome_at is None and n >= SCREENING_TURN_LIMIT:
                record.dead_end = f"no outcome after {n} turns"
                return record
            if outcome_at is not None and n - outcome_at >= BOOKING_TURN_LIMIT:
                record.dead_end = f"no reference {BOOKING_TURN_LIMIT} turns after the outcome"
                return record
        record.dead_end = "turn budget spent"
        return record
    except Exception as error:  # noqa: BLE001 - one client's failure is reported, the run goes on
        record.error = f"{type(error).__name__}: {error}"[:300]
        return record
    finally:
        record.seconds = round(time.monotonic() - started, 2)


def _news_told(client: Client) -> bool:
    news = client.plan.health_news if client.plan else None
    return news is None or "news" in client.used


# --------------------------------------------------------------------------- #
# the clinic database of the run
# --------------------------------------------------------------------------- #


def stored_bookings(db_url: str, profile: Any) -> list[dict[str, Any]]:
    """Every booking of the run, as stored (local start and end times)."""
    from clinic_core.booking_store import Booking, BookingStore

    store = BookingStore(db_url, profile=profile, migrate=False)
    try:
        with store.session() as s:
            return [
                {
                    "reference": b.reference,
                    "sender_id": b.sender_id,
                    "service_id": b.service_id,
                    "therapist_id": b.therapist_id,
                    "minutes": b.minutes,
                    "start": b.start_at.astimezone(profile.tz),
                    "end": b.end_at.astimezone(profile.tz),
                    "created_at": b.created_at,
                    "name": b.name,
                    "phone": b.phone,
                    "email": b.email,
                    "screening_outcome": b.screening_outcome,
                    "screening_reasons": list(b.screening_reasons or []),
                    "status": b.status,
                }
                for b in s.query(Booking).all()
            ]
    finally:
        store.close()


class BookedBefore:
    """The clinic's bookings as they stood at one moment (a BusySource for
    clinic_core.availability): what was taken when a client booked."""

    def __init__(self, bookings: list[dict[str, Any]], moment: dt.datetime, reference: str) -> None:
        self.rows = [
            b
            for b in bookings
            if b["status"] == "booked" and b["reference"] != reference and b["created_at"] < moment
        ]

    def busy(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, dt.datetime, dt.datetime]]:
        return [
            (b["therapist_id"], b["start"], b["end"])
            for b in self.rows
            if b["start"] < end and b["end"] > start
        ]


def free_fitting(
    profile: Any, bookings: list[dict[str, Any]], booking: dict[str, Any], wish: Any, today: dt.date
) -> list[dt.datetime]:
    """The local starts that fitted the client's wish and were free when it
    booked (same service and length). What is free follows the clinic's
    own rules (clinic_core.availability: hours, breaks, notice); what fits
    is the client's wish."""
    from clinic_core.availability import free_slots
    from clinic_core.dates import DateRequest

    busy = BookedBefore(bookings, booking["created_at"], booking["reference"])
    horizon = wish.within_days if wish.within_days is not None else profile.booking.horizon_days
    found = []
    for i in range(horizon + 1):
        day = today + dt.timedelta(days=i)
        if wish.weekdays is not None and day.weekday() not in wish.weekdays:
            continue
        start = dt.datetime.combine(day, dt.time(0), tzinfo=profile.tz)
        request = DateRequest(earliest=start, latest=start + dt.timedelta(days=1))
        slots = free_slots(
            profile,
            busy,
            booking["service_id"],
            booking["minutes"],
            request,
            booking["created_at"],
            limit=100,
        )
        if slots.in_window:
            found += [
                s.start.replace(tzinfo=None)
                for s in slots
                if wish.fits(s.start.replace(tzinfo=None), today)
            ]
    return sorted(set(found))


# --------------------------------------------------------------------------- #
# the report
# --------------------------------------------------------------------------- #


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _p90(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, -(-len(ordered) * 9 // 10) - 1)])


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def is_unsafe(expected: str | None, got: str | None) -> bool:
    """A client who should not be booked got ok or modify, or an emergency
    was not given where one was expected."""
    if expected == "emergency":
        return got != "emergency"
    return expected in ("clearance", "postpone") and got in BOOKABLE


_ORDER = ("ok", "modify", "postpone", "clearance", "emergency")


def outcome_kind(expected: str | None, got: str | None, dead_end: str | None) -> str:
    if got == expected:
        return "exact"
    if got is None:
        return "no outcome (dead end)" if dead_end else "no outcome"
    if is_unsafe(expected, got):
        return "unsafe pass"
    if expected in _ORDER and got in _ORDER and _ORDER.index(got) > _ORDER.index(expected):
        return "stricter than expected"
    return "softer than expected"


_PROBLEM_KINDS = (
    ("but should not be", "booked though it should not be"),
    ("service ", "wrong service"),
    ("minutes instead", "wrong length"),
    ("outside the wish", "outside the wish"),
    ("far from the wish", "outside the wish"),
    ("was free", "not the first free slot"),
    ("stored outcome", "stored with another screening outcome"),
    ("stored reasons", "stored without the reason"),
    ("phone stored", "phone stored differently"),
    ("name stored", "name stored differently"),
    ("reference was shown", "reference without a stored booking"),
)


def failure_kinds(record: Record) -> list[str]:
    """What went wrong for one client, as kinds the report counts."""
    kinds = []
    if record.error:
        kinds.append("error")
    if record.dead_end:
        kinds.append("dead end: " + record.dead_end)
    if record.kind == "screening" and not record.dead_end and record.outcome != record.expected:
        kinds.append(f"outcome {outcome_kind(record.expected, record.outcome, None)}")
    if record.gave_up:
        kinds.append("client gave up: no offered time fitted")
    for problem in record.booking_problems:
        kind = next((k for marker, k in _PROBLEM_KINDS if marker in problem), None)
        if kind:
            kinds.append(kind)
    if record.told_problems:
        kinds.append("not told the clinic is closed then")
    return list(dict.fromkeys(kinds))


def summarise(records: list[Record]) -> dict[str, Any]:
    """The report's figures, and whether each of the issue's targets holds."""
    screening = [r for r in records if r.kind == "screening"]
    booking = [r for r in records if r.kind == "booking"]
    turns = [r.turns_to_outcome for r in screening if r.turns_to_outcome]
    body = [r.turns_to_outcome for r in screening if r.turns_to_outcome and r.service == "body"]
    facial = [r.turns_to_outcome for r in screening if r.turns_to_outcome and r.service == "facial"]
    kinds = Counter(outcome_kind(r.expected, r.outcome, r.dead_end) for r in screening)
    reasons_ok = sum(
        1
        for r in screening
        if r.outcome == r.expected and set(r.expected_reasons) <= set(r.reasons)
    )
    asked = Counter()
    asked_again = Counter()
    for r in screening + booking:
        for key, count in r.asked.items():
            asked[key] += count
            if count > 1:
                asked_again[key] += 1
    wished = [
        r
        for r in booking
        if not r.booking_problems and not r.told_problems and not r.dead_end and not r.error
    ]
    wrong = [r for r in booking if r.booking is not None and r.booking_problems]
    to_ref = [r.turns_to_reference for r in booking if r.turns_to_reference]
    yes_turns = [t for r in booking for t in r.transcript if t.note == "yes to the booking offered"]
    firsts = [r.transcript[0] for r in booking if r.transcript]
    unknown_questions = sorted(
        {
            k
            for k in asked
            if k.startswith("screening:")
            and topics_of(k.split(":", 1)[1])[1] == "unknown"
            and k != "screening:consent"
        }
    )
    figures = {
        "screening_clients": len(screening),
        "exact_outcomes_pct": _pct(kinds["exact"], len(screening)),
        "outcome_kinds": dict(kinds),
        "unsafe_passes": sum(1 for r in screening if is_unsafe(r.expected, r.outcome)),
        "emergencies_missed": sum(
            1 for r in screening if r.expected == "emergency" and r.outcome != "emergency"
        ),
        "screening_dead_ends": sum(1 for r in screening if r.dead_end),
        "screening_errors": sum(1 for r in screening if r.error),
        "reasons_as_expected_pct": _pct(reasons_ok, len(screening)),
        "worded_differently": sum(
            1 for r in screening if r.outcome and r.outcome_said and r.outcome != r.outcome_said
        ),
        "median_turns": _median(turns),
        "p90_turns": _p90(turns),
        "median_turns_body": _median(body),
        "p90_turns_body": _p90(body),
        "median_turns_facial": _median(facial),
        "p90_turns_facial": _p90(facial),
        "questions_asked": dict(sorted(asked.items())),
        "clients_asked_twice_or_more": dict(sorted(asked_again.items())),
        "questions_without_topic": unknown_questions,
        "booking_clients": len(booking),
        "booked_as_wished_pct": _pct(len(wished), len(booking)),
        "wrong_bookings": len(wrong),
        "booking_dead_ends": sum(1 for r in booking if r.dead_end),
        "booking_errors": sum(1 for r in booking if r.error),
        "references": sum(1 for r in booking if r.reference),
        "median_turns_to_reference": _median(to_ref),
        "p90_turns_to_reference": _p90(to_ref),
        # issue 11, item 7: a "yes" answers the offer just made; a booking wish in any message starts booking
        "yes_to_offer": len(yes_turns),
        "yes_to_offer_opened_booking": sum(
            1 for t in yes_turns if (t.pending or "").startswith("booking_form")
        ),
        "first_messages": len(firsts),
        "first_message_started_a_form": sum(1 for t in firsts if t.pending),
    }
    failures: dict[str, list[str]] = {}
    for r in sorted(records, key=lambda r: r.id):
        for kind in failure_kinds(r):
            failures.setdefault(f"{r.kind}: {kind}", []).append(r.id)
    figures["failures_by_kind"] = dict(sorted(failures.items(), key=lambda kv: -len(kv[1])))
    figures["targets"] = {
        name: _meets(figures.get(name), op, limit) for name, (op, limit) in TARGETS.items()
    }
    return figures


def _meets(value: Any, op: str, limit: float) -> bool:
    if value is None:
        return False
    return value <= limit if op == "<=" else value >= limit


def _excerpt(record: Record, last: int = 4) -> str:
    lines = []
    for turn in record.transcript[-last:]:
        said = ("[" + turn.said + "]") if turn.button else turn.said
        reply = " / ".join(t.replace("\n", " ") for t in turn.replies)[:220]
        lines.append(f"    {turn.n}. client: {said}\n       assistant: {reply}")
    return "\n".join(lines)


def write_report(
    records: list[Record], figures: dict[str, Any], meta: dict[str, Any], out: Path
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": meta,
        "figures": figures,
        "clients": [asdict(r) for r in sorted(records, key=lambda r: (r.kind, r.id))],
    }
    (out / "simulator.json").write_text(json.dumps(payload, indent=1, default=str))
    (out / "simulator.md").write_text(render_markdown(records, figures, meta))


def render_markdown(records: list[Record], figures: dict[str, Any], meta: dict[str, Any]) -> str:
    f = figures
    ok = {True: "met", False: "**NOT met**"}
    t = f["targets"]
    lines = [
        "# Conversation simulator",
        "",
        f"Run {meta['started']} against {meta['assistant']}, {meta['threads']} threads, "
        f"{meta['seconds']:.0f} s; {f['screening_clients']} pre-screen and {f['booking_clients']} booking clients.",
        "",
        f"The clinic's clock: {meta.get('clock', 'not recorded')}.",
        "",
        "| target (issue 11) | value | |",
        "| --- | ---: | --- |",
        f"| unsafe passes = 0 | {f['unsafe_passes']} | {ok[t['unsafe_passes']]} |",
        f"| pre-screen dead ends = 0 | {f['screening_dead_ends']} | {ok[t['screening_dead_ends']]} |",
        f"| exact outcomes >= 98% | {f['exact_outcomes_pct']}% | {ok[t['exact_outcomes_pct']]} |",
        f"| median turns, body pre-screen <= 14 | {f['median_turns_body']} | {ok[t['median_turns_body']]} |",
        f"| booked as wished >= 98% | {f['booked_as_wished_pct']}% | {ok[t['booked_as_wished_pct']]} |",
        f"| wrong bookings = 0 | {f['wrong_bookings']} | {ok[t['wrong_bookings']]} |",
        f"| booking dead ends = 0 | {f['booking_dead_ends']} | {ok[t['booking_dead_ends']]} |",
        f"| median turns to reference <= 20 | {f['median_turns_to_reference']} | "
        f"{ok[t['median_turns_to_reference']]} |",
        "",
        "## Pre-screen",
        "",
        f"- outcomes: {', '.join(f'{k} {v}' for k, v in sorted(f['outcome_kinds'].items()))}",
        f"- emergencies missed: {f['emergencies_missed']}; errors: {f['screening_errors']}",
        f"- reasons as expected (with the exact outcome): {f['reasons_as_expected_pct']}%",
        f"- outcome slot and wording disagree: {f['worded_differently']}",
        f"- turns to the outcome: median {f['median_turns']}, p90 {f['p90_turns']}; body {f['median_turns_body']} / "
        f"{f['p90_turns_body']}; facial {f['median_turns_facial']} / {f['p90_turns_facial']}",
        f"- questions the topic tables do not know: {f['questions_without_topic'] or 'none'}",
        "",
        "| question | times asked | clients asked it twice or more |",
        "| --- | ---: | ---: |",
    ]
    for key, count in f["questions_asked"].items():
        lines.append(f"| {key} | {count} | {f['clients_asked_twice_or_more'].get(key, 0)} |")
    lines += [
        "",
        "## Booking",
        "",
        f"- references: {f['references']} of {f['booking_clients']}; errors: {f['booking_errors']}",
        f"- turns to the reference: median {f['median_turns_to_reference']}, "
        f"p90 {f['p90_turns_to_reference']}",
        f"- a yes to the booking the pre-screen offered opened the booking: {f['yes_to_offer_opened_booking']} "
        f"of {f['yes_to_offer']}",
        f"- the first message started the pre-screen or the booking: "
        f"{f['first_message_started_a_form']} of {f['first_messages']}",
        "",
    ]
    lines += ["## Failures by kind", "", "| kind | clients | examples |", "| --- | ---: | --- |"]
    for kind, ids in f["failures_by_kind"].items():
        lines.append(
            f"| {kind} | {len(ids)} | {', '.join(ids[:6])}{' ...' if len(ids) > 6 else ''} |"
        )
    lines += ["", "## Failures, client by client (last turns)", ""]
    for r in sorted(records, key=lambda r: (r.kind, r.id)):
        problems = []
        if r.kind == "screening" and r.outcome != r.expected:
            problems.append(
                f"{outcome_kind(r.expected, r.outcome, r.dead_end)}: expected {r.expected} "
                f"{r.expected_reasons}, got {r.outcome} {r.reasons}"
            )
        if r.dead_end:
            problems.append(f"dead end: {r.dead_end}")
        if r.error:
            problems.append(f"error: {r.error}")
        if r.gave_up:
            problems.append(f"client {r.gave_up}")
        if r.kind == "booking" and r.booking_problems:
            problems.append(
                ("wrong booking: " if r.booking else "booking: ") + "; ".join(r.booking_problems)
            )
        if r.told_problems:
            problems.append("; ".join(r.told_problems))
        if problems:
            lines.append(
                f"- **{r.id}** ({r.kind}, {r.service}, {r.style}): " + " | ".join(problems)
            )
            lines.append(_excerpt(r))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- #
# the run
# --------------------------------------------------------------------------- #


def judge(
    records: list[Record],
    clients: dict[str, Client],
    db_url: str | None,
    profile: Any,
    today: dt.date,
) -> None:
    """Fills each booking client's booking as stored and what is wrong with it."""
    bookings = stored_bookings(db_url, profile) if db_url else []
    by_sender = {b["sender_id"]: b for b in bookings}
    for r in records:
        client = clients[r.id]
        if r.kind != "booking":
            continue
        if db_url is None:
            r.booking_problems = ["booking not checked: no database given"]
            continue
        record = by_sender.get(r.sender)
        wish = client.expect.wish
        free = free_fitting(profile, bookings, record, wish, today) if record and wish else None
        r.booking_problems = judge_booking(record, client.expect, today, free)
        r.booking = record
        if record is None and client.expect.booked and r.reference:
            r.booking_problems.append("a reference was shown but no booking is stored")
        seen_text = _norm(" ".join(" ".join(t.replies) for t in r.transcript))
        r.told_problems = [
            f"never told about {word!r}"
            for word in client.expect.mentions
            if word.lower() not in seen_text
        ]


def reasons_of(transport: Transport, records: list[Record]) -> None:
    for r in records:
        if r.outcome:
            try:
                slots = transport.tracker(r.sender).get("slots") or {}
                r.reasons = list(slots.get("screening_reasons") or [])
            except Exception:  # noqa: BLE001
                pass


def people_s_today(now: dt.datetime, tz: Any) -> dt.date:
    """The day a client means by "today" (and counts "tomorrow" and the
    wishes' days from): the clinic's date, or the day before in the small
    hours, as the assistant reads dates (clinic_core.dates.DAY_STARTS)."""
    from clinic_core.dates import DAY_STARTS

    local = now.astimezone(tz)
    return local.date() - dt.timedelta(days=1 if local.time() < DAY_STARTS else 0)


def simulate(
    transport: Transport,
    clients: list[Client],
    threads: int = 4,
    progress: Callable[[Record], None] | None = None,
) -> list[Record]:
    wording = Wording.load()
    from clinic_core.profile import load_profile

    today = people_s_today(clock.now(), load_profile().tz)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run_client, c, transport, wording, today) for c in clients]
        records = []
        for future in futures:
            record = future.result()
            records.append(record)
            if progress:
                progress(record)
    reasons_of(transport, records)
    return records


def load_all(
    kind: str = "all",
    only: list[str] | None = None,
    screening_file: Path = SCREENING_FILE,
    booking_file: Path = BOOKING_FILE,
) -> list[Client]:
    styles = load_styles()
    clients: list[Client] = []
    if kind in ("all", "screening"):
        clients += load_clients(screening_file, "screening", styles)
    if kind in ("all", "booking"):
        clients += load_clients(booking_file, "booking", styles)
    if only:
        clients = [c for c in clients if c.id in only]
    return clients


def run(
    url: str | None = None,
    token: str | None = None,
    db_url: str | None = None,
    threads: int = 4,
    kind: str = "all",
    only: list[str] | None = None,
    out: Path = RESULTS,
    quiet: bool = False,
    screening_file: Path = SCREENING_FILE,
    booking_file: Path = BOOKING_FILE,
    keep: bool = False,
    now: str | None = DEFAULT_NOW,
) -> tuple[list[Record], dict[str, Any]]:
    """Runs every client (starting the assistant unless a URL is given),
    writes the report, returns the records and the figures. The started
    assistant's directory (databases, logs) is deleted unless `keep`.

    `now`: the clinic's clock for the run (ISO 8601 with an offset; None or
    "real" for the wall clock). The simulator and the assistant it starts
    share it; a running assistant (`url`) must have been started with the
    same CLINIC_NOW, or the wishes are judged against another day."""
    saved = {k: os.environ.get(k) for k in (clock.ENV, clock.ENV_SET_AT)}
    for k in saved:
        os.environ.pop(k, None)
    if now and now != "real":
        os.environ.update(clock.environment_for(now))
    try:
        return _run(
            url, token, db_url, threads, kind, only, out, quiet, screening_file, booking_file, keep
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(
    url: str | None,
    token: str | None,
    db_url: str | None,
    threads: int,
    kind: str,
    only: list[str] | None,
    out: Path,
    quiet: bool,
    screening_file: Path,
    booking_file: Path,
    keep: bool,
) -> tuple[list[Record], dict[str, Any]]:
    from clinic_core.profile import load_profile

    clients = load_all(kind, only, screening_file, booking_file)
    started_at = clock.now()
    assistant = None
    workdir = None
    if url is None:
        from tests.assistant import start_assistant

        workdir = Path(tempfile.mkdtemp(prefix="simulator-"))
        # one load generator on one address: the per-client rate limits off
        assistant = start_assistant(
            workdir, {"CLINIC_RATE_LIMIT_SENDER": "0", "CLINIC_RATE_LIMIT_IP": "0"}
        )
        url, token = assistant.url, assistant.token
        db_url = f"sqlite:///{workdir / 'clinic.db'}"
    try:
        transport = Transport(url, token or os.environ.get("RASA_API_TOKEN", ""))
        t0 = time.monotonic()

        def progress(record: Record) -> None:
            if not quiet:
                mark = (
                    "ok "
                    if (record.outcome == record.expected or record.kind == "booking")
                    and not record.dead_end
                    and not record.error
                    else "XX "
                )
                print(
                    f"{mark}{record.kind[:4]} {record.id:<6} {record.outcome or '-':<9} "
                    f"turns {record.turns:>2} {record.dead_end or ''} {record.error or ''}",
                    flush=True,
                )

        records = simulate(transport, clients, threads, progress)
        seconds = time.monotonic() - t0
        profile = load_profile(workdir / "profile.yml" if workdir else None)
        today = people_s_today(started_at, profile.tz)
        by_id = {c.id: c for c in clients}
        judge(records, by_id, db_url, profile, today)
        figures = summarise(records)
        meta = {
            "started": started_at.isoformat(timespec="seconds"),
            "seconds": round(seconds, 1),
            "threads": threads,
            "assistant": "its own (tests.assistant)" if assistant else url,
            "clients": len(clients),
            "today": today.isoformat(),
            "clock": (
                f"{started_at.astimezone(profile.tz):%a %Y-%m-%d %H:%M} {profile.tz} "
                + (
                    f"({clock.ENV}={os.environ[clock.ENV]})"
                    if os.environ.get(clock.ENV)
                    else "(the real clock)"
                )
            ),
        }
        write_report(records, figures, meta, out)
        return records, figures
    finally:
        if assistant is not None:
            assistant.stop()
        if workdir is not None and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif workdir is not None:
            print(f"the assistant's databases and logs: {workdir}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running assistant (default: start one)")
    parser.add_argument("--token", help="its HTTP API token (default $RASA_API_TOKEN)")
    parser.add_argument("--db-url", help="its clinic database, to check the bookings as stored")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--kind", choices=("all", "screening", "booking"), default="all")
    parser.add_argument("--only", nargs="*", help="client ids")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--screening-file", type=Path, default=SCREENING_FILE)
    parser.add_argument("--booking-file", type=Path, default=BOOKING_FILE)
    parser.add_argument(
        "--keep", action="store_true", help="keep the started assistant's databases and logs"
    )
    parser.add_argument(
        "--now",
        default=os.environ.get(clock.ENV) or DEFAULT_NOW,
        help="the clinic's clock, ISO 8601 with an offset (default $CLINIC_NOW, else "
        f"{DEFAULT_NOW}, the one CI runs at); 'real' for the wall clock",
    )
    args = parser.parse_args(argv)
    _, f = run(
        args.url,
        args.token,
        args.db_url,
        args.threads,
        args.kind,
        args.only,
        args.out,
        args.quiet,
        args.screening_file,
        args.booking_file,
        args.keep,
        args.now,
    )
    print(
        f"\n{f['screening_clients']} pre-screen clients: exact {f['exact_outcomes_pct']}%, "
        f"unsafe {f['unsafe_passes']}, dead ends {f['screening_dead_ends']}, "
        f"median turns {f['median_turns']} (body {f['median_turns_body']}, p90 {f['p90_turns_body']})"
    )
    print(
        f"{f['booking_clients']} booking clients: as wished {f['booked_as_wished_pct']}%, "
        f"wrong {f['wrong_bookings']}, dead ends {f['booking_dead_ends']}, "
        f"median turns to reference {f['median_turns_to_reference']}"
    )
    print(
        "targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in f["targets"].items())
    )
    print(f"the clinic's clock: {args.now}")
    print(f"report: {args.out / 'simulator.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
