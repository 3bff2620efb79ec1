"""Read one client message into a :class:`~clinic_core.screening.model.Reading`.

A rules engine acts on what this returns, so it prefers saying less to saying
something wrong:

* findings come only from the pipeline's ``CONDITION`` and ``MEDICATION``
  entities (a medication stands for the condition(s) it is listed under);
* negation is a small NegEx-style scope: a trigger ("no", "not", "n't",
  "never", "without", "none", "stopped" ...) negates the entities after it
  up to the end of its clause.  Clauses end at sentence ends, at "but",
  "however", "although", "because", "since", "if" ..., and at a comma, dash
  or "and" that is followed by the start of a new clause ("no, I take
  warfarin", "not pregnant and I have diabetes").  Uncertainty phrases ("not
  sure", "don't know", "no idea") are not negations, so an uncertain mention
  stays a (cautious) positive finding.  A condition followed only by
  punctuation and an answer word ("Clots? No.") is negated;
* a condition in a clause that starts with a relative ("my mum had
  cancer") is someone else's and is left out, unless the message is about
  booking for someone else;
* durations become days (weeks*7, months*30, years*365) and are attached to
  the nearest finding of the same clause, else of the same sentence, else (in
  a sentence that starts with "it"/"that"/...) to the finding it refers back
  to; pregnancy weeks ("20 weeks pregnant", "24 wks", "second trimester")
  go to ``weeks_pregnant`` instead;
* body areas and qualifiers attach the same way; a qualifier under a negation
  ("not controlled", "hasn't healed") becomes its opposite from
  ``qualifiers.yml`` or is dropped.

The text is never logged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_core import clock
from clinic_core.nlp.labels import (
    BODY_AREA,
    CONDITION,
    MASSAGE_TYPE,
    MEDICATION,
    NOT_CONTRAINDICATION,
    QUALIFIER,
)
from clinic_core.nlp.spelling import correct_text
from clinic_core.screening.model import HABITUAL, Finding, Reading

if TYPE_CHECKING:  # spaCy is imported where it is used (see load_nlp)
    from spacy.language import Language
    from spacy.tokens import Doc, Span

MAX_CHARS = 2000

# ---------------------------------------------------------------------------
# Word lists (lower-case, after the tokenizer: "don't" -> "do", "n't";
# "dont" -> "do", "nt" which is normalised to "n't"; "I'm" -> "i", "'m")
# ---------------------------------------------------------------------------
_NEG_SINGLE = {
    "no",
    "not",
    "n't",
    "never",
    "none",
    "without",
    "neither",
    "nor",
    "nope",
    "nah",
    "naw",
    "denies",
    "deny",
    "denied",
    "nothing",
    "stopped",
    "quit",
    "nil",
    # a correction: "scrap the rash", "ignore the cold"
    "scrap",
    "scratch",
    "ignore",
    "disregard",
}
_NEG_PHRASES = [
    ("free", "of"),
    ("no", "history", "of"),
    ("absence", "of"),
    ("no", "longer"),
    ("came", "off"),
    ("come", "off"),
    ("coming", "off"),
    ("negative", "for"),
    ("ruled", "out"),
    ("not", "any", "more"),
    ("not", "anymore"),
]
#: Phrases that contain a trigger but do not negate (NegEx "pseudo-triggers").
_PSEUDO = [
    ("not", "sure"),
    ("not", "certain"),
    ("not", "only"),
    ("not", "just"),
    ("no", "idea"),
    ("n't", "know"),
    ("not", "know"),
    ("n't", "remember"),
    ("not", "remember"),
    ("n't", "mind"),
    ("no", "doubt"),
    ("not", "bad"),
    ("not", "too", "bad"),
    ("not", "that", "bad"),
    ("not", "necessarily"),
    ("never", "mind"),
    ("no", "matter"),
    ("n't", "tell"),
    ("n't", "say"),
    ("n't", "recall"),
    ("not", "100"),
    ("n't", "be", "sure"),
    ("n't", "sure"),
    ("no", "clue"),
    ("n't", "wait"),
    ("not", "a", "problem"),
    ("no", "problem"),
    ("no", "worries"),
]
_POST_NEG_ANSWERS = {"no", "none", "nope", "nah", "naw", "never", "negative", "nil", "n/a"}
_POST_NEG_PHRASES = [
    ("ruled", "out"),
    ("was", "ruled", "out"),
    ("came", "back", "negative"),
    ("came", "back", "clear"),
    ("was", "negative"),
    ("tested", "negative"),
    ("negative",),
]
_ANSWER_SEPARATORS = {":", "-", "–", "—", "?", "=", "…", "...", "?!", "??", "/"}

#: A word that starts a clause of its own.
_BOUNDARY_WORDS = {
    "but",
    "however",
    "although",
    "though",
    "except",
    "whereas",
    "because",
    "cos",
    "coz",
    "cuz",
    "besides",
    "unless",
    "while",
    "whilst",
    "otherwise",
    "since",
    "if",
    "when",
    "after",
    "until",
    "till",
    "apart",
    "aside",
    "plus",
    "yet",
}
#: After a comma / dash / "and" these start a new clause.
_CLAUSE_STARTERS = {
    "i",
    "it",
    "he",
    "she",
    "we",
    "they",
    "you",
    "there",
    "this",
    "that",
    "my",
    "our",
    "his",
    "her",
    "their",
    "its",
    "also",
    "just",
    "only",
    "still",
    "now",
    "currently",
    "recently",
    "yes",
    "yeah",
    "yep",
    "yup",
    "had",
    "have",
    "has",
    "take",
    "taking",
    "took",
    "got",
    "get",
    "getting",
    "am",
    "was",
    "is",
    "are",
    "been",
    "on",
    "using",
    "use",
    "did",
    "do",
    "does",
    "last",
    "yesterday",
    "today",
    "started",
    "switched",
    "mainly",
    "mostly",
    "which",
    "who",
    "and",
    "so",
    "then",
    "although",
    "though",
    "but",
    "however",
    "except",
    "apart",
    "plus",
    "otherwise",
    "unfortunately",
    "luckily",
    "thankfully",
    "actually",
    "anyway",
    "instead",
}
_SOFT_PUNCT = {",", "-", "–", "—", ":", "(", ")", "/", "&"}
_LINKS = {"and", "so", "or", "then", "&"}

_QUAL_SKIP = {
    "well",
    "very",
    "fully",
    "really",
    "totally",
    "completely",
    "properly",
    "yet",
    "that",
    "so",
    "too",
    "always",
    "particularly",
    "entirely",
    "quite",
    "been",
    "be",
    "is",
    "'s",
    "was",
    "are",
    "being",
    "currently",
    "still",
    "all",
}
_RELATIVES = {
    "mum",
    "mom",
    "mother",
    "mummy",
    "mam",
    "dad",
    "father",
    "daddy",
    "sister",
    "brother",
    "grandma",
    "grandmother",
    "gran",
    "granny",
    "nan",
    "nana",
    "grandad",
    "granddad",
    "grandfather",
    "grandpa",
    "aunt",
    "auntie",
    "uncle",
    "cousin",
    "husband",
    "wife",
    "partner",
    "boyfriend",
    "girlfriend",
    "son",
    "daughter",
    "friend",
    "family",
    "parents",
    "parent",
    "siblings",
    "colleague",
    "niece",
    "nephew",
    "fiance",
    "fiancee",
    "relative",
    "relatives",
}
_BOOKING_FOR_OTHER = re.compile(r"\b(book|booking|appointment|for my|for her|for him|on behalf)\b")
_ANAPHORS = {"it", "that", "this", "they", "which", "she", "he", "both", "these", "those", "its"}

# Polarity of a (yes / no) answer, matched at the start of the message.
_FILLERS = {
    "hi",
    "hello",
    "hey",
    "um",
    "umm",
    "ummm",
    "uh",
    "uhm",
    "er",
    "erm",
    "hmm",
    "hmmm",
    "hm",
    "well",
    "oh",
    "ah",
    "ok",
    "okay",
    "so",
    "actually",
    "honestly",
    "sorry",
    "thanks",
    "thank",
    "tbh",
    "lol",
    "haha",
    "ahh",
    "ooh",
    "hiya",
    "morning",
    "afternoon",
    "evening",
    "good",
    "dear",
}
_HEDGES = [
    ("not", "sure"),
    ("i", "'m", "not", "sure"),
    ("i", "am", "not", "sure"),
    ("unsure",),
    ("maybe",),
    ("possibly",),
    ("perhaps",),
    ("i", "do", "n't", "know"),
    ("do", "n't", "know"),
    ("dunno",),
    ("idk",),
    ("no", "idea"),
    ("not", "certain"),
    ("i", "think", "so"),
    ("i", "guess"),
    ("might",),
    ("i", "might"),
    ("could", "be"),
    ("kind", "of"),
    ("sort", "of"),
    ("kinda",),
    ("sorta",),
    ("i", "ca", "n't", "remember"),
    ("ca", "n't", "remember"),
    ("i", "do", "n't", "remember"),
    ("not", "really", "sure"),
    ("probably",),
    ("i", "'m", "unsure"),
    ("no", "clue"),
    ("who", "knows"),
    ("i", "'m", "not", "certain"),
    ("not", "100"),
    ("i", "ca", "n't", "be", "sure"),
]
_NEG_LEAD = [
    ("no",),
    ("nope",),
    ("nah",),
    ("naw",),
    ("never",),
    ("none",),
    ("nothing",),
    ("negative",),
    ("nil",),
    ("n/a",),
    ("not",),
    ("i", "do", "n't"),
    ("i", "do", "not"),
    ("i", "have", "n't"),
    ("i", "have", "not"),
    ("i", "'ve", "not"),
    ("i", "'m", "not"),
    ("i", "am", "not"),
    ("i", "did", "n't"),
    ("i", "did", "not"),
    ("i", "was", "n't"),
    ("i", "was", "not"),
    ("i", "'ve", "never"),
    ("i", "have", "never"),
    ("i", "never"),
    ("i", "'d", "say", "no"),
    ("do", "n't", "think", "so"),
    ("definitely", "not"),
    ("absolutely", "not"),
    ("certainly", "not"),
    ("of", "course", "not"),
    ("no", "way"),
    ("i", "ai", "n't"),
    ("i", "wo", "n't"),
    ("i", "'m", "fine"),
    ("i", "am", "fine"),
    ("all", "good"),
    ("i", "'m", "good"),
    ("i", "'m", "ok"),
    ("i", "'m", "okay"),
    ("i", "'m", "healthy"),
    ("not", "at", "all"),
]
_POS_LEAD = [
    ("yes",),
    ("yeah",),
    ("yea",),
    ("yep",),
    ("yup",),
    ("ya",),
    ("yah",),
    ("yh",),
    ("aye",),
    ("sure",),
    ("correct",),
    ("absolutely",),
    ("definitely",),
    ("indeed",),
    ("affirmative",),
    ("true",),
    ("of", "course"),
    ("that", "'s", "right"),
    ("that", "'s", "correct"),
    ("that", "is", "correct"),
    ("that", "is", "right"),
    ("right",),
    ("certainly",),
    ("i", "do", "yes"),
]
#: Count as "yes" only when nothing but punctuation or an aside follows
#: ("I do." / "I have, since March"), not "I do yoga".
_POS_BARE = [
    ("i", "do"),
    ("i", "have"),
    ("i", "am"),
    ("i", "'m"),
    ("i", "did"),
    ("i", "was"),
    ("i", "'ve"),
    ("i", "have", "yes"),
]
_BARE_FOLLOW = {
    "yes",
    "yeah",
    "though",
    "but",
    "actually",
    "indeed",
    "sometimes",
    "too",
    "unfortunately",
    "currently",
    "now",
    "i",
    "since",
    "yep",
}

_NUM_WORDS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "couple": 2,
    "few": 3,
    "several": 3,
    "half": 0.5,
    "dozen": 12,
    "hundred": 100,
}
_MONTH_NUM = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_WEEKDAY_NUM = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_TRIMESTER_WEEKS = {"first": 1, "1st": 1, "second": 14, "2nd": 14, "third": 28, "3rd": 28}
_PREG_WEEK_CUES = {
    "'m",
    "am",
    "m",
    "about",
    "nearly",
    "almost",
    "around",
    "just",
    "over",
    "currently",
    "now",
    "at",
    "she",
    "'s",
    "is",
    "roughly",
}


def _unit_days(word: str) -> float | None:
    w = word.lower()
    if re.fullmatch(r"h|hrs?|hours?", w):
        return 1 / 24
    if re.fullmatch(r"d|days?|dys", w):
        return 1
    if re.fullmatch(r"w|wks?|weeks?|wkes|weks?", w):
        return 7
    if re.fullmatch(r"mths?|mnths?|months?|mos?", w):
        return 30
    if re.fullmatch(r"yrs?|years?", w):
        return 365
    return None


def _number(word: str) -> float | None:
    w = word.lower().replace(",", "")
    if w in _NUM_WORDS:
        return float(_NUM_WORDS[w])
    m = re.fullmatch(r"(\d+)/(\d+)", w)
    if m and int(m.group(2)):
        return int(m.group(1)) / int(m.group(2))
    try:
        return float(w)
    except ValueError:
        return None


def _amount_and_unit(words: Sequence[str]) -> tuple[float | None, float | None]:
    """Numbers and unit of a duration span: '3 days ago', 'twenty-four weeks',
    '3-4 days' (the smaller: the more recent, the stricter), 'a couple of weeks'."""
    unit = None
    groups: list[list[float]] = [[]]
    tens = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
    for k, w in enumerate(words):
        if (
            w in ("-", "–")
            and 0 < k < len(words) - 1
            and words[k - 1] in tens
            and 0 < _NUM_WORDS.get(words[k + 1], 0) < 10
        ):
            continue  # twenty-one
        glued = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", w)
        if glued and _unit_days(glued.group(2)):
            groups[-1].append(float(glued.group(1)))
            unit = _unit_days(glued.group(2))
            continue
        u = _unit_days(w)
        if u is not None and unit is None and (groups[-1] or any(groups)):
            unit = u
            continue
        if w in ("-", "–", "to", "or"):
            groups.append([])
            continue
        n = _number(w)
        if n is not None:
            if w in ("couple", "few", "several") and groups[-1] == [1.0]:
                groups[-1] = []  # "a couple of" -> 2, not 1 + 2
            groups[-1].append(n)
        elif w == "of":
            continue
        elif u is not None and unit is None:
            unit = u
    values = [_sum_number_words(g) for g in groups if g]
    if not values:
        return None, unit
    return min(values), unit


def _sum_number_words(nums: list[float]) -> float:
    """'twenty four' -> 24, '2 1/2' -> 2.5, 'a half' -> 0.5."""
    if len(nums) == 2 and nums[0] == 1 and nums[1] == 0.5:
        return 0.5
    return sum(nums)


def _days_since(month: int, today: date, strictly_before_this_month: bool = False) -> int:
    year = today.year
    if month > today.month or (strictly_before_this_month and month == today.month):
        year -= 1
    return (today - date(year, month, 1)).days


def _weekday_days(wd: int, today: date) -> int:
    return (today.weekday() - wd) % 7 or 7


def _time_value(kind: str, words: list[str], today: date) -> float | None:
    """Days for the day-valued kinds; weeks for pregnancy kinds."""
    if kind == "trimester":
        return _TRIMESTER_WEEKS.get(words[0])
    if kind == "pregnancy_weeks":
        m = re.fullmatch(r"(\d{1,2})\+?(\d)?/40", words[0])
        if m:
            return float(m.group(1))
        n, unit = _amount_and_unit(words[:-1])
        if n is None or unit is None:
            return None
        return n if unit == 7 else n * unit / 7
    if kind == "long_ago":
        return _LONG_AGO_DAYS
    if kind in ("ago", "span", "within"):
        n, unit = _amount_and_unit(
            [w for w in words if w not in ("ago", "back", "agao", "agp", "last", "past")]
        )
        if n is None and unit is not None and kind == "ago" and words[0].endswith("s"):
            n = 2  # "years ago": at least two (the most recent reading is the cautious one)
        if n is None or unit is None:
            return None
        return n * unit
    if kind == "point":
        if words[0] in ("yesterday", "yday", "yesterdy", "yesteday"):
            return 1
        if words[:2] == ["day", "before"]:
            return 2
        if words[:3] == ["the", "other", "day"]:
            return 2
        if words[0] in ("today", "tonight", "this", "earlier"):
            return 0
        if (
            words[0] in ("in", "during")
            and len(words) > 1
            and re.fullmatch(r"(19|20)\d\d", words[1])
        ):
            year = int(words[1])
            # the latest day of that year: the most recent it can have been
            return (today - date(year, 12, 31)).days if year < today.year else None
        if words[0] in ("last", "past") and len(words) > 1:
            w = words[1]
            fixed = {"night": 1, "week": 7, "wk": 7, "month": 30, "year": 365, "yr": 365}
            if w in fixed:
                return fixed[w]
            if w in _MONTH_NUM:
                return _days_since(_MONTH_NUM[w], today, strictly_before_this_month=True)
            if w in _WEEKDAY_NUM:
                return _weekday_days(_WEEKDAY_NUM[w], today)
        return None
    if kind == "past_point":
        w = words[-1]
        if w in _WEEKDAY_NUM:
            return _weekday_days(_WEEKDAY_NUM[w], today)
        if w in ("christmas", "xmas"):
            return _time_value("since", ["since", w], today)
        if w in _MONTH_NUM:
            # the end of the most recent such month: the most recent it can have been
            month = _MONTH_NUM[w]
            if month == today.month:
                return 0
            year = today.year if month < today.month else today.year - 1
            end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
            return (today - end).days
        return None
    if kind == "since":
        rest = [w for w in words if w not in ("since", "from", "back", "in")]
        if not rest:
            return None
        if rest[0] == "last" and len(rest) > 1:
            w = rest[1]
            fixed = {"week": 7, "month": 30, "year": 365}
            if w in fixed:
                return fixed[w]
            if w in _MONTH_NUM:
                return _days_since(_MONTH_NUM[w], today, strictly_before_this_month=True)
            if w in _WEEKDAY_NUM:
                return _weekday_days(_WEEKDAY_NUM[w], today)
            return None
        w = rest[0]
        if w in _MONTH_NUM:
            return _days_since(_MONTH_NUM[w], today)
        if w in _WEEKDAY_NUM:
            return _weekday_days(_WEEKDAY_NUM[w], today)
        if w in ("christmas", "xmas"):
            xmas = date(today.year, 12, 25)
            if xmas > today:
                xmas = date(today.year - 1, 12, 25)
            return (today - xmas).days
        if re.fullmatch(r"(19|20)\d\d", w) and int(w) <= today.year:
            return (today - date(int(w), 1, 1)).days
        return None
    return None


#: "as a kid", "when I was little": at least ten years (a childhood)
_LONG_AGO_DAYS = 3650


def _to_days(value: float) -> int:
    return int(value) if value < 1 else int(round(value))


# ---------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------
_LOCK = threading.Lock()
_NLP_CACHE: dict[str, Any] = {}


def load_nlp(path: Path | str | None = None) -> Language:
    """The project's spaCy pipeline, loaded once per process.

    Without ``path`` it is ``build/spacy_clinic`` under the repo root,
    (re)built first when missing or when its inputs changed.  With a ``path``
    that does not exist the default inputs are built into it.
    """
    import spacy

    from clinic_core.nlp import pipeline as pl

    target = Path(path) if path is not None else pl.DEFAULT_OUT_DIR
    key = str(target.resolve())
    with _LOCK:
        nlp = _NLP_CACHE.get(key)
        if nlp is not None:
            return nlp
        missing = not (target / "meta.json").is_file()
        if missing or (path is None and pl.DEFAULT_RULES_PATH.is_file()):
            pl.save_pipeline(target)
        nlp = spacy.load(target)
        _NLP_CACHE[key] = nlp
        return nlp


@dataclass
class _Maps:
    medications: dict[str, list[str]]
    multi: dict[str, list[str]]
    shadowed: dict[str, list[list[str]]]
    contains: dict[str, list[list[str]]]
    face_areas: frozenset
    opposites: dict[str, str]
    spans_key: str


_MAPS: dict[int, tuple[Any, _Maps]] = {}


def _maps(nlp: Language) -> _Maps:
    hit = _MAPS.get(id(nlp))
    if hit is not None and hit[0] is nlp:
        return hit[1]
    meta = nlp.meta.get("clinic") or {}
    groups = meta.get("groups") or {}
    maps = _Maps(
        medications=meta.get("medications") or {},
        multi=meta.get("multi_conditions") or {},
        shadowed=meta.get("shadowed") or {},
        contains=meta.get("contains") or {},
        face_areas=frozenset((groups.get(BODY_AREA) or {}).get("face") or ()),
        opposites=(meta.get("opposites") or {}).get(QUALIFIER) or {},
        spans_key=meta.get("time_spans_key") or "clinic_time",
    )
    _MAPS[id(nlp)] = (nlp, maps)
    return maps


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
@dataclass
class _Draft:
    condition: str
    start: int
    end: int
    sent: int
    clause: int
    evidence: str
    negated: bool = False
    medication: str | None = None
    body_area: str | None = None
    area_dist: int = 10**6
    days_ago: int | None = None
    weeks_pregnant: int | None = None
    qualifiers: list[str] = field(default_factory=list)

    def add_qualifier(self, q: str) -> None:
        if q not in self.qualifiers:
            self.qualifiers.append(q)


def _normalise_text(text: str) -> str:
    text = (text or "")[:MAX_CHARS]
    return (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )


def _norm_tokens(doc: Doc | Span) -> list[str]:
    out = []
    for i, t in enumerate(doc):
        w = t.lower_
        if w in ("nt", "n't"):
            w = "n't"
        elif w in ("m", "'m") and i and doc[i - 1].lower_ == "i":
            w = "'m"
        elif w in ("ve", "'ve") and i and doc[i - 1].lower_ in ("i", "we", "you", "they"):
            w = "'ve"
        elif re.fullmatch(r"no+", w):
            w = "no"
        elif re.fullmatch(r"ye+s+|yess+", w):
            w = "yes"
        out.append(w)
    return out


def _match_at(toks: Sequence[str], i: int, phrases: Iterable[tuple[str, ...]]) -> int:
    """Length of the longest phrase that starts at ``i`` (0 if none)."""
    best = 0
    for p in phrases:
        n = len(p)
        if n > best and tuple(toks[i : i + n]) == p:
            best = n
    return best


def _clauses(doc: Doc, toks: list[str]) -> tuple[list[int], list[int]]:
    """Sentence index and clause index per token."""
    n = len(toks)
    sent_of = [0] * n
    clause_of = [0] * n
    s = c = 0
    for i, tok in enumerate(doc):
        if i and tok.is_sent_start:
            s += 1
            c += 1
        else:
            w = toks[i]
            nxt = toks[i + 1] if i + 1 < n else ""
            if i and w in _BOUNDARY_WORDS:
                c += 1
            elif i and w == ";":
                c += 1
            elif i and w in _SOFT_PUNCT and nxt in _CLAUSE_STARTERS | _BOUNDARY_WORDS | _NEG_SINGLE:
                c += 1
            elif i and w in _LINKS and nxt in _CLAUSE_STARTERS:
                c += 1
        sent_of[i] = s
        clause_of[i] = c
    return sent_of, clause_of


def _inside(i: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= i < b for a, b in spans)


def _negation_triggers(toks: list[str], ent_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of negation triggers outside entities, pseudo-triggers skipped."""
    out = []
    i, n = 0, len(toks)
    while i < n:
        p = _match_at(toks, i, _PSEUDO)
        if p:
            i += p
            continue
        m = _match_at(toks, i, _NEG_PHRASES)
        if not m and toks[i] in _NEG_SINGLE:
            m = 1
        if m == 1 and i + 1 < n and toks[i + 1] in _SOFT_PUNCT | {".", "!", "?", ";"}:
            m = 0  # "No, apixaban": an answer word, not a determiner with a scope
            i += 1
            continue
        if m and not _inside(i, ent_spans):
            out.append((i, i + m))
            i += m
            continue
        i += 1
    return out


