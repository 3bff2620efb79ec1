"""The project's spaCy pipeline: build, save, reload in a clean process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from clinic_core.nlp import pipeline as pl

HERE = Path(__file__).resolve().parent
FIXTURE_RULES = HERE / "fixtures" / "screening_rules.yml"
SCREENING_SPEC = pl.REPO_ROOT.parent / "shared" / "spec" / "screening.md"

# Loads the saved pipeline with nothing of this project importable and with
# spacy-lookups-data made unimportable: proves the directory is self-contained.
LOAD_SCRIPT = r"""
import json, sys
sys.modules["spacy_lookups_data"] = None
import spacy
nlp = spacy.load(sys.argv[1])
doc = nlp("I take Eliquis. My knees and feet hurt since 3 days ago, teeth too. Deep tissue please.")
print(json.dumps({
    "pipes": nlp.pipe_names,
    "ents": [[e.text, e.label_, e.ent_id_] for e in doc.ents],
    "lemmas": {t.text: t.lemma_ for t in doc},
    "sents": len(list(doc.sents)),
    "time": [[s.text, s.id_] for s in doc.spans["clinic_time"]],
    "meds": nlp.meta["clinic"]["medications"].get("eliquis"),
    "modules": sorted(m for m in sys.modules if m.startswith("clinic")),
}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pipe") / "spacy_clinic"
    assert pl.save_pipeline(out, pl.DEFAULT_LOOKUPS_DIR, FIXTURE_RULES) is True
    return out


@pytest.mark.slow  # a second Python process loads spaCy and the pipeline
def test_saved_pipeline_loads_in_a_clean_process(built, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", LOAD_SCRIPT, str(built)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert data["pipes"] == ["sentencizer", "lemmatizer", "entity_ruler", "span_ruler"]
    assert data["modules"] == []
    ents = {(text.lower(), label, ent_id) for text, label, ent_id in data["ents"]}
    assert ("eliquis", "MEDICATION", "eliquis") in ents
    assert ("knees", "BODY_AREA", "knee") in ents
    assert ("feet", "BODY_AREA", "foot") in ents
    assert ("deep tissue", "MASSAGE_TYPE", "deep_tissue") in ents
    assert data["lemmas"]["knees"] == "knee"
    assert data["lemmas"]["feet"] == "foot"
    assert data["lemmas"]["teeth"] == "tooth"
    assert data["sents"] == 3
    assert ["3 days ago", "ago"] in data["time"]
    assert data["meds"] == ["anticoagulants"]


@pytest.mark.slow  # builds the spaCy pipeline twice
def test_up_to_date_and_rebuild_on_change(tmp_path):
    lookups = tmp_path / "lookups"
    shutil.copytree(pl.DEFAULT_LOOKUPS_DIR, lookups)
    rules = tmp_path / "rules.yml"
    shutil.copy(FIXTURE_RULES, rules)
    out = tmp_path / "out"
    assert pl.save_pipeline(out, lookups, rules) is True
    digest = (out / pl.HASH_FILE).read_text().strip()
    assert pl.save_pipeline(out, lookups, rules) is False
    assert pl.is_up_to_date(out, lookups_dir=lookups, rules_path=rules)
    with rules.open("a") as fh:
        fh.write("  - id: extra_condition\n    recognise:\n      terms: [zebra pox]\n")
    assert not pl.is_up_to_date(out, lookups_dir=lookups, rules_path=rules)
    assert pl.save_pipeline(out, lookups, rules) is True
    assert (out / pl.HASH_FILE).read_text().strip() != digest
    import spacy

    doc = spacy.load(out)("I think I have zebra pox")
    assert [(e.label_, e.ent_id_) for e in doc.ents] == [("CONDITION", "extra_condition")]
    assert not list(tmp_path.glob(".out.*")), "temporary build dirs left behind"


@pytest.mark.slow  # builds the pipeline twice in Python processes of its own
def test_cli_rebuilds_only_on_change(tmp_path):
    out = tmp_path / "cli_out"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [
        sys.executable,
        "-m",
        "clinic_core.nlp.pipeline",
        "--out",
        str(out),
        "--rules",
        str(FIXTURE_RULES),
    ]
    first = subprocess.run(
        cmd, cwd=pl.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.strip().splitlines()[-1] == f"built {out}"
    second = subprocess.run(
        cmd, cwd=pl.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.strip().splitlines()[-1] == "up to date"


def test_lemma_based_patterns(built):
    import spacy

    nlp = spacy.load(built)
    doc = nlp("Knees, SHOULDERS and calves; I sprained it and have blood clots")
    got = {(e.text, e.label_, e.ent_id_) for e in doc.ents}
    assert ("Knees", "BODY_AREA", "knee") in got
    assert ("SHOULDERS", "BODY_AREA", "shoulder") in got
    assert ("calves", "BODY_AREA", "calf") in got
    assert ("sprained", "CONDITION", "acute_injury") in got
    assert ("blood clots", "CONDITION", "dvt_history") in got
    assert [t.lemma_ for t in nlp("knees")] == ["knee"]


def test_longest_match_and_determiner_overlap(built):
    import spacy

    nlp = spacy.load(built)
    # "a cold" (fever) must not beat "cold sore" (contagious skin)
    doc = nlp("I have a cold sore")
    assert [e.ent_id_ for e in doc.ents if e.label_ == "CONDITION"] == ["contagious_skin"]
    doc = nlp("I have a cold")
    assert [e.ent_id_ for e in doc.ents if e.label_ == "CONDITION"] == ["fever_infection"]
    doc = nlp("high blood pressure")
    assert [(e.label_, e.ent_id_) for e in doc.ents] == [("CONDITION", "heart_bp")]
    doc = nlp("I'm high-risk")
    assert [(e.label_, e.ent_id_) for e in doc.ents] == [("QUALIFIER", "high_risk")]


def test_meta_maps(built):
    meta = json.loads((built / "meta.json").read_text())["clinic"]
    assert meta["medications"]["warfarin"] == ["anticoagulants"]
    assert meta["medications"]["insulin"] == ["diabetes"]
    assert "face" in meta["groups"]["BODY_AREA"]
    assert meta["opposites"]["QUALIFIER"]["controlled"] == "uncontrolled"
    assert ["BODY_AREA", "calf"] in meta["contains"]["swollen calf"]


def test_time_spans(built):
    import spacy

    nlp = spacy.load(built)
    cases = {
        "3 days ago": "ago",
        "two weeks ago": "ago",
        "24 weeks": "span",
        "20 wks": "span",
        "since March": "since",
        "last week": "point",
        "yesterday": "point",
        "a month ago": "ago",
        "6 months": "span",
        "20 weeks pregnant": "pregnancy_weeks",
        "second trimester": "trimester",
        "in the last 48 hours": "within",
        "since 2019": "since",
    }
    for text, kind in cases.items():
        doc = nlp(text)
        spans = list(doc.spans["clinic_time"])
        assert len(spans) == 1 and spans[0].id_ == kind, (text, [(s.text, s.id_) for s in spans])
    for text in ("I had a week off", "the second week"):
        doc = nlp(text)
        assert list(doc.spans["clinic_time"]) == [], text


def _lookup_files() -> list[Path]:
    return sorted(pl.DEFAULT_LOOKUPS_DIR.glob("*.yml"))


@pytest.mark.parametrize("path", _lookup_files(), ids=lambda p: p.name)
def test_lookup_files_shape(path):
    data = yaml.safe_load(path.read_text())
    assert isinstance(data["label"], str) and data["label"].isupper()
    ids = set(data["terms"])
    for cid, phrases in data["terms"].items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cid), cid
        assert phrases and all(isinstance(p, str) and p == p.lower().strip() for p in phrases), cid
    for members in (data.get("groups") or {}).values():
        assert set(members) <= ids
    for a in data.get("opposites") or {}:
        assert a in ids


def test_body_area_and_qualifier_ids():
    areas = yaml.safe_load((pl.DEFAULT_LOOKUPS_DIR / "body_areas.yml").read_text())
    quals = yaml.safe_load((pl.DEFAULT_LOOKUPS_DIR / "qualifiers.yml").read_text())
    assert areas["label"] == "BODY_AREA" and quals["label"] == "QUALIFIER"
    assert {"face", "jaw", "neck", "knee", "calf", "leg", "lower_back", "abdomen"} <= set(
        areas["terms"]
    )
    assert {
        "controlled",
        "uncontrolled",
        "severe",
        "recent",
        "widespread",
        "face",
        "healed",
        "unhealed",
        "high_risk",
    } <= set(quals["terms"])


def test_fixture_covers_screening_ids():
    rules = pl.read_rules(FIXTURE_RULES)
    ids = [c["id"] for c in rules]
    if SCREENING_SPEC.is_file():
        spec_ids = re.findall(r"^\| ([a-z_]+) \|", SCREENING_SPEC.read_text(), flags=re.M)
        spec_ids = [i for i in spec_ids if i != "id"]
        assert set(ids) == set(spec_ids)
    assert len(ids) == len(set(ids))


@pytest.mark.skipif(
    not pl.DEFAULT_RULES_PATH.is_file(), reason="clinic/screening_rules.yml not written yet"
)
def test_real_rules_build(tmp_path):
    nlp = pl.build_pipeline(pl.DEFAULT_LOOKUPS_DIR, pl.DEFAULT_RULES_PATH)
    meta = nlp.meta["clinic"]
    assert meta["condition_ids"]
    assert meta["medications"]["warfarin"] == ["anticoagulants"]
    doc = nlp("I take Eliquis and had a blood clot")
    assert {(e.label_, e.ent_id_) for e in doc.ents} >= {
        ("MEDICATION", "eliquis"),
        ("CONDITION", "dvt_history"),
    }


@pytest.mark.slow  # builds a pipeline on a second base
def test_a_pretrained_base_keeps_its_components_and_gets_the_ruler(tmp_path):
    """The en_core_web_md swap (README): built on a base pipeline, the
    project's ruler is added without re-initialising the base. A small saved
    pipeline stands in for en_core_web_md, which cannot be downloaded here."""
    import spacy

    from clinic_core.nlp.pipeline import build_pipeline

    base = spacy.blank("en")
    base.add_pipe("sentencizer")
    base.to_disk(tmp_path / "base")
    nlp = build_pipeline(base=str(tmp_path / "base"))
    assert nlp.pipe_names[0] == "sentencizer" and "entity_ruler" in nlp.pipe_names
    doc = nlp("what's the difference between sweedish and deep-tissue?")
    assert [(e.label_, e.ent_id_) for e in doc.ents] == [
        ("MASSAGE_TYPE", "swedish"),
        ("MASSAGE_TYPE", "deep_tissue"),
    ]
