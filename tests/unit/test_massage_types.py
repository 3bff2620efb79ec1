"""Tests for clinic_core.massage_types and the two data files it serves.

The real clinic file is tested as well as the code, because a clinic edit
that breaks an answer is as much a bug as a code change.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from clinic_core.massage_types import (
    CONTRACT_TYPES,
    DESCRIBE_MAX_CHARS,
    PRESSURE_LEVELS,
    MassageType,
    Recommendation,
    compare,
    default_types_path,
    describe,
    load_massage_types,
    recommend,
)

ROOT = Path(__file__).resolve().parents[2]
LOOKUP_PATH = ROOT / "data" / "lookups" / "massage_types.yml"
PROFILE_PATH = ROOT / "clinic" / "profile.yml"


@pytest.fixture(scope="module")
def types() -> dict[str, MassageType]:
    return load_massage_types(default_types_path())


# --------------------------------------------------------------------------
# The real file
# --------------------------------------------------------------------------


def test_default_path_points_at_clinic_file():
    assert default_types_path() == ROOT / "clinic" / "massage_types.yml"
    assert default_types_path().is_file()


def test_real_file_covers_every_contract_value(types):
    assert set(CONTRACT_TYPES) <= set(types)
    assert set(CONTRACT_TYPES) == {
        "therapeutic",
        "swedish",
        "deep_tissue",
        "trigger_point",
        "myofascial_release",
        "sports",
        "facial_therapeutic",
        "cosmetic_facial",
    }
    for type_id, mt in types.items():
        assert mt.id == type_id
        assert mt.pressure_level in PRESSURE_LEVELS or not mt.described
        assert mt.source.strip(), type_id
        assert mt.keywords, type_id


def test_load_without_argument_uses_default(types):
    assert load_massage_types() == types


def test_bookable_services_follow_the_clinic(types):
    assert types["facial_therapeutic"].bookable_service == "facial_massage"
    assert types["cosmetic_facial"].bookable_service is None
    assert not types["cosmetic_facial"].bookable
    assert "don't offer" in types["cosmetic_facial"].note
    for type_id in (
        "therapeutic",
        "swedish",
        "deep_tissue",
        "trigger_point",
        "myofascial_release",
        "sports",
    ):
        assert types[type_id].bookable_service == "body_massage", type_id


def test_durations_and_services_agree_with_profile(types):
    """profile.yml holds the authoritative lengths; this file must not contradict it."""
    profile = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    services = {s["id"]: s for s in profile["services"]}
    for mt in types.values():
        if not mt.bookable:
            continue
        service = services[mt.bookable_service]
        offered = {o["minutes"] for o in service["options"]}
        assert set(mt.duration_minutes) <= offered, mt.id
        assert mt.id in service["massage_types"], mt.id


def test_seed_backbone_is_kept(types):
    """The descriptions the clinic's texts give must stay in the answers."""
    assert "adhesions" in types["deep_tissue"].focus
    assert "knots" in types["trigger_point"].summary
    assert "referred" in types["trigger_point"].summary
    assert "soothing" in types["swedish"].summary
    assert "surface" in types["cosmetic_facial"].focus
    facial = types["facial_therapeutic"]
    assert "non-invasive" in facial.summary and "deep layers" in facial.summary
    assert any("no devices" in t for t in facial.techniques)
    assert any("bruxism" in g for g in facial.good_for)
    assert any("dental" in g for g in facial.good_for)
    assert any("blood thinners" in n for n in types["deep_tissue"].not_for)
    assert "Seed 000" in facial.source
    assert "Seed 003" in types["therapeutic"].source


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _valid_data() -> dict:
    return yaml.safe_load(default_types_path().read_text(encoding="utf-8"))


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "massage_types.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_valid_copy_loads(tmp_path):
    assert set(load_massage_types(_write(tmp_path, _valid_data()))) >= set(CONTRACT_TYPES)


def test_missing_field_is_named(tmp_path):
    data = _valid_data()
    del data["massage_types"]["sports"]["pressure"]
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as err:
        load_massage_types(path)
    message = str(err.value)
    assert str(path) in message and "'sports'" in message and "'pressure'" in message
    assert "missing" in message