def _post_negated(toks: list[str], end: int, clause_of: list[int]) -> bool:
    n = len(toks)
    j = end
    seps = 0
    while j < n and toks[j] in _ANSWER_SEPARATORS:
        j += 1
        seps += 1
    if (
        j < n
        and toks[j] in _POST_NEG_ANSWERS
        and (seps or toks[j] in ("none", "nope", "nah", "never", "negative"))
    ):
        return True
    # "Pregnant? Not anymore" / "Clots - not that I know of" / "Diabetes? I don't"
    if j < n and seps and not _match_at(toks, j, _HEDGES) and _match_at(toks, j, _NEG_LEAD):
        return True
    # "DVT was ruled out", "covid test came back negative" (same clause)
    k = end
    while k < n and k - end <= 4 and clause_of[k] == clause_of[end - 1]:
        if _match_at(toks, k, _POST_NEG_PHRASES):
            return True
        k += 1
    return False


def _polarity(toks: list[str], doc: Doc | Span) -> bool | None:
    i, n = 0, len(toks)
    while i < n and (toks[i] in _FILLERS or doc[i].is_punct or doc[i].is_space):
        i += 1
    if i >= n:
        return None
    if _match_at(toks, i, _HEDGES):
        return None
    if _match_at(toks, i, _NEG_LEAD):
        return False
    if _match_at(toks, i, _POS_LEAD):
        return True
    m = _match_at(toks, i, _POS_BARE)
    if m:
        j = i + m
        if j >= n or doc[j].is_punct or toks[j] in _BARE_FOLLOW:
            return True
    return None


