"""The scripted clients: loading them, and what each says next.

A client is data (clients_screening.yml, clients_booking.yml): a service, a
style, the expected outcome, and answers by TOPIC (tests/simulator/topics.py)
plus optional detours (`interruptions`), a correction at the summary
(`at_summary`) and, for booking clients, a `booking` plan. Everything here
is pure: given what the client has seen so far, `Client.reply` says what it
types or which button it presses. The HTTP driver is simulator.py.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.simulator import topics as T
from tests.simulator.wishes import Wish, parse_slot_title

HERE = Path(__file__).resolve().parent
STYLES_FILE = HERE / "styles.yml"
OUTCOMES = ("ok", "modify", "clearance", "postpone", "emergency")
SERVICES = ("body", "facial")
TAPS = ("never", "re-ask", "always")
#: the client's own names for the booking steps, and today's slot names of
#: booking_form (the only place that ties the two; update it with the form)
BOOKING_STEPS: dict[str, str] = {
    "booking_service": "treatment",
    "booking_minutes": "length",
    "booking_when": "when",
    "booking_slot": "time",
    "booking_name": "name",
    "booking_phone": "phone",
    "booking_confirmed": "confirm",
}
STEP_NAMES = tuple(BOOKING_STEPS.values())
#: the outcome's offer of a booking that asks for the length
ASKS_LENGTH = re.compile(r"\bhow long you'?d like\b", re.I)
#: the name question that asks for the phone number too
ASKS_PHONE_TOO = re.compile(r"\bname and (?:phone|mobile|contact)", re.I)
CLIENT_KEYS = {
    "id",
    "service",
    "style",
    "taps",
    "first_message",
    "answers",
    "says_no",
    "interruptions",
    "at_summary",
    "forgot",
    "takes_back",
    "expect",
    "booking",
}
EXPECT_KEYS = {
    "outcome",
    "reasons",
    "why",
    "booked",
    "service",
    "minutes",
    "weekdays",
    "time",
    "within_days",
    "first_free",
    "from_days",
    "reasons_include",
    "name",
    "phone",
    "mentions",
}
BOOKING_KEYS = {
    "when",
    "name",
    "phone",
    "minutes",
    "length",
    "treatment",
    "book_yes",
    "pick",
    "no_fit",
    "confirm",
    "change",
    "health_news",
}
BOOKABLE_SERVICES = ("body_massage", "facial_massage")


def _unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ClientError(f"{where}: unknown keys {extra} (allowed: {sorted(allowed)})")


class ClientError(ValueError):
    """A client file that does not say what the simulator needs."""


@dataclass(frozen=True)
class Answer:
    """What a client says to a topic: `say` (one phrasing per time it is
    asked: the second is used when the question comes again) and `details`
    (the answer to the follow-ups: which, how long ago, where)."""

    say: tuple[str, ...]
    details: tuple[str, ...] = ()
    means_no: bool = False  # "no, my dad had a stroke but not me": a no with words

    @classmethod
    def parse(cls, value: Any, where: str) -> Answer:
        if isinstance(value, str):
            return cls((value,))
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return cls(tuple(value))
        if isinstance(value, dict) and "say" in value:
            unknown = sorted(set(value) - {"say", "details", "means"})
            means = {True: "yes", False: "no"}.get(
                value.get("means"), value.get("means", "yes")
            )  # YAML: no is False
            if unknown or means not in ("yes", "no"):
                raise ClientError(f"{where}: an answer has say, details and means (yes | no)")
            say, details = value["say"], value.get("details", ())
            say = (say,) if isinstance(say, str) else tuple(say)
            details = (details,) if isinstance(details, str) else tuple(details)
            if not say or not all(isinstance(s, str) for s in say + details):
                raise ClientError(f"{where}: say/details must be text")
            return cls(say, details, means == "no")
        raise ClientError(f"{where}: an answer is text, a list of phrasings, or {{say, details}}")


@dataclass(frozen=True)
class Message:
    """One client turn: typed text, or a pressed button (its payload)."""

    text: str
    button: bool = False
    note: str = ""  # why (for the transcript): "answer", "detour", "news"...
    end: bool = False  # the client leaves after this message


@dataclass
class Seen:
    """What the client knows at its turn: the assistant's last replies and
    where the conversation is (see simulator.py for where each comes from)."""

    texts: list[str] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)
    form: str | None = None  # active form
    requested: str | None = None  # the form's requested slot
    question: str | None = None  # the screening question id pending
    outcome: str | None = None  # the screening outcome, once known
    emergency_seen: bool = False
    reference: str | None = None
    today: Any = None  # the clinic's date (for slot titles)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass
class BookingPlan:
    when: tuple[str, ...]
    name: tuple[str, ...]
    phone: tuple[str, ...]
    minutes: int | None = None
    length: str | None = None
    treatment: str | None = None
    book_yes: str | None = None
    pick: str = "first"
    no_fit: str | None = None
    confirm: str | None = None
    change: dict[str, str] | None = None  # {at: step, say: text, service: facial}
    health_news: dict[str, Any] | None = None  # {at: step, say: text, forgot: [topics]}


@dataclass
class Expect:
    outcome: str | None = None
    reasons: tuple[str, ...] = ()
    why: str = ""
    booked: bool | None = None
    service: str | None = None  # body_massage / facial_massage
    minutes: int | None = None
    wish: Wish | None = None
    reasons_include: tuple[str, ...] = ()
    name: str | None = None
    phone: str | None = None  # E.164
    mentions: tuple[str, ...] = ()  # words the client must have been told


def question_key(seen: Seen) -> str | None:
    """What the assistant is asking now, as a key: the pre-screen question
    id, consent, or the form's requested slot; None outside a form."""
    if seen.form == "screening_form":
        if seen.requested == "screening_consent":
            return "screening:consent"
        if seen.question:
            return f"screening:{seen.question}"
    if seen.form and seen.requested:
        return f"{seen.form}:{seen.requested}"
    return None


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _noted(seen: Seen) -> tuple[str, ...]:
    """The list a summary shows (its bullet lines), to tell whether a
    correction changed it."""
    lines = [line.strip() for text in seen.texts for line in text.splitlines()]
    bullets = tuple(line for line in lines if line[:1] in "•*-")
    return bullets or tuple(lines)


