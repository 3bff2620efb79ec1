"""Cleaning of client text before the assistant reads it.

Kept free of Rasa so the same rules apply in the NLU pipeline, in the action
server and in tests.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def clean_text(text: str, max_chars: int = 600) -> str:
    """Strip markup, collapse whitespace and cut at a word boundary.

    The cut keeps the start of the message, which is where clients put their
    question; the rest of a long story is rarely needed to pick an intent.
    """
    text = _TAG.sub(" ", html.unescape(text[: max_chars * 4]))
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > max_chars // 2 else cut


def has_words(text: str) -> bool:
    """True when the text holds at least one letter (not only emoji,
    digits or punctuation), i.e. something an NLU model can read."""
    return bool(_LETTER.search(text or ""))


# A question ends at "?" (or a sentence at ". " / "! "), or turns into a
# second one at "and" / "also" followed by a question opener: "how much is
# 90 minutes and are you open on Saturday?".
_SENTENCE_END = re.compile(r"(?<=[?!.])\s+(?=\S)")
_QUESTION_OPENER = (
    r"(?:are|is|do|does|did|can|could|how|what|whats|what's|when|where|which|who|"
    r"will|would|should)"
)
_JOINED_QUESTION = re.compile(
    rf",?\s+(?:and|also|plus|&)\s+(?:also\s+)?(?={_QUESTION_OPENER}\b)", re.I
)
_MIN_PART_WORDS = 3


def question_parts(text: str) -> list[tuple[int, int]]:
    """Where each question of a message is, as (start, end) character spans.

    One span for an ordinary message: the split is cheap (two regexes) and
    only messages that plainly hold two or more questions get more. Parts of
    fewer than three words ("Hi!", "Thanks.") are left out, so a greeting
    before a question does not count as a second question."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in list(_SENTENCE_END.finditer(text)) + [None]:
        end = cut.start() if cut else len(text)
        sentence_start = start
        for joint in _JOINED_QUESTION.finditer(text, start, end):
            spans.append((sentence_start, joint.start()))
            sentence_start = joint.end()
        spans.append((sentence_start, end))
        start = cut.end() if cut else len(text)
    kept = [(s, e) for s, e in spans if len(text[s:e].split()) >= _MIN_PART_WORDS]
    return kept if len(kept) > 1 else [(0, len(text))]
