"""The clinic profile (clinic/profile.yml): loading, validation and short texts.

The clinic edits the YAML file; the assistant reads it at run time. Loading
validates every field (pydantic) and fails with a :class:`ProfileError` whose
message names each offending field, e.g. ``opening_hours.monday: close time
must be after open time``, so a typo is caught on start-up rather than in a
conversation.

The ``*_text`` helpers return short, phone-friendly text for chat answers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from clinic_core import clock

# pydantic 2 ships the 1.x API as pydantic.v1; Rasa 3.6 pins pydantic 1.10,
# which has no pydantic.v1 (mypy reads the installed one: hence the ignore,
# allowed to go unused under pydantic 2)
try:
    from pydantic.v1 import (  # type: ignore[import-not-found,unused-ignore]
        BaseModel,
        Extra,
        ValidationError,
        root_validator,
        validator,
    )
except ImportError:  # pragma: no cover - depends on the installed pydantic
    from pydantic import (
        BaseModel,
        Extra,
        ValidationError,
        root_validator,
        validator,
    )

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE_PATH = REPO_ROOT / "clinic" / "profile.yml"

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# The placeholders ClinicProfile.answer_values fills (rasa_ext/nlg.py fills
# them in responses that name one of them).
ANSWER_KEYS = frozenset(
    (
        "price_list",
        "payment",
        "durations",
        "opening_hours",
        "address",
        "directions",
        "parking",
        "accessibility",
        "cancellation",
        "rescheduling",
        "late_arrival",
        "what_to_wear",
        "aftercare",
        "clinic_name",
        "phone",
        "email",
        # the answers to what real clients ask beyond the contract's topics (issue 10)
        "deposit",
        "therapists",
        "therapist_choice",
        "undressing",
        "showering",
        "eating_before",
        "tipping",
        "insurance",
        "gift_vouchers",
        "packages",
        "couples",
        "children",
        "qualifications",
        "oils",
        "home_visits",
    )
)

#: What an answer says in place of a fact the clinic has not set in its
#: profile: never a guess, always a way to ask. One of the two answer
#: wordings in this module, because it stands in for any missing field.
NOT_SET_TEXT = "I don't have that detail here, sorry - please ask us on {phone} or at {email}."

#: The other: home visits are the one fact where the clinic's silence has a
#: known meaning (issue 10, round three): a clinic works at its address
#: unless its profile says it visits clients, so an unset `home_visits` says
#: so instead of "ask us".
NO_HOME_VISITS_TEXT = "We don't do home, hotel or office visits: every session is at the clinic."


class ProfileError(ValueError):
    """The profile file is missing, unreadable or has invalid fields."""


def _parse_hhmm(value: Any, what: str = "time") -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str) or not _HHMM.match(value.strip()):
        raise ValueError(f"{what} must be a 24h time written \"HH:MM\", got {value!r}")
    hours, minutes = value.strip().split(":")
    return dt.time(int(hours), int(minutes))


def _parse_span(value: Any) -> tuple[dt.time, dt.time]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f'must be ["HH:MM", "HH:MM"] or closed, got {value!r}')
    start, end = _parse_hhmm(value[0], "start"), _parse_hhmm(value[1], "end")
    if end <= start:
        raise ValueError(f"end {end:%H:%M} must be after start {start:%H:%M}")
    return start, end


def format_time(value: dt.time) -> str:
    """9:00 -> "9am", 13:30 -> "1:30pm", 12:00 -> "12pm" (phone friendly)."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    if value.minute:
        return f"{hour}:{value.minute:02d}{suffix}"
    return f"{hour}{suffix}"


def format_day(value: dt.date) -> str:
    """2026-12-14 -> "Mon 14 Dec"."""
    return f"{_SHORT_DAYS[value.weekday()]} {value.day} {value:%b}"


def format_money(amount: int | float, symbol: str) -> str:
    if float(amount) == int(amount):
        return f"{symbol}{int(amount)}"
    return f"{symbol}{amount:.2f}"


class _Model(BaseModel):
    class Config:
        extra = Extra.allow  # other parts of the project may add fields
        allow_mutation = False
        arbitrary_types_allowed = True


class Address(_Model):
    street: str
    city: str
    postcode: str
    country: str
    country_code: str | None = None  # ISO 3166-1 alpha-2, e.g. GB

    @validator("country_code")
    def _code(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"must be a two-letter ISO country code like GB, got {value!r}")
        return value.upper()


class Therapist(_Model):
    id: str
    name: str
    services: list[str]


