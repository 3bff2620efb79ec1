"""The response generator fills the practical answers from the profile."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from clinic_core.profile import ANSWER_KEYS, current_profile
from rasa_ext.domain import model_domain
from rasa_ext.nlg import ClinicNLG

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return model_domain()


def _generate(nlg: ClinicNLG, name: str, **kwargs: object) -> str:
    tracker = DialogueStateTracker("nlg-test", [])
    return asyncio.run(nlg.generate(name, tracker, "rest", **kwargs))["text"]


def test_answer_values_fill_every_placeholder_name() -> None:
    assert set(current_profile().answer_values()) == set(ANSWER_KEYS)


def test_prices_come_from_the_profile(domain: Domain) -> None:
    text = _generate(ClinicNLG(domain=domain), "utter_faq/prices")
    assert "{" not in text
    assert current_profile().price_list() in text


def test_rasa_sets_the_responses_after_creating_the_generator(domain: Domain) -> None:
    nlg = ClinicNLG(domain=None)  # what Agent does before the model is loaded
    nlg.responses = domain.responses
    assert "utter_faq/opening_hours" in nlg.with_facts
    assert "{opening_hours}" not in _generate(nlg, "utter_faq/opening_hours")


def test_values_an_action_passes_win(domain: Domain) -> None:
    text = _generate(
        ClinicNLG(domain=domain), "utter_faq/prices", price_list="PRICE LIST", payment=""
    )
    assert "PRICE LIST" in text


def test_a_broken_profile_still_gives_an_answer(
    domain: Domain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "profile.yml"
    broken.write_text("name: [unclosed\n")
    monkeypatch.setenv("CLINIC_PROFILE", str(broken))
    assert _generate(ClinicNLG(domain=domain), "utter_faq/prices").startswith("Our current prices")


def test_every_endpoints_file_uses_the_generator() -> None:
    import yaml

    for path in (ROOT / "endpoints.yml", ROOT / "deploy" / "endpoints.yml"):
        endpoints = yaml.safe_load(path.read_text())
        assert endpoints["nlg"]["type"] == "rasa_ext.nlg.ClinicNLG", path
        assert (
            endpoints["tracker_store"]["type"] == "rasa_ext.sql_tracker_store.ClinicSQLTrackerStore"
        ), path