def read(nlp: Language, text: str, today: date | None = None) -> Reading:
    """What the client said in one message (see the module docstring)."""
    today = (
        today or clock.now().date()
    )  # the clinic's clock (UTC day: at most an hour off London's)
    doc = nlp(correct_text(nlp, _normalise_text(text)))  # misspelled condition words
    maps = _maps(nlp)
    toks = _norm_tokens(doc)
    n = len(toks)
    if not n:
        return Reading()
    sent_of, clause_of = _clauses(doc, toks)
    ent_spans = [(e.start, e.end) for e in doc.ents]
    lower_text = " ".join(toks)
    booking_for_other = bool(_BOOKING_FOR_OTHER.search(lower_text))

    drafts: list[_Draft] = []
    harmless = False  # named something the clinic lists as not a contraindication
    area_mentions: list[tuple[int, int, str]] = []
    qual_mentions: list[tuple[int, int, str]] = []
    body_areas: list[str] = []
    massage_types: list[str] = []

    def uniq_add(lst: list[str], v: str) -> None:
        if v not in lst:
            lst.append(v)

    # Triggers right before a qualifier belong to it ("not controlled").
    triggers = _negation_triggers(toks, ent_spans)
    consumed: set[int] = set()
    flipped: dict[int, bool] = {}
    for e in doc.ents:
        if e.label_ != QUALIFIER:
            continue
        j = e.start - 1
        steps = 0
        while j >= 0 and steps < 4 and toks[j] in _QUAL_SKIP and clause_of[j] == clause_of[e.start]:
            j -= 1
            steps += 1
        for t_idx, (a, b) in enumerate(triggers):
            if j >= 0 and a <= j < b and clause_of[a] == clause_of[e.start]:
                consumed.add(t_idx)
                flipped[e.start] = True
    live_triggers = [t for k, t in enumerate(triggers) if k not in consumed]

    def negated_at(start: int, end: int) -> bool:
        for a, b in live_triggers:
            if b <= start and clause_of[a] == clause_of[start]:
                return True
        return _post_negated(toks, end, clause_of)

    def someone_else(start: int) -> bool:
        if booking_for_other:
            return False
        c = clause_of[start]
        j = start - 1
        while j >= 0 and clause_of[j] == c:
            if toks[j] in _RELATIVES:
                return True
            j -= 1
        # "... runs in the family" / "in my family" / "the cold is my son's"
        k = start
        while k < n and clause_of[k] == c:
            if toks[k] in ("family", "families") and k + 1 <= n:
                return True
            if toks[k] in _RELATIVES and k + 1 < n and toks[k + 1] in ("'s", "s"):
                return True
            k += 1
        return False

    elsewhere: list[str] = []  # conditions said to be someone else's

    def new_draft(cond: str, e: Span, medication: str | None = None) -> _Draft | None:
        if someone_else(e.start):
            uniq_add(elsewhere, cond)
            return None
        d = _Draft(
            condition=cond,
            start=e.start,
            end=e.end,
            sent=sent_of[e.start],
            clause=clause_of[e.start],
            evidence=e.text,
            negated=negated_at(e.start, e.end),
            medication=medication,
        )
        drafts.append(d)
        return d

    for e in doc.ents:
        key = " ".join(t.lower_ for t in e)
        label, cid = e.label_, e.ent_id_
        extra = list(maps.shadowed.get(key, []))
        inner = maps.contains.get(key, [])
        made: list[_Draft] = []
        if label == CONDITION:
            for c in maps.multi.get(key) or [cid]:
                d = new_draft(c, e)
                if d:
                    made.append(d)
        elif label == MEDICATION:
            for c in maps.medications.get(cid, []):
                d = new_draft(c, e, medication=cid)
                if d:
                    made.append(d)
        elif label == BODY_AREA:
            area_mentions.append((e.start, e.end, cid))
            uniq_add(body_areas, cid)
        elif label == QUALIFIER:
            q = cid
            if flipped.get(e.start):
                q = maps.opposites.get(cid, "")
            if q:
                qual_mentions.append((e.start, e.end, q))
        elif label == MASSAGE_TYPE:
            uniq_add(massage_types, cid)
        elif label == NOT_CONTRAINDICATION:
            harmless = True
        # What an exact duplicate of another label said ...
        for other_label, other_id in extra:
            if other_label == BODY_AREA:
                uniq_add(body_areas, other_id)
                area_mentions.append((e.start, e.end, other_id))
            elif other_label == QUALIFIER:
                qual_mentions.append((e.start, e.end, other_id))
            elif other_label == MASSAGE_TYPE:
                uniq_add(massage_types, other_id)
            elif other_label == CONDITION and other_id not in maps.medications.get(cid, []):
                new_draft(other_id, e)
        # ... and what a shorter phrase inside this one said.
        for other_label, other_id in inner:
            if other_label == BODY_AREA and label != MASSAGE_TYPE:
                uniq_add(body_areas, other_id)
                for d in made:
                    if d.body_area is None:
                        d.body_area, d.area_dist = other_id, 0
                if label == QUALIFIER:
                    area_mentions.append((e.start, e.end, other_id))
            elif other_label == QUALIFIER and made:
                for d in made:
                    d.add_qualifier(other_id)
            elif other_label in (CONDITION, MEDICATION) and label in (
                BODY_AREA,
                MASSAGE_TYPE,
            ):
                if other_label == CONDITION:
                    new_draft(other_id, e)
                else:
                    for c in maps.medications.get(other_id, []):
                        new_draft(c, e, medication=other_id)

    # ---- time expressions ------------------------------------------------
    durations: list[int] = []
    weeks_pregnant: int | None = None
    day_mentions: list[tuple[int, int, int]] = []
    spans = (
        sorted(doc.spans[maps.spans_key], key=lambda s: s.start)
        if maps.spans_key in doc.spans
        else []
    )
    non_preg = [d for d in drafts if d.condition not in ("pregnancy", "pregnancy_complication")]
    for sp in spans:
        kind = sp.id_ or sp.label_
        words = _norm_tokens(sp)
        value = _time_value(kind, words, today)
        if value is None:
            continue
        if kind in ("trimester", "pregnancy_weeks"):
            weeks = int(round(value))
            weeks_pregnant = weeks_pregnant or weeks
            _pregnancy_weeks(
                drafts, sp, weeks, sent_of, clause_of, negated_at, new_draft, create=True
            )
            continue
        if kind == "past_point" and not _past_clause(toks, sp.start, clause_of, sent_of):
            continue
        days = _to_days(value)
        if kind == "span" and _unit_of(words) == 7 and value / 7 <= 42:
            weeks = int(round(value / 7))
            before = toks[max(0, sp.start - 3) : sp.start]
            after = toks[sp.end : sp.end + 1]
            if not set(after) & {"ago", "old", "postpartum", "post", "later"}:
                near = _nearest(drafts, sp.start, sp.end, sent_of[sp.start])
                cue = bool(set(before[-2:]) & _PREG_WEEK_CUES)
                if near is not None and near.condition == "pregnancy" and not near.negated:
                    weeks_pregnant = weeks_pregnant or weeks
                    if near.weeks_pregnant is None:
                        near.weeks_pregnant = weeks
                    continue
                excluded = set(before) & {
                    "for",
                    "last",
                    "past",
                    "in",
                    "within",
                    "than",
                    "every",
                    "after",
                }
                if (
                    cue
                    and not excluded
                    and not (near is not None and near.condition != "pregnancy")
                ):
                    weeks_pregnant = weeks_pregnant or weeks
                    _pregnancy_weeks(
                        drafts, sp, weeks, sent_of, clause_of, negated_at, new_draft, create=True
                    )
                    continue
                if not non_preg and not excluded:
                    # a bare "24 wks" answer: the dialogue knows the question
                    weeks_pregnant = weeks_pregnant or weeks
        durations.append(days)
        day_mentions.append((sp.start, sp.end, days))

    # ---- attach body areas, qualifiers, durations -----------------------
    def target(start: int, end: int) -> _Draft | None:
        if not drafts:
            return None
        s, c = sent_of[start], clause_of[start]

        def dist(d: _Draft) -> tuple[int, int]:
            gap = start - d.end if d.end <= start else d.start - end
            return (max(gap, 0), 0 if d.end <= start else 1)

        def prefer_positive(cands: list[_Draft]) -> list[_Draft]:
            pos = [d for d in cands if not d.negated]
            return pos or cands

        same_clause = [d for d in drafts if d.clause == c]
        if same_clause:
            return min(same_clause, key=dist)
        same_sent = prefer_positive([d for d in drafts if d.sent == s])
        before = [d for d in same_sent if d.end <= start]
        if before:
            return min(before, key=dist)
        if same_sent:
            return min(same_sent, key=dist)
        # "I had surgery. It was 3 weeks ago."
        first = next(
            (
                i
                for i in range(n)
                if sent_of[i] == s and toks[i] not in _FILLERS and not doc[i].is_punct
            ),
            None,
        )
        if first is not None and toks[first] in _ANAPHORS:
            prev = prefer_positive([d for d in drafts if d.sent < s])
            if prev:
                return max(prev, key=lambda d: d.end)
        return None

    for a, b, area in area_mentions:
        d = target(a, b)
        if d is None:
            continue
        gap = abs((a - d.end) if d.end <= a else (d.start - b))
        if d.body_area is None or gap < d.area_dist:
            d.body_area, d.area_dist = area, gap
    for a, b, q in qual_mentions:
        d = target(a, b)
        if d is not None:
            d.add_qualifier(q)
    for a, b, days in day_mentions:
        d = target(a, b)
        if d is not None and (d.days_ago is None or days < d.days_ago):
            d.days_ago = days

    for d in drafts:
        if not d.negated and d.days_ago is None and _habitual(toks, d, clause_of, sent_of):
            d.add_qualifier(HABITUAL)
        if d.body_area is None and "face" in d.qualifiers:
            d.body_area = "face"
        if d.body_area in maps.face_areas:
            d.add_qualifier("face")

    findings = _merge(drafts)
    qualifiers: list[str] = []
    for _, _, q in qual_mentions:
        uniq_add(qualifiers, q)
    for f in findings:
        for q in f.qualifiers:
            uniq_add(qualifiers, q)

    polarity = _polarity(toks, doc)
    from_words = polarity is not None
    if polarity is None and not _match_at(toks, _first_word(toks, doc), _HEDGES):
        if any(not f.negated for f in findings):
            polarity = True
        elif findings:
            polarity = False
    return Reading(
        polarity=polarity,
        findings=tuple(findings),
        body_areas=tuple(body_areas),
        massage_types=tuple(massage_types),
        durations_days=tuple(durations),
        weeks_pregnant=weeks_pregnant,
        qualifiers=tuple(qualifiers),
        polarity_from_words=from_words,
        someone_elses=tuple(elsewhere),
        harmless=harmless,
    )


