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