class ServiceOption(_Model):
    minutes: int
    price: float

    @validator("minutes")
    def _minutes(cls, value: int) -> int:
        if value <= 0 or value > 8 * 60:
            raise ValueError(f"must be between 1 and 480 minutes, got {value}")
        return value

    @validator("price")
    def _price(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value


class Service(_Model):
    id: str
    name: str
    screening_service: str | None = None
    massage_types: list[str] = []
    options: list[ServiceOption]

    @validator("options")
    def _options(cls, value: list[ServiceOption]) -> list[ServiceOption]:
        if not value:
            raise ValueError("needs at least one {minutes, price} option")
        minutes = [option.minutes for option in value]
        if len(set(minutes)) != len(minutes):
            raise ValueError(f"duplicate durations {minutes}")
        return value

    @property
    def minutes(self) -> list[int]:
        return [option.minutes for option in self.options]

    def option(self, minutes: int) -> ServiceOption | None:
        for option in self.options:
            if option.minutes == minutes:
                return option
        return None


class BookingRules(_Model):
    slot_step_minutes: int
    min_notice_hours: float
    horizon_days: int

    @validator("slot_step_minutes")
    def _step(cls, value: int) -> int:
        if value <= 0 or 60 % value and value % 60:
            raise ValueError(f"must divide an hour (5, 10, 15, 20, 30, 60), got {value}")
        return value

    @validator("min_notice_hours", "horizon_days")
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value


class Policies(_Model):
    cancellation_notice_hours: float
    cancellation: str
    rescheduling: str
    late_arrival: str = ""
    payment: str = ""
    deposit: str = ""  # whether a deposit or card details hold a booking

    def is_late_change(self, start: dt.datetime, now: dt.datetime) -> bool:
        """Whether cancelling or moving an appointment at ``start`` now falls
        inside the notice period (the late-cancellation terms apply). The one
        test: the booking store records it, the chat warns with it."""
        return start - now < dt.timedelta(hours=self.cancellation_notice_hours)


class ClientInfo(_Model):
    """The clinic's answers to practical questions real clients ask (issue
    10). Each is a short text in the clinic's voice; an empty one means the
    clinic has not said, and the assistant tells the client to ask. Unknown
    keys are refused: a misspelt key would otherwise leave its answer unset
    without anyone noticing."""

    class Config:
        extra = Extra.forbid

    tipping: str = ""
    insurance: str = ""
    gift_vouchers: str = ""
    packages: str = ""
    couples: str = ""
    children: str = ""
    qualifications: str = ""
    therapist_choice: str = ""
    oils: str = ""
    #: visits away from the clinic (home, hotel, office): where, how far,
    #: any travel fee. Empty: none (NO_HOME_VISITS_TEXT).
    home_visits: str = ""


class Retention(_Model):
    screening_days: int
    conversation_days: int
    bookings_days: int
    callbacks_days: int = 90
    outbox_days: int = 30
    audit_days: int = 730  # the staff console's audit log (who viewed which record; no client data)

    @validator(
        "screening_days",
        "conversation_days",
        "bookings_days",
        "callbacks_days",
        "outbox_days",
        "audit_days",
    )
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"must be a positive number of days, got {value}")
        return value


class Handover(_Model):
    """Live hand-over to a person and the call-back promise (issue 14)."""

    live_chat: bool = True  # offer a person in the chat while open and staff are signed in
    callback_within_hours: float = 2  # opening hours within which a call-back is promised
    wait_minutes: float = 3  # nobody took the chat this long: offer the call-back instead

    @validator("callback_within_hours", "wait_minutes")
    def _positive_hours(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"must be a positive number, got {value}")
        return value