def _first_word(toks: list[str], doc: Doc | Span) -> int:
    i = 0
    while i < len(toks) and (toks[i] in _FILLERS or doc[i].is_punct or doc[i].is_space):
        i += 1
    return i


_PAST_WORDS = {
    "had",
    "was",
    "were",
    "did",
    "got",
    "went",
    "done",
    "broke",
    "fell",
    "came",
    "took",
    "gave",
    "began",
    "hurt",
    "cut",
    "ago",
    "last",
    "since",
    "found",
    "felt",
    "tore",
    "bit",
    "caught",
    "wore",
}
_FUTURE_WORDS = {
    "can",
    "could",
    "will",
    "'ll",
    "would",
    "next",
    "going",
    "gonna",
    "book",
    "booking",
    "appointment",
    "come",
    "available",
    "free",
    "want",
    "like",
    "need",
    "shall",
    "plan",
    "planning",
    "due",
    "coming",
}
_NOT_PAST_ED = {
    "need",
    "feed",
    "bleed",
    "speed",
    "red",
    "bed",
    "shed",
    "seed",
    "breed",
    "indeed",
    "proceed",
    "succeed",
}


def _past_clause(toks: list[str], start: int, clause_of: list[int], sent_of: list[int]) -> bool:
    """Whether the sentence around ``start`` speaks of the past, and its
    clause not of a booking."""
    c, s = clause_of[start], sent_of[start]
    if any(toks[i] in _FUTURE_WORDS for i in range(len(toks)) if clause_of[i] == c):
        return False
    words = [toks[i] for i in range(len(toks)) if sent_of[i] == s]
    return any(
        w in _PAST_WORDS or (len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST_ED)
        for w in words
    )


