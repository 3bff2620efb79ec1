"""The FAQ topics real clients ask beyond the contract's (issue 10, item 2):
every topic answered, short, filled from the profile, and honest where the
clinic has set nothing."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from clinic_core.profile import (
    DEFAULT_PROFILE_PATH,
    NOT_SET_TEXT,
    ProfileError,
    load_profile,
    parse_profile,
)
from rasa_ext.domain import model_domain
from rasa_ext.nlg import ClinicNLG

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = yaml.safe_load((ROOT / "tests" / "real_clients" / "vocabulary.yml").read_text())
NEW_TOPICS = sorted(VOCABULARY["new_topics"])
RAW = yaml.safe_load(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def domain() -> Domain:
    return model_domain()


@pytest.fixture(scope="module")
def nlu():
    return load_data(str(ROOT / "data" / "nlu"))


def _say(
    domain: Domain,
    topic: str,
    profile: Path | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> str:
    if profile is not None and monkeypatch is not None:
        monkeypatch.setenv("CLINIC_PROFILE", str(profile))
    tracker = DialogueStateTracker("clinic-life", [])
    message = asyncio.run(ClinicNLG(domain=domain).generate(f"utter_faq/{topic}", tracker, "rest"))
    return message["text"]


@pytest.mark.parametrize("topic", NEW_TOPICS)
def test_every_new_topic_is_answered_briefly_and_filled(domain: Domain, topic: str) -> None:
    text = _say(domain, topic)
    assert "{" not in text and "}" not in text, text
    assert len(text) < 450, (len(text), text)
    buttons = domain.responses[f"utter_faq/{topic}"][0].get("buttons") or []
    assert buttons, f"{topic}: no quick reply to a next step"


@pytest.mark.parametrize("topic", NEW_TOPICS)
def test_every_new_topic_has_at_least_12_training_examples(nlu, topic: str) -> None:
    examples = [m for m in nlu.intent_examples if m.get("intent_response_key") == f"faq/{topic}"]
    assert len(examples) >= 12, (topic, len(examples))


def test_london_clinic_does_not_expect_tips(domain: Domain) -> None:
    assert "isn't expected" in _say(domain, "tipping")


def test_insurance_answer_is_a_receipt_for_the_clients_own_claim(domain: Domain) -> None:
    text = _say(domain, "insurance")
    assert "receipt" in text and "check your cover" in text


def test_arousal_is_answered_plainly(domain: Domain) -> None:
    text = _say(domain, "arousal")
    assert "normal" in text and "reflex" in text and "ends the session" in text


def test_a_fact_the_clinic_has_not_set_says_to_ask(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = copy.deepcopy(RAW)
    data["client_info"]["gift_vouchers"] = ""
    data["client_info"].pop("couples")
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    ask = NOT_SET_TEXT.format(phone=RAW["phone"], email=RAW["email"])
    assert _say(domain, "gift_vouchers", path, monkeypatch) == ask
    assert _say(domain, "couples", path, monkeypatch) == ask


def test_no_home_visits_unless_the_profile_says_so(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unlike other facts, an unset `home_visits` is not "ask us": a clinic
    works at its address unless it says it visits clients."""
    assert _say(domain, "home_visits").startswith("We don't do home, hotel or office visits")
    assert "12 Linden Street" in _say(domain, "home_visits")
    data = copy.deepcopy(RAW)
    data["client_info"]["home_visits"] = "Anna visits clients at home in Islington."
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    text = _say(domain, "home_visits", path, monkeypatch)
    assert text.startswith("Anna visits clients at home in Islington.")
    assert "don't do home" not in text and "12 Linden Street" in text


def test_the_oils_the_clinic_has_not_named_are_not_guessed(domain: Domain) -> None:
    assert not RAW["client_info"]["oils"], (
        "the shipped profile names no oils: this test checks the fallback"
    )
    text = _say(domain, "oils_allergies")
    assert text.startswith("I don't have that detail here") and RAW["phone"] in text
    assert "allergy" in text


def test_a_misspelt_client_info_key_is_refused() -> None:
    data = copy.deepcopy(RAW)
    data["client_info"]["tiping"] = "No tips."
    with pytest.raises(ProfileError, match="tiping"):
        parse_profile(data)


def test_therapists_are_named_from_the_profile() -> None:
    text = load_profile().therapists_text()
    assert (
        text
        == "Anna (therapeutic body massage, therapeutic facial massage) and Tom (therapeutic body massage)"
    )