def test_unknown_pressure_is_named(tmp_path):
    data = _valid_data()
    data["massage_types"]["deep_tissue"]["pressure"]["level"] = "very hard"
    path = _write(tmp_path, data)
    with pytest.raises(
        ValueError, match=r"'deep_tissue'.*pressure.*'very hard'.*light, light-medium"
    ):
        load_massage_types(path)


def test_pressure_must_be_a_mapping(tmp_path):
    data = _valid_data()
    data["massage_types"]["swedish"]["pressure"] = "light"
    with pytest.raises(ValueError, match=r"'swedish'.*'pressure'.*'level' and 'note'"):
        load_massage_types(_write(tmp_path, data))


def test_missing_contract_value_is_named(tmp_path):
    data = _valid_data()
    del data["massage_types"]["myofascial_release"]
    path = _write(tmp_path, data)
    with pytest.raises(ValueError, match=r"contract: myofascial_release") as err:
        load_massage_types(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("bad", [[60, 0], [60, -30], [60, "90"], [60.5], [True], "60", None])
def test_bad_durations_are_rejected(tmp_path, bad):
    data = _valid_data()
    data["massage_types"]["therapeutic"]["duration_minutes"] = bad
    with pytest.raises(ValueError, match=r"'therapeutic'.*'duration_minutes'.*positive"):
        load_massage_types(_write(tmp_path, data))


def test_bookable_type_needs_a_duration(tmp_path):
    data = _valid_data()
    data["massage_types"]["sports"]["duration_minutes"] = []
    with pytest.raises(ValueError, match=r"'sports'.*'duration_minutes'.*bookable"):
        load_massage_types(_write(tmp_path, data))


def test_unknown_field_is_named(tmp_path):
    data = _valid_data()
    data["massage_types"]["swedish"]["keyword"] = ["relax"]
    with pytest.raises(ValueError, match=r"'swedish'.*unknown field.*'keyword'"):
        load_massage_types(_write(tmp_path, data))


@pytest.mark.parametrize("field", ["techniques", "good_for", "not_for", "keywords"])
def test_empty_lists_are_rejected(tmp_path, field):
    data = _valid_data()
    data["massage_types"]["trigger_point"][field] = []
    with pytest.raises(ValueError, match=rf"'trigger_point'.*'{field}'.*non-empty list"):
        load_massage_types(_write(tmp_path, data))


def test_blank_string_is_rejected(tmp_path):
    data = _valid_data()
    data["massage_types"]["sports"]["summary"] = "   "
    with pytest.raises(ValueError, match=r"'sports'.*'summary'.*non-empty string"):
        load_massage_types(_write(tmp_path, data))


def test_unoffered_type_needs_a_note(tmp_path):
    data = _valid_data()
    del data["massage_types"]["cosmetic_facial"]["note"]
    with pytest.raises(
        ValueError, match=r"'cosmetic_facial'.*'note' and 'closest'.*does not offer"
    ):
        load_massage_types(_write(tmp_path, data))


def test_unoffered_type_names_an_offered_closest_type(tmp_path):
    data = _valid_data()
    data["massage_types"]["hot_stone"]["closest"] = "reflexology"
    with pytest.raises(ValueError, match=r"'hot_stone'.*'closest'.*offers.*'reflexology'"):
        load_massage_types(_write(tmp_path, data))
    data = _valid_data()
    data["massage_types"]["hot_stone"]["closest"] = "deep_tissue"  # the note names Swedish
    with pytest.raises(ValueError, match=r"'hot_stone'.*'note' must name.*Deep tissue massage"):
        load_massage_types(_write(tmp_path, data))


def test_the_types_file_cannot_say_what_is_offered(tmp_path):
    data = _valid_data()
    data["massage_types"]["hot_stone"]["bookable_service"] = "body_massage"
    with pytest.raises(ValueError, match=r"'hot_stone'.*bookable_service.*profile.yml"):
        load_massage_types(_write(tmp_path, data))


def test_the_profile_decides_what_is_offered(tmp_path):
    """Offering hot stone is a profile edit; the types file must then say how."""
    from clinic_core.profile import parse_profile

    raw = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    raw["services"][0]["massage_types"].append("hot_stone")
    profile = parse_profile(raw)
    with pytest.raises(ValueError, match=r"'hot_stone'.*missing field 'focus'.*offers it"):
        load_massage_types(default_types_path(), profile=profile)
    data = _valid_data()
    hot = data["massage_types"]["hot_stone"]
    for key in ("note", "closest"):
        hot.pop(key)
    hot.update(
        focus="warmth and relaxation",
        pressure={"level": "medium", "note": "warm stones"},
        techniques=["heated stones"],
        good_for=["relaxing"],
        not_for=["diabetes: no heat"],
        duration_minutes=[60],
    )
    types = load_massage_types(_write(tmp_path, data), profile=profile)
    assert types["hot_stone"].bookable_service == "body_massage"
    assert types["hot_stone"].bookable
    raw["services"][0]["massage_types"].append("lomi_lomi")
    with pytest.raises(ValueError, match="offers massage type.*lomi_lomi"):
        load_massage_types(_write(tmp_path, data), profile=parse_profile(raw))


def test_a_general_description_names_its_page(tmp_path):
    data = _valid_data()
    data["massage_types"]["thai"]["source_url"] = "clevelandclinic.org"
    with pytest.raises(ValueError, match=r"'thai'.*'source_url'.*http"):
        load_massage_types(_write(tmp_path, data))


def test_bad_type_id_is_rejected(tmp_path):
    data = _valid_data()
    data["massage_types"]["Hot Stone"] = data["massage_types"]["swedish"]
    with pytest.raises(ValueError, match=r"'Hot Stone'.*snake_case"):
        load_massage_types(_write(tmp_path, data))


def test_wrong_top_level_is_rejected(tmp_path):
    path = _write(tmp_path, {"types": {}})
    with pytest.raises(ValueError, match=r"massage_types") as err:
        load_massage_types(path)
    assert str(path) in str(err.value)


def test_broken_yaml_is_reported(tmp_path):
    path = tmp_path / "massage_types.yml"
    path.write_text("massage_types:\n  swedish: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML") as err:
        load_massage_types(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------
# describe() and compare()
# --------------------------------------------------------------------------


def test_describe_every_type_is_short_and_informative(types):
    for mt in types.values():
        text = describe(mt)
        assert len(text) - len(mt.source_url or "") <= DESCRIBE_MAX_CHARS, (mt.id, len(text))
        assert mt.summary in text
        if mt.bookable:
            assert text.startswith(mt.name)
            assert mt.pressure_level in text
            assert "min" in text
        else:
            # "do you do hot stone?": the answer comes first, then what it is
            assert text.startswith(mt.note) and mt.note.startswith("We don't ")
            assert types[mt.closest].name.lower() in text.lower()


def test_a_type_from_a_public_page_is_marked_and_sourced(types):
    text = describe(types["lymphatic_drainage"])
    assert "general information" in text
    assert text.endswith("Source: " + types["lymphatic_drainage"].source_url)
    assert "macmillan.org.uk" in text
    # the clinic's own (seed) description is not marked as someone else's
    assert "general information" not in describe(types["cosmetic_facial"])


def test_every_type_clients_name_is_in_the_file(types):
    vocabulary = yaml.safe_load((ROOT / "tests" / "real_clients" / "vocabulary.yml").read_text())
    named = set(vocabulary["massage_types"]["contract"]) | set(vocabulary["massage_types"]["new"])
    assert named <= set(types)
    for type_id in vocabulary["massage_types"]["new"]:
        mt = types[type_id]
        assert not mt.bookable and mt.closest and mt.source_url, type_id


def test_describe_gives_durations(types):
    assert "45 or 60 min" in describe(types["facial_therapeutic"])
    assert "60 or 90 min" in describe(types["deep_tissue"])


ALL_PAIRS = list(itertools.combinations(CONTRACT_TYPES, 2))


def test_there_are_28_pairs():
    assert len(ALL_PAIRS) == 28


@pytest.mark.parametrize("a,b", ALL_PAIRS)
def test_compare_every_pair(types, a, b):
    """One block per type, in the order asked: the name in bold, then its
    lines; never "firm | light-medium" columns."""
    ta, tb = types[a], types[b]
    text = compare(ta, tb)
    blocks = text.split("\n\n")
    assert blocks[0].splitlines()[0] == f"**{ta.name}**"
    assert blocks[1].splitlines()[0] == f"**{tb.name}**"
    assert f"Pressure: {ta.pressure_level}" in blocks[0].splitlines()
    assert f"Focus: {tb.focus}" in blocks[1].splitlines()
    assert any(
        line.startswith("Techniques: " + ta.techniques[0]) for line in blocks[0].splitlines()
    )
    assert any(line.startswith("Good for: " + tb.good_for[0]) for line in blocks[1].splitlines())
    assert " | " not in text
    lines = text.splitlines()
    assert all(len(line) <= 240 for line in lines), max(lines, key=len)
    assert len(text) <= 1000
    if not (ta.bookable and tb.bookable):
        assert "don't offer" in text and "not offered here" in text
    assert compare(tb, ta).startswith(f"**{tb.name}**")


@pytest.mark.parametrize(
    "a,b", [("hot_stone", "swedish"), ("thai", "sports"), ("kobido", "buccal")]
)
def test_compare_a_type_the_clinic_does_not_offer(types, a, b):
    text = compare(types[a], types[b])
    first = text.split("\n\n")[0]
    assert types[a].summary in first and "general information" in first
    assert types[a].note in first
    assert len(text) <= 1100


def test_compare_deep_tissue_with_swedish(types):
    text = compare(types["deep_tissue"], types["swedish"])
    deep, swedish = text.split("\n\n")[:2]
    assert "Pressure: firm" in deep and "Pressure: light-medium" in swedish
    assert "adhesions" in deep and "soothing" in swedish
    assert "Sessions: 60 or 90 min" in deep and "Sessions: 60 or 90 min" in swedish


def test_compare_same_type_is_a_description_with_a_note(types):
    mt = types["sports"]
    text = compare(mt, mt)
    assert text.startswith(describe(mt))
    assert "same type" in text
    assert " vs " not in text


# --------------------------------------------------------------------------
# recommend()
# --------------------------------------------------------------------------

CLIENT_SENTENCES = [
    ("my jaw aches from grinding, what should I get?", {"facial_therapeutic"}),
    ("I run marathons and my legs are tight", {"sports"}),
    ("I just want to unwind after a stressful month", {"swedish"}),
    ("knots in my shoulders from the desk", {"trigger_point"}),
    ("chronic lower back pain for years", {"therapeutic", "deep_tissue"}),
    ("I clench my teeth at night and wake up with headaches", {"facial_therapeutic"}),
    ("My dentist says I have bruxism, can you help?", {"facial_therapeutic"}),
    ("TMJ has been playing up again", {"facial_therapeutic"}),
    ("Had my braces off last year and my face still feels tense", {"facial_therapeutic"}),
    ("I'm noticing premature ageing and loss of firmness", {"facial_therapeutic"}),
    ("I present on camera all day and use my voice a lot", {"facial_therapeutic"}),
    ("I play rugby at the weekend and need help with recovery", {"sports"}),
    ("Training for a half marathon, hamstrings are tight after the gym", {"sports"}),
    ("I'm a keen cyclist and want better flexibility", {"sports"}),
    ("Feeling knackered and stressed out, I need to relax", {"swedish"}),
    ("Something gentle and relaxing as a birthday treat for my mum", {"swedish"}),
    ("I'm so burnt out and overwhelmed, just want some me time", {"swedish"}),
    (
        "Sat at a computer all day, there's a painful knot under my shoulder blade",
        {"trigger_point"},
    ),
    ("my sholders are full of knots from typing", {"trigger_point"}),
    ("I've been told I have adhesions in my calf muscle", {"deep_tissue"}),
    ("My physio thinks massage could be part of my treatment plan", {"therapeutic"}),
    ("my neck is aching and my jaw clicks", {"facial_therapeutic"}),
    ("I think my bite is off and my temples hurt", {"facial_therapeutic"}),
    ("I like really firm pressure, deep muscle tension that never goes", {"deep_tissue"}),
    ("I have arthritis and stiff joints", {"therapeutic"}),
    ("My back pain has been chronic since an old injury", {"therapeutic"}),
    ("I feel tight all over, like my fascia is stuck", {"myofascial_release"}),
    ("I'm so STRESSED, I can't sleep", {"swedish"}),
    ("I am exhausted and feel run down", {"swedish"}),
]


def test_sentence_table_is_big_enough():
    assert len(CLIENT_SENTENCES) >= 20


@pytest.mark.parametrize("text,expected", CLIENT_SENTENCES)
def test_recommend_table(types, text, expected):
    rec = recommend(text, types)
    assert isinstance(rec, Recommendation)
    assert rec.type_id in expected, (text, rec)
    assert rec.score > 0
    assert rec.matched
    assert types[rec.type_id].name in rec.reason
    for word in rec.matched:
        assert f'"{word}"' in rec.reason
    assert rec.type_id not in rec.alternatives


def test_recommend_reason_names_jaw_and_grinding(types):
    rec = recommend("my jaw aches from grinding, what should I get?", types)
    assert rec.type_id == "facial_therapeutic"
    assert '"jaw"' in rec.reason and '"grinding"' in rec.reason


def test_phrases_outweigh_single_words(types):
    """A matched phrase scores per word: it is the more specific signal."""
    rec = recommend("I'm a bit stressed but I like firm pressure", types)
    assert rec.type_id == "deep_tissue"
    assert rec.score == 2 and rec.matched == ("firm pressure",)
    assert rec.alternatives == ("swedish",)
    assert recommend("chronic lower back pain for years", types).score == 4


def test_common_words_do_not_match_keywords(types):
    """Stemming must not turn everyday words into symptoms ("a bit" is not "bite")."""
    rec = recommend("just a bit curious, nothing in particular", types)
    assert rec.type_id is None, rec


def test_run_down_is_not_running(types):
    """A phrase uses up its words: "run down" must not score for sports."""
    rec = recommend("I feel run down", types)
    assert rec.type_id == "swedish"
    assert "sports" not in rec.alternatives


@pytest.mark.parametrize(
    "text",
    [
        "hello there",
        "what time do you open on saturday?",
        "I'd like to book for next Tuesday",
        "",
    ],
)
def test_unknown_need_gives_none(types, text):
    rec = recommend(text, types)
    assert rec.type_id is None
    assert rec.score == 0
    assert rec.not_offered is None
    assert rec.matched == ()


def test_areas_count_as_evidence(types):
    assert recommend("it hurts, what do you suggest?", types).type_id is None
    rec = recommend("it hurts, what do you suggest?", types, areas=["jaw"])
    assert rec.type_id == "facial_therapeutic"
    assert '"jaw"' in rec.reason


def test_areas_do_not_join_into_phrases(types):
    # "lower" + area "back" must not form the phrase "lower back"
    rec = recommend("the pain is lower", types, areas=["back"])
    assert rec.type_id is None


def test_unoffered_type_is_never_recommended(types):
    rec = recommend("I want glowing skin, something for pores and blackheads", types)
    assert rec.type_id is None
    assert rec.not_offered == "cosmetic_facial"
    assert "don't offer" in rec.reason
    assert '"pores"' in rec.reason


def test_unoffered_type_loses_to_a_bookable_match(types):
    rec = recommend("a facial for my jaw and headaches, not bothered about pores", types)
    assert rec.type_id == "facial_therapeutic"
    assert rec.not_offered is None


def test_no_recommendation_ever_points_to_an_unbookable_type(types):
    for mt in types.values():
        for keyword in mt.keywords:
            rec = recommend(keyword, types)
            assert rec.type_id is None or types[rec.type_id].bookable, keyword
            assert all(types[t].bookable for t in rec.alternatives)


def test_recommend_is_deterministic_and_has_alternatives(types):
    text = "stiff shoulders from the desk and lots of stress"
    first = recommend(text, types)
    assert all(recommend(text, types) == first for _ in range(5))
    assert first.type_id == "trigger_point"
    assert set(first.alternatives) == {"therapeutic", "swedish"}


def test_recommend_on_custom_types_uses_file_order():
    def mt(type_id: str, keywords: tuple[str, ...], service="body_massage") -> MassageType:
        return MassageType(
            id=type_id,
            name=type_id.title(),
            summary="s.",
            focus="f",
            pressure_level="medium",
            pressure_note="n",
            techniques=("t",),
            good_for=("g",),
            not_for=("x",),
            duration_minutes=(60,),
            keywords=keywords,
            bookable_service=service,
            source="test",
            note=None if service else "not offered",
        )

    custom = {"a": mt("a", ("ache",)), "b": mt("b", ("aching",))}
    # one stem for "ache", "aches", "ached", "aching" -> a tie -> the first listed wins
    for text in ("my legs ache", "aching legs", "my legs ached", "legs with aches"):
        assert recommend(text, custom).type_id == "a", text
        assert recommend(text, {"b": custom["b"], "a": custom["a"]}).type_id == "b", text
    # an unbookable type is skipped even when it is the only other match
    custom["c"] = mt("c", ("legs",), service=None)
    rec = recommend("my legs ache", custom)
    assert rec.type_id == "a" and "c" not in rec.alternatives
    # listed first and tied with a bookable type: the bookable one still wins
    tied = {"c": custom["c"], "a": custom["a"]}
    rec = recommend("legs ache", tied)
    assert rec.type_id == "a" and rec.not_offered is None
    # only when it clearly wins does the client hear that it is not offered
    rec = recommend("legs, legs, my legs ache", tied)
    assert rec.type_id is None and rec.not_offered == "c" and "not offered" in rec.reason
    assert rec.alternatives == ("a",)


# --------------------------------------------------------------------------
# Entity-ruler terminology
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lookup() -> dict:
    return yaml.safe_load(LOOKUP_PATH.read_text(encoding="utf-8"))


def test_lookup_format(lookup, types):
    assert lookup["label"] == "MASSAGE_TYPE"
    assert set(lookup["terms"]) == set(types)
    for key, terms in lookup["terms"].items():
        assert isinstance(terms, list) and len(terms) >= (10 if key in CONTRACT_TYPES else 6), key
        for term in terms:
            assert isinstance(term, str) and term == term.strip().lower() and term, (key, term)


def test_lookup_terms_are_unambiguous(lookup):
    seen: dict[str, str] = {}
    for key, terms in lookup["terms"].items():
        assert len(terms) == len(set(terms)), f"duplicate term under {key}"
        for term in terms:
            assert term not in seen, f"{term!r} under both {seen[term]} and {key}"
            seen[term] = key


def test_lookup_avoids_generic_terms(lookup):
    all_terms = {t for terms in lookup["terms"].values() for t in terms}
    for generic in (
        "massage",
        "face",
        "deep",
        "sport",
        "sports",
        "beauty",
        "relaxing",
        "skin",
        "stones",
        "cups",
        "head massage",
        "oil",
        "pregnancy",
        "pregnant",
    ):
        assert generic not in all_terms, generic


@pytest.mark.parametrize(
    "term,key",
    [
        ("swedish", "swedish"),
        ("sweedish", "swedish"),
        ("relaxation", "swedish"),
        ("classic massage", "swedish"),
        ("deep tissue", "deep_tissue"),
        ("deep-tissue", "deep_tissue"),
        ("deeptissue", "deep_tissue"),
        ("trigger point", "trigger_point"),
        ("triggerpoint", "trigger_point"),
        ("myofascial release", "myofascial_release"),
        ("myofacial release", "myofascial_release"),
        ("sports massage", "sports"),
        ("facial", "facial_therapeutic"),
        ("therapeutic facial", "facial_therapeutic"),
        ("cosmetic facial", "cosmetic_facial"),
        ("beauty facial", "cosmetic_facial"),
        ("spa facial", "cosmetic_facial"),
        ("therapeutic", "therapeutic"),
        ("remedial massage", "therapeutic"),
        ("hot stone", "hot_stone"),
        ("lymphatic drainage", "lymphatic_drainage"),
        ("mld", "lymphatic_drainage"),
        ("thai massage", "thai"),
        ("reflexology", "reflexology"),
        ("pregnancy massage", "prenatal"),
        ("prenatal massage", "prenatal"),
        ("aromatherapy", "aromatherapy"),
        ("cupping", "cupping"),
        ("kobido", "kobido"),
        ("buccal massage", "buccal"),
        ("intraoral massage", "intraoral"),
        ("shiatsu", "shiatsu"),
        ("indian head massage", "indian_head"),
    ],
)
def test_lookup_has_expected_terms(lookup, term, key):
    assert term in lookup["terms"][key]


# --------------------------------------------------------------- short names in comparisons
def _short_names() -> dict[str, str]:
    data = yaml.safe_load(LOOKUP_PATH.read_text(encoding="utf-8"))
    return {w: t for t, words in data["in_comparisons"].items() for w in words}


def test_every_short_name_names_a_known_type_once() -> None:
    data = yaml.safe_load(LOOKUP_PATH.read_text(encoding="utf-8"))
    words = [w for ws in data["in_comparisons"].values() for w in ws]
    assert len(words) == len(set(words)), "a short name for two types"
    assert set(data["in_comparisons"]) <= set(data["terms"])


@pytest.mark.parametrize(
    "text,named,expected",
    [
        # two short names with "vs" between them
        ("sports vs deep", [], [(0, "sports"), (2, "deep_tissue")]),
        # a short name and a named type, a comparing phrase between
        ("is deep more painful than swedish", [(5, 6, "swedish")], [(1, "deep_tissue")]),
        ("hot stone or a relaxing one", [(0, 2, "hot_stone")], [(4, "swedish")]),
        # "a regular massage" is not a type in the clients' vocabulary
        ("shiatsu or a regular massage", [(0, 1, "shiatsu")], []),
        # "and" compares only where the message says it compares
        (
            "difference between sports and deep tissue",
            [(4, 6, "deep_tissue")],
            [(2, "sports")],
        ),
        ("i do sports and a deep tissue massage would help", [(5, 8, "deep_tissue")], []),
        # alone, or too far from another type, a short name is an ordinary word
        ("i took a deep breath", [], []),
        ("a relaxing evening at home", [], []),
        (
            "sports people often say that after a long week swedish helps",
            [(10, 11, "swedish")],
            [],
        ),
        # the same type twice is not a comparison
        ("sport or a sports massage", [(3, 5, "sports")], []),
    ],
)
def test_short_names_count_only_in_a_comparison(
    text: str, named: list[tuple[int, int, str]], expected: list[tuple[int, str]]
) -> None:
    from clinic_core.massage_types import comparison_mentions

    assert comparison_mentions(text.split(), named, _short_names()) == expected


@pytest.mark.parametrize(
    "text,types,compares",
    [
        ("hot stone or relaxing, which is better?", ["hot_stone", "swedish"], True),
        ("difference between sports and deep", ["sports", "deep_tissue"], True),
        ("do you do hot stone", ["hot_stone"], False),
        ("i had swedish and deep tissue last year, what now", ["swedish", "deep_tissue"], False),
        (
            "is lymphatic like swedish or deep tissue",
            ["lymphatic_drainage", "swedish", "deep_tissue"],
            False,
        ),
    ],
)
def test_two_types_and_a_comparing_word_ask_to_compare(
    text: str, types: list[str], compares: bool
) -> None:
    from clinic_core.massage_types import asks_to_compare

    words = [w.strip("?,") for w in text.split()]
    assert asks_to_compare(words, types) is compares