#: in the finding's clause: said as a habit ("I usually bruise")
_HABIT_ADVERBS = {
    "usually",
    "sometimes",
    "often",
    "occasionally",
    "always",
    "normally",
    "generally",
    "regularly",
    "tend",
    "tends",
    "easily",
}
#: anywhere in the sentence: a habit ("whenever I...", "every time I...")
_HABIT_PHRASES = [("whenever",), ("every", "time"), ("each", "time"), ("any", "time")]
#: a clause of the sentence starting with one of these makes the finding's
#: clause a habit or a condition ("I bruise after sport", "if I get a rash")
#: when the finding's clause says no state ("I have a bruise after a fall"
#: is one now)
_HABIT_CLAUSES = {"when", "if", "after"}
_STATE_WORDS = {"have", "has", "'ve", "got", "is", "am", "'m", "'s", "are", "there", "with"}
#: the finding is there now, whatever else the sentence says
_NOW_WORDS = {"now", "today", "currently", "tonight", "moment"}
#: an "-ed" word after these is an adjective, not the past ("when stressed")
_BEFORE_ADJECTIVE = {"when", "if", "get", "gets", "feel", "feels", "'m", "am", "so", "very"}


def _habitual(toks: list[str], d: _Draft, clause_of: list[int], sent_of: list[int]) -> bool:
    """Whether the finding is said as a habit or a condition, not as there
    now: "I bruise a bit after sport", "I usually get a rash from wool",
    "whenever I fly I feel unwell", "if I get a temperature can I come?".
    Not when the sentence speaks of the past ("I cut my hand when cooking
    yesterday") or of now ("I've got a rash today after the gym")."""
    idx = [i for i in range(len(toks)) if sent_of[i] == d.sent]
    words = [toks[i] for i in idx]
    if set(words) & _NOW_WORDS:
        return False
    past = [
        w
        for k, w in enumerate(words)
        if (w in _PAST_WORDS or (len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST_ED))
        and not (w == "bit" and k and words[k - 1] == "a")  # "a bit" is not "bit"
        and not (k and words[k - 1] in _BEFORE_ADJECTIVE)  # "when stressed", "I get tired"
    ]
    if past and not any(w in ("if", "whenever") for w in words):
        return False
    mine = [toks[i] for i in idx if clause_of[i] == d.clause]
    if set(mine) & _HABIT_ADVERBS:
        return True
    if any(_match_at(words, k, _HABIT_PHRASES) for k in range(len(words))):
        return True
    if set(mine) & _STATE_WORDS and "if" not in mine:
        return False
    starts = [toks[i] for i in idx if i == idx[0] or clause_of[i] != clause_of[i - 1]]
    return bool(set(starts) & _HABIT_CLAUSES)


