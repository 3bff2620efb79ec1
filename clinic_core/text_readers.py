"""Readers of the short answers the forms ask for: a name, a phone number, an
email address, a booking reference, a session length, "cancel or move", a
pick among the offered times.

Plain functions of the text (and the clinic's country for phone numbers), so
the booking, cancel/move and call-back forms read an answer the same way and
each reader is unit-tested on its own (tests/unit/test_text_readers.py). The
forms decide what to do with a reading; nothing here words a reply.
"""

from __future__ import annotations

import re

import phonenumbers

from .booking_store import REFERENCE_ALPHABET, REFERENCE_LENGTH, normalise_reference
from .contact import InvalidContact, normalise_email, normalise_phone

__all__ = [
    "clean_name",
    "find_phone",
    "phone_problem",
    "find_email",
    "email_span",
    "reference_from_text",
    "minutes_from_text",
    "move_or_cancel",
    "offer_index",
    "wants_another_time",
    "changes_mind",
    "booking_wish",
    "therapist_named",
    "only_names_a_therapist",
]

# --------------------------------------------------------------------------- #
# names
# --------------------------------------------------------------------------- #

_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:hi|hello|hey)[,!.\s]+)?(?:(?:my|the)\s+(?:full\s+)?name(?:'s|\s+is)?|name'?s|name\s*[:\-]?|it'?s|it\s+is|"
    r"i'?m|i\s+am|this\s+is|call\s+me|put\s+it\s+under|under)\s+",
    re.I,
)
_NOT_A_NAME = {
    "yes",
    "no",
    "yeah",
    "yep",
    "nope",
    "ok",
    "okay",
    "thanks",
    "thank you",
    "hi",
    "hello",
    "hey",
    "bye",
    "sure",
    "fine",
    "why",
    "what",
    "help",
    "stop",
    "cancel",
    "none",
    "skip",
    "later",
}
_QUESTION_WORDS = {
    "what",
    "what's",
    "whats",
    "how",
    "where",
    "when",
    "why",
    "which",
    "who",
    "do",
    "does",
    "did",
    "can",
    "could",
    "is",
    "are",
    "will",
    "would",
    "should",
    "may",
    "tell",
    "i",
    "i'd",
    "i'll",
    "please",
}
_ALSO_NAMES = {"will", "may", "can"}


def clean_name(text: str) -> str | None:
    """ "my name is jane smith" -> "Jane Smith"; None when it is not a name."""
    name = _NAME_PREFIX.sub("", text or "", count=1).strip().strip(".!,;:")
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > 80 or name.lower() in _NOT_A_NAME or name.startswith("/"):
        return None
    if re.search(r"[\d@?#<>{}\[\]=_*/\\|]", name) or len(name.split()) > 6:
        return None
    words = name.lower().split()
    if words[0] in _QUESTION_WORDS and (len(words) > 2 or words[0] not in _ALSO_NAMES):
        return None  # "what to wear", "how long is it" (but "Will Smith" is a name)
    if not re.search(r"[^\W\d_]", name):
        return None
    if name == name.lower():
        name = " ".join(part[:1].upper() + part[1:] for part in name.split(" "))
    return name


# --------------------------------------------------------------------------- #
# phone numbers and email addresses
# --------------------------------------------------------------------------- #


#: where the contact part of "Sarah Jones, 07911 123456" starts: a digit, a
#: "+" or an email address
_CONTACT_START = re.compile(r"\(?\s*[+\d]|[^\s@<>(),;:\"']+@")
#: what joins a name to the number after it ("and my number is", "mobile:")
_CONTACT_LEAD = re.compile(
    r"[\s,;:.\-–(]*(?:\b(?:and|&)\b\s*)?(?:\b(?:my|the)\s+)?"
    r"(?:\b(?:phone|mobile|mob|tel|telephone|cell|number|no|num|contact|email)\b[\s.:)]*)*"
    r"(?:\b(?:number|is|'s)\b[\s:]*)*[\s,;:.\-–()]*$",
    re.I,
)


def split_name_and_contact(text: str) -> tuple[str, str]:
    """ "Sarah Jones, 07911 123456" -> ("Sarah Jones", "07911 123456"): the
    name asked together with the phone number, and the rest. No digit, "+"
    or email: all of it is the name part."""
    text = text or ""
    match = _CONTACT_START.search(text)
    if match is None:
        return text.strip(), ""
    name = _CONTACT_LEAD.sub("", text[: match.start()])
    return name.strip(), text[match.start() :].strip()


def find_phone(text: str, region: str) -> str | None:
    """The first valid phone number in free text, in E.164."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        try:
            return normalise_phone(match.raw_string, region)
        except InvalidContact:
            continue
    try:
        return normalise_phone(text, region)
    except InvalidContact:
        return None


def phone_problem(text: str, region: str) -> str | None:
    """Why `text` is not a usable number, in the words of clinic_core.contact;
    None when it is one."""
    try:
        normalise_phone(text, region)
    except InvalidContact as error:
        return str(error)
    return None


_EMAIL = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[A-Za-z]{2,}")


def email_span(text: str) -> str | None:
    """The part of `text` that looks like an email address, as typed."""
    match = _EMAIL.search(text or "")
    return match.group(0) if match else None


def find_email(text: str) -> str | None:
    """The email address in free text, normalised; None when there is none
    or it is not valid."""
    span = email_span(text)
    if not span:
        return None
    try:
        return normalise_email(span.rstrip("."))
    except InvalidContact:
        return None


# --------------------------------------------------------------------------- #
# bookings: references, lengths, cancel or move, picking a time
# --------------------------------------------------------------------------- #


def reference_from_text(text: str) -> str | None:
    """The booking reference in "it's k7m-2qx" / "ref K7M2QX please"."""
    if not text:
        return None
    alphabet = set(REFERENCE_ALPHABET)
    whole = normalise_reference(text)
    if len(whole) == REFERENCE_LENGTH and set(whole) <= alphabet:
        return whole
    candidates = []
    for token in re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?", text):
        ref = normalise_reference(token)
        if len(ref) == REFERENCE_LENGTH and set(ref) <= alphabet:
            candidates.append((ref, token))
    # in a sentence, a reference has digits or is typed in capitals as shown
    # ("please" and "cancel" are 6 letters too)
    for ref, token in candidates:
        if re.search(r"\d", ref) or token == token.upper():
            return ref
    return None


_LENGTH = re.compile(
    r"\b\d{2,3}\s*-?\s*(?:m\b|mins?\b|minutes?\b)|^\s*(?:minutes\s+)?\d{2,3}\s*$"
    r"|\b(?:an?\s+|one\s+)?hour\s+and\s+a\s+half\b|\b1\.5\s*h\w*|\b(?:an?|one|1)\s*(?:hour|hr)s?\b"
    r"|\bhalf\s+an?\s+hour\b",
    re.I,
)


def without_length(text: str) -> str:
    """ "yes, 90 minutes on Friday" -> "yes,  on Friday": what is left to
    read as a day when a length was said with it."""
    return _LENGTH.sub(" ", text or "")


def minutes_from_text(text: str) -> int | None:
    """60 from "60 minutes", "an hour", "the 60 min one"; 90 from "an hour and a half"."""
    t = text.lower()
    m = re.search(r"\b(\d{2,3})\s*-?\s*(?:m\b|mins?\b|minutes?\b)", t) or re.match(
        r"^\s*(?:minutes\s+)?(\d{2,3})\s*$", t
    )
    if m:
        return int(m.group(1))
    if re.search(r"\b(?:an?|one)\s+hour\s+and\s+a\s+half\b|\b1\.5\s*h|\bhour and a half\b", t):
        return 90
    if re.search(r"\b(?:an?|one|1)\s*(?:hour|hr)\b", t):
        return 60
    if re.search(r"\bhalf\s+an?\s+hour\b", t):
        return 30
    return None


def move_or_cancel(text: str) -> str | None:
    """ "move" or "cancel" when the words say one of them (not both)."""
    lowered = (text or "").lower()
    move = bool(
        re.search(
            r"\b(?:move|moving|reschedul\w*|re-schedul\w*|rearrang\w*|re-arrang\w*|change|"
            r"chang\w+|push|postpone|another (?:day|time)|different (?:day|time)|swap|earlier|later)\b",
            lowered,
        )
    )
    cancel = bool(
        re.search(
            r"\b(?:cancel\w*|can'?t (?:make|come)|cannot (?:make|come)|won'?t (?:make|be able)|"
            r"call (?:it )?off|drop)\b",
            lowered,
        )
    )
    if move and not cancel:
        return "move"
    if cancel and not move:
        return "cancel"
    return None


_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "6th": 5,
}
_PICK = re.compile(
    r"^(?:the\s+|option\s+|number\s+)?(first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th|[1-6])"
    r"(?:\s+(?:one|option|slot|time|please))*[.!]?$"
)
_LAST = re.compile(r"^(?:the\s+)?last(?:\s+one)?[.!]?$")
_OTHER_TIME = re.compile(
    r"\b(?:other|another|different|else)\b|\bnone\b|\bneither\b|\bno(?:ne)? of (?:these|those|them)\b"
    r"|\bdon'?t suit\b|\bdoesn'?t suit\b|\bdon'?t work\b|\bcan'?t (?:do|make)\b",
    re.I,
)


def offer_index(text: str, offered: int) -> int | None:
    """Which of `offered` times "the second one", "2", "the last one" picks."""
    lowered = text.lower().strip()
    m = _PICK.match(lowered)
    if m and offered:
        token = m.group(1)
        index = int(token) - 1 if token.isdigit() else _ORDINALS[token]
        if index < offered:
            return index
    if _LAST.match(lowered) and offered:
        return offered - 1
    return None


def wants_another_time(text: str) -> bool:
    """ "another day", "none of these", "they don't suit me"."""
    return bool(_OTHER_TIME.search(text.lower().strip()))


_CHANGE_CUE = re.compile(
    r"\b(?:actually|actualy|instead|switch|swap|change|changed|rather|prefer|"
    r"(?:make|can) it|not (?:a |the )?(?:body|facial|face))\b"
)


def changes_mind(text: str) -> bool:
    """Whether a message says it changes something ("actually...", "...
    instead", "switch it to", "not a facial"): at a booking step, a service
    named with it is a change of service (the service named is read by
    clinic_core.screening.interview.service_wanted)."""
    return bool(_CHANGE_CUE.search(text.lower()))


_WISH_WORDS = re.compile(
    r"\b(?:book|booking|appointment|slot|availability|available|any chance of|fit me in|"
    r"come in|(?:can|could|may) i (?:get|have|come|do)|i'?d (?:like|love)|i want|i need|"
    r"(?:have|got) (?:you )?(?:anything|any(?:thing)? free|space))\b"
)
_SERVICE_WORDS = re.compile(r"\b(?:mass?s?age?s?|masage|facials?|deep tissue|sports|swedish)\b")
_ASKS_ABOUT = re.compile(
    r"^\s*(?:hi|hello|hey)?[\s,!.]*(?:how|what|why|where|who|which|whose|is|are|does|should|"
    r"do you (?:do|open|offer|close)|when do)\b"
)
_STRONG_WISH = re.compile(
    r"\b(?:book|booking|i'?d (?:like|love)|i want|any chance of|fit me in|"
    r"have you got)\b"
)
#: a question about massage, not a wish to come in ("would massage help my
#: sleep", "how long does an appointment take", "after getting a tattoo")
_ABOUT_MASSAGE = re.compile(
    r"\b(?:help|helps|improve|benefit|how long|how much|cost|price|"
    r"after (?:getting|having|my|a|an|the))\b"
)


#: A message longer than this is a story with a question in it ("a therapist
#: told me that I need three to four massages a month ... does it sound
#: reasonable?": a real client, round five): "I need" or "can I get" inside
#: it reports what someone said more often than it asks for a time, so only
#: a plain wish to book counts there.
_STORY_WORDS = 25


def booking_wish(text: str, names_a_time: bool) -> bool:
    """Whether a message asks to book at a time it names ("facial fri
    afternoon?", "any chance of a sports massage on monday after 5?"): a
    time (``names_a_time``: clinic_core.dates read one), and a wish to come
    in (or, in a short message, a service), in a message that is not a
    question about something ("what time do you close on Friday?", "would
    massage help my sleep at night?"). The intent classifier misses many
    such short messages (issue 11, item 7)."""
    lowered = text.lower().replace("\u2019", "'")
    if not names_a_time or _ASKS_ABOUT.match(lowered):
        return False
    wish = _WISH_WORDS.search(lowered)
    if _ABOUT_MASSAGE.search(lowered) and not (wish and _STRONG_WISH.search(lowered)):
        return False
    words = len(re.findall(r"[a-z0-9']+", lowered))
    if words > _STORY_WORDS:
        return bool(_STRONG_WISH.search(lowered))
    return bool(wish or (words <= 8 and _SERVICE_WORDS.search(lowered)))


# --------------------------------------------------------------------------- #
# a therapist asked for
# --------------------------------------------------------------------------- #

# "I'm Anna", "my name is Tom": the client naming themselves, not a therapist
_SELF_NAMED = r"(?:i'?m|i\s+am|this\s+is|name(?:'s|\s+is|\s+to|\s+should\s+be)?|call\s+me)\s+"

# the words around a therapist's name that ask for nothing else ("can I see
# Tom again?", "with Anna please", "Anna instead"): with only these left, the
# message is a choice of therapist and no answer to the step's question
_CHOICE_WORDS = frozenset(
    """with see seeing can could i i'd id i'll would like love prefer preferably rather have book
    booked booking it please pls again instead actually ok okay oh and to be is the a an if
    possible therapist thanks thank you want get same as last time one yes yeah go for me do
    make that then change swap switch only ideally let's lets how about what maybe sure just
    times time's free her his him she he was so fine great would've by if""".split()
)

_SURNAME = re.compile(r"\s+([A-Z][\w'-]+)")
_CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri
    sat sun january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec i""".split()
)


def therapist_named(text: str, names: dict[str, str]) -> str | None:
    """The id of the one therapist a client asks for by name ("with Anna",
    "can I see Tom again?"); None when none or several are named, or when
    the name is the client's own ("I'm Anna"). `names` maps ids to the
    names clients use (the clinic profile's)."""
    found = set()
    for therapist_id, name in names.items():
        word = re.escape(name.strip().split()[0]) if name.strip() else ""
        if not word:
            continue
        for m in re.finditer(rf"(?<![\w@.]){word}(?![\w@]|\.\w)", text, re.I):
            if re.search(rf"{_SELF_NAMED}$", text[: m.start()], re.I):
                continue
            surname = _SURNAME.match(text[m.end() :])
            if surname and surname.group(1).lower() not in _CALENDAR_WORDS:
                continue  # "Tom O'Neill": a person's full name, the client's own
            found.add(therapist_id)
    return found.pop() if len(found) == 1 else None


def booking_with_therapist(text: str, names: dict[str, str]) -> bool:
    """Whether a message asks to book with one of the clinic's therapists by
    name and no time ("can I book a facial with Tom?", "book me in with
    Anna"). The classifier, which has no therapist's name to learn from,
    reads these below its fallback threshold (book_appointment 0.44; "can I
    book a massage with Anna?" declined), while the same words without the
    name are sure (0.92). A plain wish to book (`_STRONG_WISH`), not a
    question about something, and a name from `names` (the clinic
    profile's: see therapist_named)."""
    lowered = text.lower().replace("\u2019", "'")
    if _ASKS_ABOUT.match(lowered) or not _STRONG_WISH.search(lowered):
        return False
    return therapist_named(text, names) is not None


def only_names_a_therapist(text: str, name: str) -> bool:
    """Whether the message says nothing but which therapist ("with Anna
    please"), so a step's own answer is not in it."""
    first = name.strip().split()[0].lower() if name.strip() else ""
    words = re.findall(r"[a-z']+", text.lower())
    return bool(first) and all(
        w == first or w.rstrip("'s") == first or w in _CHOICE_WORDS for w in words
    )