class ClinicProfile(_Model):
    """The validated profile. Times are ``datetime.time``, holidays ``date``."""

    version: int
    name: str
    assistant_name: str = ""
    phone: str
    email: str
    website: str = ""
    address: Address
    directions: str = ""
    parking: str = ""
    accessibility: str = ""
    timezone: str
    currency: str
    currency_symbol: str
    date_order: str | None = None  # "DMY" or "MDY": see clinic_core.dates
    opening_hours: dict[str, tuple[dt.time, dt.time] | None]
    breaks: list[tuple[dt.time, dt.time]] = []
    holidays: list[dt.date] = []
    therapists: list[Therapist]
    services: list[Service]
    booking: BookingRules
    policies: Policies
    advice: dict[str, str] = {}
    client_info: ClientInfo = ClientInfo()
    retention: Retention
    handover: Handover = Handover()

    # ---------------------------------------------------------------- validation
    @validator("timezone")
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/London)") from None
        return value

    @validator("date_order")
    def _date_order(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = str(value).upper()
        if value not in ("DMY", "MDY"):
            raise ValueError(f"must be DMY or MDY, got {value!r}")
        return value

    @validator("opening_hours", pre=True)
    def _opening_hours(cls, value: Any) -> dict[str, tuple[dt.time, dt.time] | None]:
        if not isinstance(value, dict):
            raise ValueError("must map each weekday to [open, close] or closed")
        keys = {str(key).lower(): val for key, val in value.items()}
        unknown = sorted(set(keys) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown}; use monday..sunday")
        missing = [day for day in WEEKDAYS if day not in keys]
        if missing:
            raise ValueError(f"missing weekday(s) {missing}; write `closed` for closed days")
        result: dict[str, tuple[dt.time, dt.time] | None] = {}
        for day in WEEKDAYS:
            hours = keys[day]
            if (
                hours is None
                or hours is False
                or (isinstance(hours, str) and hours.lower() == "closed")
            ):
                result[day] = None
                continue
            try:
                result[day] = _parse_span(hours)
            except ValueError as exc:
                raise ValueError(f"{day}: {exc}") from None
        return result

    @validator("breaks", pre=True)
    def _breaks(cls, value: Any) -> list[tuple[dt.time, dt.time]]:
        value = value or []
        result = []
        for index, item in enumerate(value):
            try:
                result.append(_parse_span(item))
            except ValueError as exc:
                raise ValueError(f"[{index}]: {exc}") from None
        return result

    @validator("holidays", pre=True)
    def _holidays(cls, value: Any) -> list[dt.date]:
        result = []
        for index, item in enumerate(value or []):
            if isinstance(item, dict):  # allow {date: ..., name: ...}
                item = item.get("date")
            if isinstance(item, dt.datetime):
                item = item.date()
            if isinstance(item, str):
                try:
                    item = dt.date.fromisoformat(item.strip())
                except ValueError:
                    raise ValueError(
                        f"[{index}]: must be a date YYYY-MM-DD, got {item!r}"
                    ) from None
            if not isinstance(item, dt.date):
                raise ValueError(f"[{index}]: must be a date YYYY-MM-DD, got {item!r}")
            result.append(item)
        return sorted(set(result))

    @root_validator(skip_on_failure=True)
    def _cross_checks(cls, values: dict[str, Any]) -> dict[str, Any]:
        services = values["services"]
        ids = [service.id for service in services]
        dupes = sorted({x for x in ids if ids.count(x) > 1})
        if dupes:
            raise ValueError(f"services: duplicate id(s) {dupes}")
        therapist_ids = [t.id for t in values["therapists"]]
        dupes = sorted({x for x in therapist_ids if therapist_ids.count(x) > 1})
        if dupes:
            raise ValueError(f"therapists: duplicate id(s) {dupes}")
        for index, therapist in enumerate(values["therapists"]):
            unknown = [s for s in therapist.services if s not in ids]
            if unknown:
                raise ValueError(
                    f"therapists[{index}] ({therapist.id}).services: unknown service id(s) "
                    f"{unknown}; known: {ids}"
                )
        return values

    # ----------------------------------------------------------------- lookups
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def country_code(self) -> str:
        """Default phone region: address.country_code, else the clinic phone's region."""
        if self.address.country_code:
            return self.address.country_code
        try:
            import phonenumbers

            region = phonenumbers.region_code_for_number(phonenumbers.parse(self.phone, None))
            if region and region != "ZZ":
                return region
        except Exception:  # pragma: no cover - only for profiles without country_code
            pass
        return "GB"

    def service(self, service_id: str) -> Service:
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(f"unknown service {service_id!r}; known: {[s.id for s in self.services]}")

    def therapist(self, therapist_id: str) -> Therapist:
        for therapist in self.therapists:
            if therapist.id == therapist_id:
                return therapist
        raise KeyError(f"unknown therapist {therapist_id!r}")

    def therapist_names(self) -> dict[str, str]:
        """Each therapist's id -> the name clients use for them."""
        return {t.id: t.name for t in self.therapists}

    def therapists_for(self, service_id: str) -> list[Therapist]:
        return [t for t in self.therapists if service_id in t.services]

    def hours_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """Opening hours on a date, or None when closed (weekday or holiday)."""
        if day in self.holidays:
            return None
        return self.opening_hours[WEEKDAYS[day.weekday()]]

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the clinic is closed on ``day`` (short text), or None when open."""
        if day in self.holidays:
            return f"We're closed on {format_day(day)} (holiday)."
        if self.opening_hours[WEEKDAYS[day.weekday()]] is None:
            return f"We're closed on {WEEKDAYS[day.weekday()].capitalize()}s."
        return None

    @property
    def earliest_open(self) -> dt.time:
        return min(h[0] for h in self.opening_hours.values() if h)

    @property
    def latest_close(self) -> dt.time:
        return max(h[1] for h in self.opening_hours.values() if h)

    # ------------------------------------------------------------------- texts
    def price_list(self, service_id: str | None = None) -> str:
        """One line per service: "Therapeutic body massage: 60 min £65, 90 min £90"."""
        services = [self.service(service_id)] if service_id else self.services
        lines = []
        for service in services:
            prices = ", ".join(
                f"{o.minutes} min "
                + ("free" if o.price == 0 else format_money(o.price, self.currency_symbol))
                for o in service.options
            )
            lines.append(f"{service.name}: {prices}")
        return "\n".join(lines)

    def durations(self, service_id: str | None = None) -> str:
        """ "Therapeutic body massage: 60 or 90 minutes" per service."""
        services = [self.service(service_id)] if service_id else self.services
        lines = []
        for service in services:
            minutes = [str(m) for m in service.minutes]
            spoken = (
                minutes[0] if len(minutes) == 1 else ", ".join(minutes[:-1]) + " or " + minutes[-1]
            )
            lines.append(f"{service.name}: {spoken} minutes")
        return "\n".join(lines)

    def opening_hours_text(self, today: dt.date | None = None, days_ahead: int = 45) -> str:
        """Grouped hours ("Mon–Wed 9am–7pm"), the break, and holidays coming up.

        Holidays are listed only when ``today`` is given (those within
        ``days_ahead`` days).
        """
        groups: list[tuple[int, int, tuple[dt.time, dt.time] | None]] = []
        for index, day in enumerate(WEEKDAYS):
            hours = self.opening_hours[day]
            if groups and groups[-1][2] == hours and groups[-1][1] == index - 1:
                groups[-1] = (groups[-1][0], index, hours)
            else:
                groups.append((index, index, hours))
        parts = []
        for first, last, hours in groups:
            days = (
                _SHORT_DAYS[first] if first == last else f"{_SHORT_DAYS[first]}–{_SHORT_DAYS[last]}"
            )
            when = "closed" if hours is None else f"{format_time(hours[0])}–{format_time(hours[1])}"
            parts.append(f"{days} {when}")
        text = "\n".join(parts)
        if self.breaks:
            spans = ", ".join(f"{format_time(a)}–{format_time(b)}" for a, b in self.breaks)
            text += f"\nNo appointments {spans}."
        if today is not None:
            upcoming = [
                h for h in self.holidays if today <= h <= today + dt.timedelta(days=days_ahead)
            ]
            if upcoming:
                text += "\nClosed on " + ", ".join(format_day(h) for h in upcoming) + "."
        return text

    def address_text(self, with_directions: bool = False) -> str:
        a = self.address
        text = f"{self.name}, {a.street}, {a.city} {a.postcode}."
        if with_directions and self.directions:
            text += f" {self.directions}"
        return text

    def therapists_text(self) -> str:
        """ "Anna (therapeutic body massage, therapeutic facial massage) and
        Tom (therapeutic body massage)": who works here and on what."""
        names = {s.id: s.name[:1].lower() + s.name[1:] for s in self.services}
        people = [f"{t.name} ({', '.join(names[s] for s in t.services)})" for t in self.therapists]
        return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]

    def cancellation_text(self) -> str:
        parts = [self.policies.cancellation]
        if self.policies.rescheduling:
            parts.append(self.policies.rescheduling)
        return " ".join(p.strip() for p in parts if p.strip())

    def answer_values(self, today: dt.date | None = None) -> dict[str, str]:
        """The {placeholders} of the practical FAQ answers
        (data/responses/faq_practical.yml), so that editing this file changes the
        next answer without retraining. "Today" decides which holidays the
        opening hours mention; by default it is today in the clinic's zone.
        """
        today = today or clock.now().astimezone(self.tz).date()
        return {
            "price_list": self.price_list(),
            "payment": self.policies.payment,
            "durations": self.durations(),
            "opening_hours": self.opening_hours_text(today=today),
            "address": self.address_text(),
            "directions": self.directions,
            "parking": self.parking,
            "accessibility": self.accessibility,
            "cancellation": self.policies.cancellation,
            "rescheduling": self.policies.rescheduling,
            "late_arrival": self.policies.late_arrival,
            "what_to_wear": self.advice.get("what_to_wear", ""),
            "aftercare": self.advice.get("aftercare", ""),
            "clinic_name": self.name,
            "phone": self.phone_link(),
            "email": f"[{self.email}](mailto:{self.email})" if self.email else "",
            "therapists": self.therapists_text(),
            **{key: self._or_ask_us(value) for key, value in self.client_facts().items()},
            "home_visits": " ".join(self.client_info.home_visits.split()) or NO_HOME_VISITS_TEXT,
        }

    def phone_link(self) -> str:
        """The clinic's phone as a tap-to-call link in the answers' light
        markdown ("[020 7946 0000](tel:+442079460000)": the widget shows a
        link, channels without links show the number and the tel: address)."""
        from .contact import InvalidContact, normalise_phone  # contact imports nothing of ours

        try:
            return f"[{self.phone}](tel:{normalise_phone(self.phone, self.country_code)})"
        except InvalidContact:
            return self.phone

    def client_facts(self) -> dict[str, str]:
        """The answers to real clients' practical questions as the clinic set
        them ("" where it has not)."""
        info = self.client_info
        return {
            "deposit": self.policies.deposit,
            "undressing": self.advice.get("undressing", ""),
            "showering": self.advice.get("showering", ""),
            "eating_before": self.advice.get("eating_before", ""),
            "tipping": info.tipping,
            "insurance": info.insurance,
            "gift_vouchers": info.gift_vouchers,
            "packages": info.packages,
            "couples": info.couples,
            "children": info.children,
            "qualifications": info.qualifications,
            "therapist_choice": info.therapist_choice,
            "oils": info.oils,
        }

    def _or_ask_us(self, value: str) -> str:
        """The clinic's text, or where it has none, how to ask (never a guess)."""
        value = " ".join(str(value or "").split())
        return value or NOT_SET_TEXT.format(phone=self.phone, email=self.email)