def _nearest(drafts: list[_Draft], start: int, end: int, sent: int) -> _Draft | None:
    """The nearest finding in the same sentence."""
    cands = [d for d in drafts if d.sent == sent]
    if not cands:
        return None
    return min(cands, key=lambda d: max(start - d.end, d.start - end, 0))


def _unit_of(words: list[str]) -> float | None:
    tens = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
    for k, w in enumerate(words):
        if (
            w in ("-", "–")
            and 0 < k < len(words) - 1
            and words[k - 1] in tens
            and 0 < _NUM_WORDS.get(words[k + 1], 0) < 10
        ):
            continue  # twenty-one
        glued = re.fullmatch(r"\d+(?:\.\d+)?([a-z]+)", w)
        u = _unit_days(glued.group(1)) if glued else _unit_days(w)
        if u is not None:
            return u
    return None


def _pregnancy_weeks(
    drafts: list[_Draft],
    sp: Span,
    weeks: int,
    sent_of: list[int],
    clause_of: list[int],
    negated_at: Callable[[int, int], bool],
    new_draft: Callable[[str, Span], _Draft | None],
    create: bool,
) -> None:
    """Put ``weeks`` on the pregnancy finding of the sentence, creating one
    from the span itself when the client says only "I'm 20 weeks"."""
    s = sent_of[sp.start]
    preg = [d for d in drafts if d.condition == "pregnancy" and d.sent == s and not d.negated]
    if not preg:
        preg = [d for d in drafts if d.condition == "pregnancy" and not d.negated]
    if preg:
        for d in preg:
            if d.weeks_pregnant is None:
                d.weeks_pregnant = weeks
        return
    if create and not any(d.condition == "pregnancy" for d in drafts):
        created = new_draft("pregnancy", sp)
        if created is not None and not created.negated:
            created.weeks_pregnant = weeks


