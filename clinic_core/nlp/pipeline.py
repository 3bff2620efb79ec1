"""Build the project's own spaCy pipeline (no downloaded model).

The pipeline is assembled from built-in components only, so the saved
directory loads with a plain ``spacy.load(path)`` in any process (Rasa's
SpacyNLP loads it by path) without importing this module and without
spacy-lookups-data installed:

``sentencizer``
    sentence boundaries from punctuation.
``lemmatizer`` (lookup mode)
    lemma tables copied from spacy-lookups-data at build time and saved with
    the pipeline.
``entity_ruler`` (phrase matcher on ``LOWER``)
    ``CONDITION`` and ``MEDICATION`` from the clinic's rules file
    (``conditions[].recognise.terms`` / ``.medications``) and one label per
    terminology file ``data/lookups/*.yml`` (``{label, terms: {id: [..]}}``):
    ``MASSAGE_TYPE``, ``BODY_AREA``, ``QUALIFIER``.  Every entity's
    ``ent_id_`` is its canonical id.  Inflected forms of a phrase's last word
    (``knee`` -> ``knees``, ``tooth`` -> ``teeth``, ``sprain`` -> ``sprained``)
    are added from the English lemma table, so the patterns are lemma-based
    without depending on the capitalisation the lookup lemmatizer needs.
``span_ruler`` (``doc.spans["clinic_time"]``, label ``TIME``)
    durations and points in time ("3 days ago", "20 wks", "since March",
    "second trimester"); kept apart from ``doc.ents`` so that they never
    compete with a condition for the same tokens.  The span id says which
    kind of expression it is (see ``TIME_KINDS``); the reader computes days.

What the reader needs besides the patterns (medication -> conditions, phrases
shared by several ids, words inside a condition that name a body area or a
qualifier, groups, opposites and the short names read only in comparisons
from the lookups) is stored in
``nlp.meta["clinic"]`` and therefore in ``meta.json``.

CLI: ``python -m clinic_core.nlp.pipeline [--out build/spacy_clinic]``
rebuilds only when the inputs' content hash changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import spacy
import yaml
from spacy.language import Language

from clinic_core.nlp.labels import (
    BODY_AREA,
    CONDITION,
    MASSAGE_TYPE,
    MEDICATION,
    NOT_CONTRAINDICATION,
    QUALIFIER,
)

if TYPE_CHECKING:
    from spacy.pipeline import EntityRuler, Lemmatizer, SpanRuler

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOOKUPS_DIR = REPO_ROOT / "data" / "lookups"
DEFAULT_RULES_PATH = REPO_ROOT / "clinic" / "screening_rules.yml"
DEFAULT_OUT_DIR = REPO_ROOT / "build" / "spacy_clinic"

#: Bump when the way patterns are generated changes in a way the hash of this
#: file would not show (it does include this file's source anyway).
PIPELINE_VERSION = 1
HASH_FILE = "inputs.sha256"
TIME_SPANS_KEY = "clinic_time"
TIME_LABEL = "TIME"
#: Ids of the TIME spans.
#: ``past_point`` ("in March", "on Monday") counts only in a clause that speaks
#: of the past ("I had Botox on Monday", not "can I come on Monday").
TIME_KINDS = (
    "ago",
    "span",
    "within",
    "point",
    "past_point",
    "since",
    "trimester",
    "pregnancy_weeks",
    "long_ago",
)

_DETERMINERS = {"a", "an", "the", "my", "some", "any", "his", "her", "your"}

# Exact duplicates are resolved in this order (earlier wins).
_LABEL_PRIORITY = {
    MEDICATION: 0,
    CONDITION: 1,
    MASSAGE_TYPE: 2,
    QUALIFIER: 3,
    BODY_AREA: 4,
    NOT_CONTRAINDICATION: 5,
}

# --------------------------------------------------------------------------
# Time expressions (span_ruler patterns)
# --------------------------------------------------------------------------
_UNITS_RE = (
    r"^(h|hrs?|hours?|d|days?|dys|w|wks?|weeks?|wkes|weks?|mths?|mnths?|months?|mos?|yrs?|years?)$"
)
_UNIT = {"LOWER": {"REGEX": _UNITS_RE}}
_WEEK_UNIT = {"LOWER": {"REGEX": r"^(w|wks?|weeks?|wkes|weks?)$"}}
_MONTH_UNIT = {"LOWER": {"REGEX": r"^(mths?|mnths?|months?|mos?)$"}}
_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
]
_NUM = {"LIKE_NUM": True, "LOWER": {"NOT_IN": _ORDINALS}}
_NUM_OPT = {"LIKE_NUM": True, "LOWER": {"NOT_IN": _ORDINALS}, "OP": "?"}
_DASH_OPT = {"ORTH": {"IN": ["-", "–", "to", "or"]}, "OP": "?"}
_GLUED = {
    "LOWER": {
        "REGEX": r"^\d+(\.\d+)?(h|hrs?|hours?|d|days?|w|wks?|weeks?|mths?|months?|yrs?|years?)$"
    }
}
_AGO = {"LOWER": {"IN": ["ago", "back", "agao", "agp"]}}
_CHILDHOOD = [
    "kid",
    "child",
    "teenager",
    "teen",
    "baby",
    "toddler",
    "boy",
    "girl",
    "schoolboy",
    "schoolgirl",
]
_FEW = {"LOWER": {"IN": ["couple", "few", "several"]}, "OP": "?"}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "christmas",
    "xmas",
]
_WEEKDAYS = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
]


def time_patterns() -> list[dict[str, Any]]:
    """Token patterns for durations and points in time (label TIME)."""
    num: list[dict[str, Any]] = [_NUM, _DASH_OPT, _NUM_OPT]
    art: list[dict[str, Any]] = [{"LOWER": {"IN": ["a", "an"]}}, _FEW, {"LOWER": "of", "OP": "?"}]
    pats: list[tuple[str, list[dict[str, Any]]]] = [
        ("ago", num + [_UNIT, _AGO]),
        ("ago", [_GLUED, _AGO]),
        ("ago", art + [_UNIT, _AGO]),
        (
            "ago",
            [
                {"LOWER": {"IN": ["few", "couple", "several"]}},
                {"LOWER": "of", "OP": "?"},
                _UNIT,
                _AGO,
            ],
        ),
        # "years ago", "weeks back": at least two of them (the most recent
        # reading, so the cautious one)
        ("ago", [{"LOWER": {"REGEX": r"^(days|weeks|wks|months|mths|years|yrs)$"}}, _AGO]),
        # "as a kid", "when I was a child": long ago (issue 11: an old,
        # healed fracture is not one "in the last 3 months")
        (
            "long_ago",
            [
                {"LOWER": "as"},
                {"LOWER": {"IN": ["a", "an"]}},
                {"LOWER": {"IN": _CHILDHOOD}},
            ],
        ),
        (
            "long_ago",
            [
                {"LOWER": "when"},
                {"LOWER": "i"},
                {"LOWER": {"IN": ["was", "were"]}},
                {"LOWER": {"IN": ["a", "an", "little", "young", "small"]}},
                {"LOWER": {"IN": _CHILDHOOD}, "OP": "?"},
            ],
        ),
        ("long_ago", [{"LOWER": "in"}, {"LOWER": "my"}, {"LOWER": {"IN": ["childhood", "teens"]}}]),
        ("span", num + [_UNIT]),
        ("span", [_GLUED]),
        (
            "span",
            [
                {"LOWER": "for"},
                {"LOWER": {"IN": ["a", "an"]}},
                _FEW,
                {"LOWER": "of", "OP": "?"},
                _UNIT,
            ],
        ),
        ("within", [{"LOWER": {"IN": ["last", "past"]}}, *num, _UNIT]),
        (
            "within",
            [
                {"LOWER": {"IN": ["last", "past"]}},
                {"LOWER": {"IN": ["few", "couple"]}},
                {"LOWER": "of", "OP": "?"},
                _UNIT,
            ],
        ),
        (
            "point",
            [{"LOWER": {"IN": ["yesterday", "yday", "yesterdy", "yesteday", "today", "tonight"]}}],
        ),
        (
            "point",
            [{"LOWER": {"IN": ["this", "earlier"]}}, {"LOWER": {"IN": ["morning", "today"]}}],
        ),
        (
            "point",
            [
                {"LOWER": "last"},
                {
                    "LOWER": {
                        "IN": ["night", "week", "wk", "month", "year", "yr"] + _MONTHS + _WEEKDAYS
                    }
                },
            ],
        ),
        ("point", [{"LOWER": "past"}, {"LOWER": {"IN": ["week", "wk", "month", "year", "yr"]}}]),
        ("past_point", [{"LOWER": {"IN": ["in", "during", "at"]}}, {"LOWER": {"IN": _MONTHS}}]),
        ("past_point", [{"LOWER": "on"}, {"LOWER": {"IN": _WEEKDAYS}}]),
        ("point", [{"LOWER": "day"}, {"LOWER": "before"}, {"LOWER": "yesterday"}]),
        ("point", [{"LOWER": "the"}, {"LOWER": "other"}, {"LOWER": "day"}]),
        ("since", [{"LOWER": {"IN": ["since", "from"]}}, {"LOWER": {"IN": _MONTHS + _WEEKDAYS}}]),
        (
            "since",
            [
                {"LOWER": "since"},
                {"LOWER": {"IN": ["last"]}},
                {"LOWER": {"IN": ["week", "month", "year"] + _MONTHS + _WEEKDAYS}},
            ],
        ),
        ("since", [{"LOWER": "since"}, {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}]),
        ("point", [{"LOWER": {"IN": ["in", "during"]}}, {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}]),
        ("since", [{"LOWER": "back"}, {"LOWER": "in"}, {"LOWER": {"IN": _MONTHS}}]),
        (
            "trimester",
            [
                {"LOWER": {"IN": ["first", "second", "third", "1st", "2nd", "3rd"]}},
                {"LOWER": {"IN": ["trimester", "trimesters", "trimster", "trimestre", "tri"]}},
            ],
        ),
        (
            "pregnancy_weeks",
            num
            + [
                _WEEK_UNIT,
                {
                    "LOWER": {
                        "REGEX": r"^(pregnant|preg|pg|along|gestation|pregant|pragnant|prenant)$"
                    }
                },
            ],
        ),
        (
            "pregnancy_weeks",
            [
                _GLUED,
                {
                    "LOWER": {
                        "REGEX": r"^(pregnant|preg|pg|along|gestation|pregant|pragnant|prenant)$"
                    }
                },
            ],
        ),
        (
            "pregnancy_weeks",
            num
            + [_MONTH_UNIT, {"LOWER": {"REGEX": r"^(pregnant|preg|pregant|pragnant|prenant)$"}}],
        ),
        ("pregnancy_weeks", [{"TEXT": {"REGEX": r"^\d{1,2}\+?\d?/40$"}}]),
    ]
    return [{"label": TIME_LABEL, "pattern": p, "id": kind} for kind, p in pats]


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------
def _norm_phrase(phrase: Any) -> str:
    text = str(phrase).replace("\u2019", "'").replace("\u2018", "'").strip().lower()
    return re.sub(r"\s+", " ", text)


def read_lookups(lookups_dir: Path) -> list[dict[str, Any]]:
    """All ``*.yml`` terminology files, sorted by name."""
    out = []
    for path in sorted(Path(lookups_dir).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        label = data.get("label")
        terms = data.get("terms")
        if not isinstance(label, str) or not isinstance(terms, dict):
            raise ValueError(f"{path}: expected {{label: LABEL, terms: {{id: [phrases]}}}}")
        out.append(
            {
                "path": path,
                "label": label,
                "terms": terms,
                "groups": data.get("groups") or {},
                "opposites": data.get("opposites") or {},
                "in_comparisons": data.get("in_comparisons") or {},
            }
        )
    return out


def read_rules(rules_path: Path) -> list[dict[str, Any]]:
    """``[{id, terms, medications: {canonical: [aliases]}}]`` from the rules file."""
    data = yaml.safe_load(Path(rules_path).read_text(encoding="utf-8")) or {}
    out = []
    harmless = [_norm_phrase(t) for t in data.get("not_contraindications") or []]
    if harmless:
        out.append(
            {
                "id": "not_contraindication",
                "terms": harmless,
                "medications": {},
                "label": NOT_CONTRAINDICATION,
            }
        )
    for cond in data.get("conditions") or []:
        cid = cond.get("id")
        rec = cond.get("recognise") or {}
        if not cid:
            continue
        meds: dict[str, list[str]] = {}
        for med in rec.get("medications") or []:
            if isinstance(med, dict):  # {canonical: [aliases]} also accepted
                for name, aliases in med.items():
                    meds.setdefault(_norm_phrase(name), []).extend(
                        _norm_phrase(a) for a in aliases or []
                    )
            else:
                meds.setdefault(_norm_phrase(med), [])
        out.append(
            {
                "id": str(cid),
                "terms": [_norm_phrase(t) for t in rec.get("terms") or []],
                "medications": meds,
            }
        )
    return out


def inputs_hash(
    lookups_dir: Path = DEFAULT_LOOKUPS_DIR, rules_path: Path = DEFAULT_RULES_PATH
) -> str:
    """Content hash of everything the saved pipeline depends on."""
    import spacy_lookups_data  # noqa: F401  (build-time dependency)

    h = hashlib.sha256()
    h.update(f"v{PIPELINE_VERSION};spacy={spacy.__version__};".encode())
    h.update(f"lookups-data={getattr(spacy_lookups_data, '__version__', '?')};".encode())
    h.update(Path(__file__).read_bytes())
    for path in sorted(Path(lookups_dir).glob("*.yml")):
        h.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    h.update(b"\0rules\0" + Path(rules_path).read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------
# Pattern generation
# --------------------------------------------------------------------------
def _lemma_forms() -> tuple[dict[str, str], dict[str, list[str]]]:
    """English lookup lemma table and its reverse (lemma -> inflected forms)."""
    import spacy_lookups_data
    from spacy.util import load_language_data

    table = cast("dict[str, str]", load_language_data(spacy_lookups_data.en["lemma_lookup"]))
    reverse: dict[str, list[str]] = {}
    for form, lemma in table.items():
        reverse.setdefault(lemma, []).append(form)
    return table, reverse


def _inflections(
    word: str, table: dict[str, str], reverse: dict[str, list[str]], past: bool
) -> list[str]:
    """Plural (and, with ``past``, past-tense) forms of ``word`` when it is
    itself a lemma: knee -> knees, tooth -> teeth, sprain -> sprained."""
    if not word.isalpha() or len(word) < 3 or table.get(word, word) != word:
        return []
    forms = []
    for form in reverse.get(word, []):
        if form.endswith(("ing", "er", "est", "'s")) or not form.isalpha() or len(form) < 3:
            continue
        if not past and (form.endswith("ed") or not form.endswith("s")) and form[:3] == word[:3]:
            continue  # keeps irregular plurals (teeth, feet), drops armed / kneed
        forms.append(form)
    return sorted(forms)


def _variants(
    nlp: Language,
    phrase: str,
    table: dict[str, str],
    reverse: dict[str, list[str]],
    inflect: bool = True,
    past: bool = False,
) -> list[str]:
    """The phrase, its apostrophe-less spelling and inflections of its last word."""
    out = [phrase]
    if "'" in phrase:
        out.append(phrase.replace("'", ""))
    for base in list(out):
        if re.search(r"\w-\w", base):  # high-risk -> high risk, highrisk
            out.append(re.sub(r"(?<=\w)-(?=\w)", " ", base))
            out.append(re.sub(r"(?<=\w)-(?=\w)", "", base))
    if inflect:
        for base in list(out):
            words = [t.text for t in nlp.make_doc(base)]
            if not words:
                continue
            for form in _inflections(words[-1], table, reverse, past=past and len(words) == 1):
                # rebuild from the original text so spacing is kept
                idx = base.rfind(words[-1])
                out.append(base[:idx] + form + base[idx + len(words[-1]) :])
    seen, uniq = set(), []
    for v in out:
        if v and v not in seen:
            seen.add(v)
            uniq.append(v)
    return uniq


def _contains(seq: list[str], sub: list[str]) -> bool:
    n = len(sub)
    return any(seq[i : i + n] == sub for i in range(len(seq) - n + 1))


def _start(base: str | None) -> Language:
    """A blank English pipeline, or a pretrained one (e.g. en_core_web_md,
    for its word vectors) whose statistical NER is replaced by our ruler.

    Only the components a base lacks are added, and a base's trained weights
    are never re-initialised."""
    if not base:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()  # loads the lemma tables from spacy-lookups-data into the lemmatizer
        return nlp
    nlp = spacy.load(base, exclude=["ner"])
    if not {"parser", "senter", "sentencizer"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer")
    if "lemmatizer" not in nlp.pipe_names:
        cast("Lemmatizer", nlp.add_pipe("lemmatizer", config={"mode": "lookup"})).initialize()
    return nlp


def build_pipeline(
    lookups_dir: Path = DEFAULT_LOOKUPS_DIR,
    rules_path: Path = DEFAULT_RULES_PATH,
    base: str | None = None,
) -> Language:
    """Assemble and initialise the pipeline from the terminology and rules files."""
    lookups = read_lookups(Path(lookups_dir))
    rules = read_rules(Path(rules_path))
    table, reverse = _lemma_forms()

    nlp = _start(base)
    ruler = cast(
        "EntityRuler",
        nlp.add_pipe(
            "entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
        ),
    )
    span_ruler = cast(
        "SpanRuler",
        nlp.add_pipe(
            "span_ruler",
            config={
                "spans_key": TIME_SPANS_KEY,
                "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
                "annotate_ents": False,
                "validate": True,
            },
        ),
    )

    def tok_key(text: str) -> str:
        return " ".join(t.lower_ for t in nlp.make_doc(text))

    # token key -> list of (priority, explicit, label, id); first text seen
    entries: dict[str, list[tuple[int, int, str, str]]] = {}
    texts: dict[str, str] = {}

    def add(phrase: str, label: str, cid: str, inflect: bool = True) -> None:
        for variant in _variants(nlp, phrase, table, reverse, inflect, past=label == CONDITION):
            explicit = 0 if variant == phrase else 1
            key = (_LABEL_PRIORITY.get(label, 9), explicit, label, cid)
            tkey = tok_key(variant)
            if not tkey:
                continue
            texts.setdefault(tkey, variant)
            bucket = entries.setdefault(tkey, [])
            if key not in bucket:
                bucket.append(key)

    medications: dict[str, list[str]] = {}
    for cond in rules:
        for term in cond["terms"]:
            add(term, cond.get("label", CONDITION), cond["id"])
        for name, aliases in cond["medications"].items():
            medications.setdefault(name, [])
            if cond["id"] not in medications[name]:
                medications[name].append(cond["id"])
            for phrase in [name, *aliases]:
                add(phrase, MEDICATION, name, inflect=False)

    groups: dict[str, dict[str, list[str]]] = {}
    opposites: dict[str, dict[str, str]] = {}
    in_comparisons: dict[str, dict[str, str]] = {}  # label -> short name -> id
    for lk in lookups:
        label = lk["label"]
        groups[label] = {str(k): [str(x) for x in v] for k, v in lk["groups"].items()}
        opposites[label] = {str(k): str(v) for k, v in lk["opposites"].items()}
        in_comparisons[label] = {
            _norm_phrase(word): str(cid)
            for cid, words in lk["in_comparisons"].items()
            for word in words or []
        }
        for cid, phrases in lk["terms"].items():
            for phrase in phrases or []:
                add(_norm_phrase(phrase), label, str(cid))

    # The entity ruler resolves equal-length overlaps by taking the leftmost
    # match, so "a cold" would beat "cold sore" in "a cold sore".  Give every
    # phrase that can follow a determiner-led pattern the same determiner.
    det_first: dict[str, set[str]] = {}
    for tkey in entries:
        toks = tkey.split(" ")
        if len(toks) > 1 and toks[0] in _DETERMINERS:
            det_first.setdefault(toks[1], set()).add(toks[0])
    for tkey, keys in list(entries.items()):
        toks = tkey.split(" ")
        if toks[0] in _DETERMINERS or toks[0] not in det_first or len(toks) < 2:
            continue
        for det in sorted(det_first[toks[0]]):
            new_key = f"{det} {tkey}"
            if new_key not in entries:
                entries[new_key] = [(k[0], 1, k[2], k[3]) for k in keys]
                texts[new_key] = f"{det} {texts[tkey]}"

    patterns: list[dict[str, Any]] = []  # entity ruler patterns: label, pattern, id
    multi: dict[str, list[str]] = {}
    shadowed: dict[str, list[list[str]]] = {}
    for tkey, keys in entries.items():
        variant = texts[tkey]
        keys.sort()
        # explicit phrases beat generated inflections of the same variant
        best_explicit = min(k[1] for k in keys)
        keys = [k for k in keys if k[1] == best_explicit]
        winner = keys[0]
        patterns.append({"label": winner[2], "pattern": variant, "id": winner[3]})
        same_label_ids = []
        for k in keys:
            if k[2] == winner[2] and k[3] not in same_label_ids:
                same_label_ids.append(k[3])
        if len(same_label_ids) > 1 and winner[2] == CONDITION:
            multi[tkey] = same_label_ids
        others = [[k[2], k[3]] for k in keys if k[2] != winner[2]]
        if others:
            shadowed[tkey] = others
    # Phrases inside longer phrases of another label: the entity ruler keeps
    # only the longest match, so the reader recovers what the shorter one
    # said ("swollen calf" -> body area calf; "high-risk pregnancy" ->
    # qualifier high_risk; "jaw massage" -> body area jaw).
    by_tokens: dict[tuple[str, ...], tuple[str, str]] = {}
    for p in patterns:
        by_tokens.setdefault(
            tuple(t.lower_ for t in nlp.make_doc(p["pattern"])), (p["label"], p["id"])
        )
    contains: dict[str, list[list[str]]] = {}
    for p in patterns:
        words = tuple(t.lower_ for t in nlp.make_doc(p["pattern"]))
        found: list[list[str]] = []
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if (i, j) == (0, len(words)):
                    continue
                hit = by_tokens.get(words[i:j])
                if hit and hit[0] != p["label"] and list(hit) not in found:
                    found.append(list(hit))
        if found:
            contains[" ".join(words)] = found
    ruler.add_patterns(patterns)
    span_ruler.add_patterns(time_patterns())

    nlp.meta["name"] = "clinic"
    nlp.meta["version"] = f"{PIPELINE_VERSION}.0.0"
    nlp.meta["description"] = (
        "Massage clinic pre-screen reader: rules-based, built by clinic_core.nlp.pipeline"
    )
    nlp.meta["clinic"] = {
        "pipeline_version": PIPELINE_VERSION,
        "medications": medications,
        "multi_conditions": multi,
        "shadowed": shadowed,
        "contains": contains,
        "groups": groups,
        "opposites": opposites,
        "in_comparisons": in_comparisons,
        "time_spans_key": TIME_SPANS_KEY,
        "condition_ids": [c["id"] for c in rules],
    }
    return nlp


def save_pipeline(
    out_dir: Path = DEFAULT_OUT_DIR,
    lookups_dir: Path = DEFAULT_LOOKUPS_DIR,
    rules_path: Path = DEFAULT_RULES_PATH,
    force: bool = False,
    base: str | None = None,
) -> bool:
    """Build and save the pipeline unless the saved one has the same inputs.

    Returns True when it (re)built.  The new directory replaces the old one
    with renames, so a concurrent reader never sees a half-written model.
    """
    out_dir = Path(out_dir)
    digest = inputs_hash(Path(lookups_dir), Path(rules_path))
    if base:
        digest = hashlib.sha256(f"{digest}:{base}".encode()).hexdigest()
    if not force and is_up_to_date(out_dir, digest):
        return False
    nlp = build_pipeline(Path(lookups_dir), Path(rules_path), base)
    nlp.meta["clinic"]["inputs_sha256"] = digest
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    (tmp / HASH_FILE).write_text(digest + "\n", encoding="utf-8")
    try:
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
    except OSError:
        # another process swapped in its build at the same moment: keep it
        if not (out_dir / "meta.json").is_file() and old.exists():
            old.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True


def is_up_to_date(
    out_dir: Path,
    digest: str | None = None,
    lookups_dir: Path = DEFAULT_LOOKUPS_DIR,
    rules_path: Path = DEFAULT_RULES_PATH,
) -> bool:
    hash_file = Path(out_dir) / HASH_FILE
    if not hash_file.is_file() or not (Path(out_dir) / "meta.json").is_file():
        return False
    if digest is None:
        digest = inputs_hash(Path(lookups_dir), Path(rules_path))
    return hash_file.read_text(encoding="utf-8").strip() == digest


def _resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="build/spacy_clinic", help="output dir (relative to the repo root)"
    )
    parser.add_argument(
        "--lookups", default="data/lookups", help="terminology dir (relative to the repo root)"
    )
    parser.add_argument(
        "--rules",
        default="clinic/screening_rules.yml",
        help="rules file (relative to the repo root)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--base", default=None, help="start from a pretrained pipeline, e.g. en_core_web_md"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    out = _resolve(args.out)
    built = save_pipeline(
        out, _resolve(args.lookups), _resolve(args.rules), force=args.force, base=args.base
    )
    print(f"built {out}" if built else "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
