"""Misspelled condition words, read as the word meant ("temprature",
"diabetis", "pregant"), before the pipeline's exact term matching.

The rules file lists a few common misspellings of some terms, but clients
misspell every word; listing them all does not scale. So a word the reader
would otherwise not know is compared with the words of the condition and
medication terms of the pipeline (the rules file's ``recognise`` terms) and
replaced by the one it is a slip of.

A false read is worse than a missed one here (a fuzzy "cancel" read as
"cancer" would ask for a doctor's note), so a word is corrected only when:

* it is at least :data:`MIN_LENGTH` letters long (short words are too close
  to each other and to names and slang the word table lacks: "fewer" /
  "fever", "spain" / "sprain", "heres" / "herpes");
* it is not an English word: not in spaCy's English lemma table (the
  ``spacy-lookups-data`` package the pipeline is built with; 67,000 word
  forms), not an English stop word, not a word of any of the pipeline's
  terms (body areas, massage types, qualifiers included);
* it starts with the same letter as the term word, and is one edit away
  from it (a letter added, dropped, changed, or two neighbours swapped), or
  two edits for words of :data:`TWO_EDITS_FROM` letters or more; a changed
  letter only in words of :data:`SUBSTITUTION_FROM` letters or more;
* exactly one term word is that close (two equally close: no guess).

SpaCy 3.4 (the project's version) has no fuzzy matcher (``FUZZY`` patterns
came in 3.5), so the edit distance is computed here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from spacy.language import Language

#: shorter words are never corrected
MIN_LENGTH = 6
#: shorter words are not corrected for one changed letter: in a six-letter
#: word that more often makes slang or a name than a slip ("laters" / "lasers")
SUBSTITUTION_FROM = 7
#: words this long may be two edits away from the term word
TWO_EDITS_FROM = 10
#: the entity labels whose words a misspelling is corrected to
LABELS = ("CONDITION", "MEDICATION")


@dataclass(frozen=True)
class Speller:
    """The term words by first letter, what each stands for, and the words
    that are never slips."""

    terms: dict[str, tuple[str, ...]]
    known: frozenset[str]
    #: term word -> the conditions of the terms it is in (a medication's are
    #: the conditions it is listed under): two equally close words that
    #: stand for the same ("warfarin", the listed "warferin") are no ambiguity
    meaning: dict[str, frozenset[str]]

    def correct(self, word: str) -> str | None:
        """The term word ``word`` is a slip of, or None."""
        w = word.lower()
        if len(w) < MIN_LENGTH or not w.isalpha() or w in self.known:
            return None
        limit = 1 if len(w) < TWO_EDITS_FROM else 2
        best: list[str] = []
        best_distance = limit + 1
        for term in self.terms.get(w[0], ()):
            if abs(len(term) - len(w)) > limit:
                continue
            d = edit_distance(w, term, limit)
            if d > limit or (len(w) < SUBSTITUTION_FROM and _one_letter_changed(w, term)):
                continue
            if d < best_distance:
                best, best_distance = [term], d
            elif d == best_distance:
                best.append(term)
        if not best or any(self.meaning[b] != self.meaning[best[0]] for b in best[1:]):
            return None
        return best[0]


def _one_letter_changed(a: str, b: str) -> bool:
    """Same length, one letter different (not two neighbours swapped)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without
    repeated edits of one substring): a swap of two neighbours is one edit,
    the commonest typing slip. Stops early above ``limit`` (returns limit+1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


_LOCK = threading.Lock()
_SPELLERS: dict[int, tuple[Language, Speller]] = {}
_ENGLISH: list[frozenset[str]] = []


def english_words() -> frozenset[str]:
    """spaCy's English lemma table (forms and lemmas) and stop words."""
    if not _ENGLISH:
        import spacy_lookups_data
        from spacy.lang.en.stop_words import STOP_WORDS
        from spacy.util import load_language_data

        table = cast("dict[str, str]", load_language_data(spacy_lookups_data.en["lemma_lookup"]))
        _ENGLISH.append(frozenset(table) | frozenset(table.values()) | frozenset(STOP_WORDS))
    return _ENGLISH[0]


def speller(nlp: Language) -> Speller:
    """The speller for a pipeline's terms (built once per pipeline)."""
    with _LOCK:
        hit = _SPELLERS.get(id(nlp))
        if hit is not None and hit[0] is nlp:
            return hit[1]
        ruler = nlp.get_pipe("entity_ruler") if "entity_ruler" in nlp.pipe_names else None
        patterns: list[dict[str, Any]] = list(getattr(ruler, "patterns", []))
        all_words: set[str] = set()
        medications = (nlp.meta.get("clinic") or {}).get("medications") or {}
        meaning: dict[str, set[str]] = {}
        for p in patterns:
            if not isinstance(p.get("pattern"), str):
                continue
            words = [w for w in p["pattern"].lower().split() if w.isalpha()]
            all_words.update(words)
            if p.get("label") in LABELS:
                ident = str(p.get("id"))
                stands_for = medications.get(ident, []) if p["label"] == "MEDICATION" else [ident]
                for w in words:
                    if len(w) >= MIN_LENGTH:
                        meaning.setdefault(w, set()).update(stands_for)
        by_letter: dict[str, list[str]] = {}
        for w in sorted(meaning):
            by_letter.setdefault(w[0], []).append(w)
        made = Speller(
            terms={k: tuple(v) for k, v in by_letter.items()},
            known=english_words() | frozenset(all_words),
            meaning={w: frozenset(m) for w, m in meaning.items()},
        )
        _SPELLERS[id(nlp)] = (nlp, made)
        return made


def correct_text(nlp: Language, text: str) -> str:
    """``text`` with its misspelled condition words replaced (same spacing;
    the rest untouched)."""
    fix = speller(nlp)
    doc = nlp.make_doc(text)
    if not any(fix.correct(t.text) for t in doc if t.is_alpha):
        return text
    return "".join((fix.correct(t.text) or t.text) + t.whitespace_ for t in doc)