def _merge(drafts: list[_Draft]) -> list[Finding]:
    """One finding per (condition, negated, medication); a medication-less
    mention folds into the medication of the same condition ("blood thinners,
    warfarin")."""
    drafts = sorted(drafts, key=lambda d: d.start)
    groups: dict[tuple, _Draft] = {}
    order: list[tuple] = []
    for d in drafts:
        key = (d.condition, d.negated, d.medication)
        g = groups.get(key)
        if g is None:
            groups[key] = _Draft(**{**d.__dict__, "qualifiers": list(d.qualifiers)})
            order.append(key)
            continue
        if g.body_area is None:
            g.body_area = d.body_area
        if d.days_ago is not None and (g.days_ago is None or d.days_ago < g.days_ago):
            g.days_ago = d.days_ago
        g.weeks_pregnant = g.weeks_pregnant or d.weeks_pregnant
        for q in d.qualifiers:
            g.add_qualifier(q)
    for key in list(order):
        cond, neg, med = key
        if med is not None:
            continue
        with_med = [k for k in order if k[0] == cond and k[1] == neg and k[2] is not None]
        if not with_med:
            continue
        src, dst = groups[key], groups[with_med[0]]
        dst.body_area = dst.body_area or src.body_area
        if src.days_ago is not None and (dst.days_ago is None or src.days_ago < dst.days_ago):
            dst.days_ago = src.days_ago
        for q in src.qualifiers:
            dst.add_qualifier(q)
        order.remove(key)
    out = []
    for key in order:
        g = groups[key]
        out.append(
            Finding(
                condition=g.condition,
                negated=g.negated,
                evidence=g.evidence,
                medication=g.medication,
                body_area=g.body_area,
                days_ago=g.days_ago,
                weeks_pregnant=g.weeks_pregnant,
                qualifiers=tuple(g.qualifiers),
            )
        )
    return out