def _pick(options: tuple[str, ...] | list[str], *key: str) -> str:
    """One phrase per (client, topic): deterministic, spread over the list."""
    return options[zlib.crc32("|".join(key).encode()) % len(options)]


def _is_yes_no(buttons: list[dict[str, str]]) -> bool:
    payloads = {b.get("payload") for b in buttons}
    return "/affirm" in payloads or "/deny" in payloads


def _button(
    buttons: list[dict[str, str]], *, payload: str | None = None, title_has: str | None = None
) -> str | None:
    for b in buttons:
        if payload is not None and b.get("payload") == payload:
            return b["payload"]
        if title_has is not None and title_has.lower() in (b.get("title") or "").lower():
            return b["payload"]
    return None


class Client:
    """One scripted client and its memory of the conversation."""

    def __init__(self, data: dict[str, Any], styles: dict[str, Any], kind: str) -> None:
        where = f"client {data.get('id')!r}"
        _unknown(data, CLIENT_KEYS, where)
        self.id: str = str(data["id"])
        self.kind = kind
        self.service: str = data["service"]
        self.style: str = data["style"]
        if self.service not in SERVICES:
            raise ClientError(f"{where}: service must be one of {SERVICES}")
        if self.style not in styles or self.style.startswith("_"):
            raise ClientError(f"{where}: unknown style {self.style!r}")
        self.phrases: dict[str, Any] = styles[self.style]
        self.again: dict[str, str] = styles["_again"]
        self.taps: str = data.get("taps", self.phrases.get("taps", "re-ask"))
        if self.taps not in TAPS:
            raise ClientError(f"{where}: taps must be one of {TAPS}")
        self.first_message: str | None = data.get("first_message")
        self.answers: dict[str, Answer] = {}
        for topic, value in (data.get("answers") or {}).items():
            if topic not in T.TOPICS:
                raise ClientError(f"{where}: unknown topic {topic!r}")
            self.answers[topic] = Answer.parse(value, f"{where}, {topic}")
        self.no: tuple[str, ...] = tuple(data.get("says_no") or self.phrases["no"])
        self.interruptions: dict[str, str] = dict(data.get("interruptions") or {})
        for key in self.interruptions:
            if key not in T.TOPICS + STEP_NAMES + ("summary", "consent"):
                raise ClientError(f"{where}: interruption at unknown topic or step {key!r}")
        summary = data.get("at_summary")
        self.at_summary: tuple[str, ...] = (
            (summary,) if isinstance(summary, str) else tuple(summary or ())
        )
        self.expect = self._expect(data.get("expect") or {}, where)
        self.plan = self._plan(data.get("booking"), where) if kind == "booking" else None
        if kind == "screening" and self.expect.outcome is None:
            raise ClientError(f"{where}: a pre-screen client needs expect: outcome")
        if kind == "booking" and self.expect.booked is None:
            raise ClientError(f"{where}: a booking client needs expect: booked")
        # memory
        self.used: set[str] = set()  # detours / corrections / news already said
        self.answered: dict[str, int] = {}  # question key -> times answered
        self.started = False
        self.forgot: set[str] = set(data.get("forgot") or ())
        if self.plan and self.plan.health_news:
            self.forgot |= set(self.plan.health_news.get("forgot") or ())
        self.takes_back: set[str] = set(data.get("takes_back") or ())
        unknown = sorted((self.forgot | self.takes_back) - set(self.answers))
        if unknown:
            raise ClientError(f"{where}: forgot / takes_back topics need answers: {unknown}")
        self.no_fit_count = 0
        self.offered: list[Any] = []  # the times offered last
        self.booking_asked = 0
        self.last_key: str | None = None  # what was asked the turn before
        self.noted_before: tuple[str, ...] = ()  # the summary's list when the correction was said

    # ------------------------------------------------------------ loading
    @staticmethod
    def _expect(raw: dict[str, Any], where: str) -> Expect:
        _unknown(raw, EXPECT_KEYS, f"{where}, expect")
        outcome = raw.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            raise ClientError(f"{where}: outcome must be one of {OUTCOMES}")
        unknown = [
            r
            for r in list(raw.get("reasons") or ()) + list(raw.get("reasons_include") or ())
            if r not in T.CONDITION_TOPICS
        ]
        if unknown:
            raise ClientError(f"{where}: unknown condition ids {unknown}")
        if raw.get("service") is not None and raw["service"] not in BOOKABLE_SERVICES:
            raise ClientError(f"{where}: service must be one of {BOOKABLE_SERVICES}")
        wish = Wish.parse(raw, where) if any(k in raw for k in Wish.KEYS) else None
        return Expect(
            outcome=outcome,
            reasons=tuple(raw.get("reasons") or ()),
            why=str(raw.get("why") or ""),
            booked=raw.get("booked"),
            service=raw.get("service"),
            minutes=raw.get("minutes"),
            wish=wish,
            reasons_include=tuple(raw.get("reasons_include") or ()),
            name=raw.get("name"),
            phone=raw.get("phone"),
            mentions=tuple(raw.get("mentions") or ()),
        )

    @staticmethod
    def _plan(raw: Any, where: str) -> BookingPlan:
        if (
            not isinstance(raw, dict)
            or "when" not in raw
            or "name" not in raw
            or "phone" not in raw
        ):
            raise ClientError(f"{where}: a booking client needs booking: when, name, phone")
        _unknown(raw, BOOKING_KEYS, f"{where}, booking")

        def phrasings(value: Any) -> tuple[str, ...]:
            return (str(value),) if isinstance(value, (str, int)) else tuple(str(v) for v in value)

        plan = BookingPlan(
            when=phrasings(raw["when"]),
            name=phrasings(raw["name"]),
            phone=phrasings(raw["phone"]),
            minutes=raw.get("minutes"),
            length=raw.get("length"),
            treatment=raw.get("treatment"),
            book_yes=raw.get("book_yes"),
            pick=raw.get("pick", "first"),
            no_fit=raw.get("no_fit"),
            confirm=raw.get("confirm"),
            change=raw.get("change"),
            health_news=raw.get("health_news"),
        )
        for extra in (plan.change, plan.health_news):
            if extra is not None and (extra.get("at") not in STEP_NAMES or not extra.get("say")):
                raise ClientError(
                    f"{where}: change/health_news need at (one of {STEP_NAMES}) and say"
                )
        if plan.pick not in ("first", "latest"):
            raise ClientError(f"{where}: pick is first or latest")
        return plan

    # ------------------------------------------------------------ answering
    def opening(self) -> Message:
        """The first message: the client's own, else a plain request."""
        self.started = True
        if self.first_message:
            return Message(self.first_message, note="first message")
        if self.kind == "booking":
            return Message("I'd like to book a massage", note="first message")
        return Message(
            _pick(
                (
                    "can I have a massage?",
                    "hi, could you check if a massage is ok for me?",
                    "I'd like to check whether I can have a massage",
                    "is massage safe for me?",
                ),
                self.id,
            ),
            note="first message",
        )

    def reply(self, seen: Seen) -> Message:
        """What the client says next, given what it has just seen."""
        message = self._reply(seen)
        self.last_key = question_key(seen)
        return message

    def _reply(self, seen: Seen) -> Message:
        if not self.started:
            return self.opening()
        if seen.form == "screening_form" and seen.requested == "screening_consent":
            return self._consent(seen)
        if seen.form == "screening_form" and seen.question:
            return self._screening(seen)
        if seen.form == "booking_form" and seen.requested in BOOKING_STEPS:
            return self._booking(seen, BOOKING_STEPS[seen.requested])
        return self._outside(seen)

    def _times(self, key: str) -> int:
        """How often this question was answered before (0 the first time)."""
        return self.answered.get(key, 0)

    def _answered(self, key: str) -> None:
        self.answered[key] = self.answered.get(key, 0) + 1

    def _detour(self, key: str) -> Message | None:
        """The client's message about something else, said once instead of
        the answer the first time `key` is asked."""
        said = f"detour:{key}"
        if key in self.interruptions and said not in self.used:
            self.used.add(said)
            return Message(self.interruptions[key], note=f"detour at {key}")
        return None

    def _consent(self, seen: Seen) -> Message:
        detour = self._detour("consent")
        if detour:
            return detour
        nth = self._times("consent")
        self._answered("consent")
        if (self.taps == "always" or (self.taps == "re-ask" and nth > 0)) and _button(
            seen.buttons, payload="/affirm"
        ):
            return Message("/affirm", button=True, note="consent")
        if nth > 0:
            return Message(self.again["yes"], note="consent again")
        if "consent" in self.answers:
            return Message(self.answers["consent"].say[0], note="consent")
        return Message(_pick(self.phrases["consent"], self.id, "consent"), note="consent")

    def _phrasings(self, topic: str, follow_up: str = "") -> tuple[str, ...]:
        """What a client says about a topic, in the order it tries them when
        it was not understood: to a question its own words first, then its
        details; to a follow-up about the condition its details first; to
        "what was it, where, how long ago?" both together first."""
        answer = self.answers[topic]
        if follow_up == "condition":
            ordered = answer.details + answer.say
        elif follow_up == "question" and answer.details and len(answer.say[0].split()) <= 4:
            # "pulled hamstring" + "2 days ago, right leg": what, then where and when
            ordered = (f"{answer.say[0]}, {answer.details[0]}",) + answer.details + answer.say
        else:
            ordered = answer.say + answer.details
        return tuple(dict.fromkeys(ordered))

    def _nth(self, topic: str, nth: int, follow_up: str = "") -> str:
        options = self._phrasings(topic, follow_up)
        return options[min(nth, len(options) - 1)]

    def has(self, topic: str) -> bool:
        """Whether the client has something to say about a topic now:
        forgotten topics only once it has said its correction or news,
        taken-back ones only until then."""
        if topic not in self.answers:
            return False
        corrected = "news" in self.used or "summary" in self.used
        if topic in self.takes_back:
            return not corrected
        return topic not in self.forgot or corrected

    def _plain_no(self, seen: Seen, key: str, nth: int) -> Message:
        if (self.taps == "always" or (self.taps == "re-ask" and nth > 0)) and _button(
            seen.buttons, payload="/deny"
        ):
            return Message("/deny", button=True, note=f"no at {key}")
        if nth > 0:
            return Message(self.again["no"], note=f"no again at {key}")
        return Message(_pick(self.no, self.id, key), note=f"no at {key}")

    def _screening(self, seen: Seen) -> Message:
        qid = seen.question
        topics, kind = T.topics_of(qid)
        key = f"screening:{qid}"
        nth = self._times(key)
        if kind == "summary":
            return self._summary(seen, nth)
        if kind == "main" and nth == 0:
            for topic in topics:
                detour = self._detour(topic)
                if detour:
                    return detour
        self._answered(key)
        if kind == "unknown":
            # a question the topic tables do not know: the client says no
            # (the report lists it, so the tables get updated)
            return self._plain_no(seen, key, nth)
        if topics == ("service",):
            return self._service_answer(seen, nth)
        mine = [t for t in topics if self.has(t)]
        if kind == "main":
            if not mine or (nth > 0 and all(self.answers[t].means_no for t in mine)):
                return self._plain_no(seen, key, nth)
            if nth > 0 and self.taps in ("re-ask", "always") and _is_yes_no(seen.buttons):
                # not understood: press Yes, and say what it is when asked
                return Message("/affirm", button=True, note=f"yes at {key}")
            return Message(". ".join(self._nth(t, nth) for t in mine), note=f"answer at {key}")
        if kind == "follow_up":
            if not mine:
                return Message(
                    _pick(("no, I said no", "no, nothing", "none of those"), self.id, key),
                    note=f"no at {key}",
                )
            return Message(
                ". ".join(self._nth(t, nth, "question") for t in mine), note=f"details at {key}"
            )
        # a follow-up about one condition
        condition = T.condition_of(qid)
        if condition in T.WHOLE_ANSWER_CONDITIONS:
            whole = [t for t in T.CONDITION_TOPICS[condition] if self.has(t)]
            if whole:
                return Message(", ".join(self._nth(t, nth) for t in whole), note=f"answer at {key}")
        if not mine:
            return Message(
                _pick(
                    ("no, I don't have that", "no, not me", "no, I never said that"), self.id, key
                ),
                note=f"denies {condition}",
            )
        return Message(self._nth(mine[0], nth, "condition"), note=f"details at {key}")

    def _service_answer(self, seen: Seen, nth: int) -> Message:
        if self.taps == "always" or (self.taps == "re-ask" and nth > 0):
            pressed = _button(
                seen.buttons, title_has="body" if self.service == "body" else "facial"
            )
            if pressed:
                return Message(pressed, button=True, note="service")
        if "service" in self.answers:
            says = self.answers["service"].say
            return Message(says[min(nth, len(says) - 1)], note="service")
        if nth > 0:
            return Message(self.again[self.service], note="service again")
        return Message(_pick(self.phrases[self.service], self.id, "service"), note="service")

    def _summary(self, seen: Seen, nth: int) -> Message:
        """Confirms the summary, after its correction if it has one; a
        correction the summary does not show yet is said again, simpler."""
        self._answered("screening:confirm")
        if self.at_summary:
            said = sum(1 for u in self.used if u.startswith("summary"))
            tries = (
                self.at_summary + (". ".join(self.answers[t].say[0] for t in sorted(self.forgot)),)
                if self.forgot
                else self.at_summary
            )
            noted = _noted(seen)
            unchanged = self.last_key == "screening:confirm" and noted == self.noted_before
            if said < len(tries) and (said == 0 or unchanged):
                self.used.add("summary" if said == 0 else f"summary{said}")
                self.noted_before = noted
                return Message(tries[said], note="correction at the summary")
        detour = self._detour("summary")
        if detour:
            return detour
        nth -= sum(
            1 for u in self.used if u.startswith("summary")
        )  # a new summary after a correction
        if (self.taps == "always" or (self.taps == "re-ask" and nth > 0)) and _button(
            seen.buttons, payload="/affirm"
        ):
            return Message("/affirm", button=True, note="summary yes")
        if nth > 0:
            return Message(self.again["yes"], note="summary yes again")
        return Message(_pick(self.phrases["summary_yes"], self.id, "summary"), note="summary yes")

    # ------------------------------------------------------------ booking
    def _booking(self, seen: Seen, step: str) -> Message:
        plan = self.plan
        key = f"booking:{step}"
        if plan is None:  # a screening client offered a booking form: it only wanted the check
            return Message("stop", note="not booking")
        nth = self._times(key)
        reached = STEP_NAMES[: STEP_NAMES.index(step) + 1]
        for extra, flag in ((plan.health_news, "news"), (plan.change, "change")):
            # said at its step, or at the next step asked when that one was skipped
            if extra and extra["at"] in reached and flag not in self.used:
                self.used.add(flag)
                if flag == "change":
                    self.service = extra.get("service", self.service)
                return Message(extra["say"], note=flag)
        for earlier in reached:
            detour = self._detour(earlier)
            if detour:
                return detour
        self._answered(key)
        if step == "treatment":
            return self._treatment(seen, nth)
        if step == "length":
            return self._length(seen)
        if step == "when":
            return self._when_answer(seen, nth)
        if step == "time":
            return self._pick_time(seen)
        if step == "name":
            name = plan.name[min(nth, len(plan.name) - 1)]
            if nth == 0 and ASKS_PHONE_TOO.search(seen.text):
                # asked for both, a client gives both (the phone step's
                # first number: a wrong one is then asked again)
                self._answered("booking:phone")
                return Message(f"{name}, {plan.phone[0]}", note="name and phone")
            return Message(name, note="name")
        if step == "phone":
            return Message(plan.phone[min(nth, len(plan.phone) - 1)], note="phone")
        # confirm
        if self.taps == "always" and _button(seen.buttons, payload="/affirm"):
            return Message("/affirm", button=True, note="confirm")
        return Message(
            plan.confirm
            or _pick(("yes", "yes please", "yes, book it", "perfect, yes"), self.id, "confirm"),
            note="confirm",
        )

    def _minutes_phrase(self) -> str:
        plan = self.plan
        assert plan is not None
        if plan.length:
            return plan.length
        minutes = plan.minutes or (60 if self.service == "body" else 45)
        return _pick(
            (f"{minutes} minutes", f"{minutes} mins please", f"the {minutes} minute one"),
            self.id,
            "length",
        )

    def _treatment(self, seen: Seen, nth: int) -> Message:
        plan = self.plan
        assert plan is not None
        minutes = plan.minutes or (60 if self.service == "body" else 45)
        if self.taps == "always" or (self.taps == "re-ask" and nth > 0):
            for b in seen.buttons:
                title = (b.get("title") or "").lower()
                if ("facial" in title) == (self.service == "facial") and f"{minutes} min" in title:
                    return Message(b["payload"], button=True, note="treatment")
        if plan.treatment and nth == 0:
            return Message(plan.treatment, note="treatment")
        name = "body massage" if self.service == "body" else "facial massage"
        return Message(f"a {name}, {self._minutes_phrase()}", note="treatment")

    def _length(self, seen: Seen) -> Message:
        plan = self.plan
        assert plan is not None
        minutes = plan.minutes or (60 if self.service == "body" else 45)
        if self.taps == "always":
            pressed = _button(seen.buttons, title_has=f"{minutes} min")
            if pressed:
                return Message(pressed, button=True, note="length")
        return Message(self._minutes_phrase(), note="length")

    def _when_answer(self, seen: Seen, nth: int) -> Message:
        plan = self.plan
        assert plan is not None
        wish = self.expect.wish
        if nth > 0 and wish is not None and seen.today is not None:
            # a clarifying question with readings as buttons: press the one meant
            for b in seen.buttons:
                start = parse_slot_title(b.get("title") or "", seen.today, need_time=False)
                if start is not None and wish.fits_day(start.date(), seen.today):
                    return Message(b["payload"], button=True, note="when (reading)")
        return Message(plan.when[min(nth, len(plan.when) - 1)], note="when")

    def _pick_time(self, seen: Seen) -> Message:
        """Picks the offered time that fits the wish: the first listed, the
        earliest (for "the first free slot") or the latest. When none fits
        it says so once; if still none fits it takes the nearest offered
        when the assistant said nothing fitting is free (closed, full) or
        offered the same times again on the days it asked for (only the
        hour is off), and otherwise gives up rather than book a day it did
        not ask for."""
        plan = self.plan
        assert plan is not None
        offers = []
        for b in seen.buttons:
            start = parse_slot_title(b.get("title") or "", seen.today) if seen.today else None
            if start is not None:
                offers.append((start, b))
        wish = self.expect.wish
        fitting = [o for o in offers if wish is None or wish.fits(o[0], seen.today)]
        titles = [b.get("title") for _, b in offers]
        offered_before, self.offered = self.offered, titles
        if not fitting and offers and self.no_fit_count == 0:
            self.no_fit_count += 1
            return Message(
                plan.no_fit or f"have you got anything {plan.when[-1]}?", note="none fits"
            )
        if not fitting and offers:
            right_days = (
                titles == offered_before
                and wish is not None
                and all(wish.fits_day(start.date(), seen.today) for start, _ in offers)
            )
            if not UNAVAILABLE.search(seen.text) and not right_days:
                return Message(
                    _pick(
                        ("never mind, I'll call the clinic instead", "forget it, I'll ring you"),
                        self.id,
                        "give up",
                    ),
                    note="gives up: no offered time fits",
                    end=True,
                )
            fitting = offers[:1]
        if not fitting:
            return Message(plan.when[-1], note="when again")
        if plan.pick == "latest":
            start, button = max(fitting, key=lambda o: o[0])
        elif wish is not None and wish.first_free:
            start, button = min(fitting, key=lambda o: o[0])
        else:
            start, button = fitting[0]
        if self.taps == "never":
            clock = f"{start.hour % 12 or 12}{f':{start.minute:02d}' if start.minute else ''}{'am' if start.hour < 12 else 'pm'}"
            return Message(f"{start:%A} {_ordinal(start.day)} at {clock} please", note="time typed")
        return Message(button["payload"], button=True, note="time")

    def _outside(self, seen: Seen) -> Message:
        """No form is asking anything: a booking client whose check allows a
        booking asks for it; anyone else asks again for what it came for."""
        self.booking_asked += 1
        if self.plan is not None and seen.outcome in ("ok", "modify"):
            if self.booking_asked == 1:
                minutes = self.plan.minutes or (60 if self.service == "body" else 45)
                asks_length = ASKS_LENGTH.search(seen.text)
                if self.taps == "always":
                    pressed = _button(seen.buttons, title_has=f"{minutes} min") or _button(
                        seen.buttons, payload="/book_appointment"
                    )
                    if pressed:
                        return Message(pressed, button=True, note="book")
                yes = self.plan.book_yes or _pick(self.phrases["book_yes"], self.id, "book")
                if asks_length:
                    # the offer asks how long: a client who wants to book says
                    self._answered("booking:length")
                    return Message(f"{yes}, {self._minutes_phrase()}", note="yes, with its length")
                return Message(yes, note="yes to the booking offered")
            return Message(
                _pick(
                    ("I'd like to book please", "can I book now?", "book me in please"),
                    self.id,
                    str(self.booking_asked),
                ),
                note="book again",
            )
        if self.plan is not None:
            return Message(
                _pick(
                    ("I'd like to book a massage", "can I make a booking?"),
                    self.id,
                    str(self.booking_asked),
                ),
                note="asks to book again",
            )
        return Message(
            _pick(
                (
                    "can you check if I can have a massage?",
                    "I'd like to do the health check",
                    "can we do the questions so I can book?",
                ),
                self.id,
                str(self.booking_asked),
            ),
            note="asks for the check again",
        )


def load_styles(path: Path = STYLES_FILE) -> dict[str, Any]:
    """The styles, plus the plain words for a question asked again (`_again`)."""
    raw = yaml.safe_load(path.read_text())
    return {**raw["styles"], "_again": raw["again"]}


def load_clients(path: Path, kind: str, styles: dict[str, Any] | None = None) -> list[Client]:
    """Every client of one file, checked; ids must be unique."""
    styles = styles or load_styles()
    raw = yaml.safe_load(Path(path).read_text())
    items = raw.get("clients") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ClientError(f"{path}: expected a top-level `clients:` list")
    clients = [Client(item, styles, kind) for item in items]
    ids = [c.id for c in clients]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ClientError(f"{path}: duplicate ids {duplicates}")
    return clients


#: the assistant saying that nothing fitting the wish is free (closed, full)
UNAVAILABLE = re.compile(
    r"nothing is free|clos|fully booked|no free|nearest|only book up to|can'?t book", re.I
)
REFERENCE = re.compile(r"reference is \**([A-Z0-9]{6})\**")