def _format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"] if part != "__root__")
        message = item["msg"]
        if item["type"] == "value_error.missing":
            message = "is required but missing"
        lines.append(f"{location}: {message}" if location else message)
    return "; ".join(lines)


def parse_profile(data: Any, source: str = "profile") -> ClinicProfile:
    """Validate already-loaded YAML data."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: must be a YAML mapping of fields, got {type(data).__name__}")
    try:
        return ClinicProfile.parse_obj(data)
    except ValidationError as exc:
        raise ProfileError(f"{source}: invalid clinic profile: {_format_errors(exc)}") from None


def load_profile(path: str | Path | None = None) -> ClinicProfile:
    """Load and validate the clinic profile.

    ``path`` defaults to ``$CLINIC_PROFILE`` or the repository's
    clinic/profile.yml. Raises :class:`ProfileError` naming the bad field(s).
    """
    path = Path(path or os.environ.get("CLINIC_PROFILE") or DEFAULT_PROFILE_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read clinic profile ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    return parse_profile(data, str(path))


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> ClinicProfile:
    return load_profile(path)


def profile_path() -> Path:
    """The profile file in use: ``$CLINIC_PROFILE`` or the repository's."""
    return Path(os.environ.get("CLINIC_PROFILE") or DEFAULT_PROFILE_PATH)


def current_profile(path: str | Path | None = None) -> ClinicProfile:
    """Like :func:`load_profile` but cached until the file changes on disk."""
    resolved = Path(path) if path else profile_path()
    try:
        mtime = resolved.stat().st_mtime
    except OSError:
        return load_profile(resolved)
    return _cached(str(resolved), mtime)


# Module-level forms of the chat texts (the current profile unless one is given).
def price_list(profile: ClinicProfile | None = None, service_id: str | None = None) -> str:
    return (profile or current_profile()).price_list(service_id)


def durations(profile: ClinicProfile | None = None, service_id: str | None = None) -> str:
    return (profile or current_profile()).durations(service_id)


def opening_hours_text(profile: ClinicProfile | None = None, today: dt.date | None = None) -> str:
    return (profile or current_profile()).opening_hours_text(today)


def address_text(profile: ClinicProfile | None = None, with_directions: bool = False) -> str:
    return (profile or current_profile()).address_text(with_directions)


def cancellation_text(profile: ClinicProfile | None = None) -> str:
    return (profile or current_profile()).cancellation_text()
