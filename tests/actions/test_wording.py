"""The wording is the domain's: every response an action chooses exists,
and every placeholder in it is filled (by the action, a slot or the
clinic profile). A misspelt name or a missing value would reach a client
as Rasa's raw template, so these are checked here rather than found in a
conversation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from actions.conversation import ActionAskAffirmation
from clinic_core.profile import ANSWER_KEYS
from tests.actions.conftest import make_tracker, responses_of, run

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def chosen_responses() -> list[tuple[str, list[str], set[str] | None]]:
    """(where, the response names it may be, keyword values given) of every
    utter_message(response=...) call in actions/. A name built in an
    f-string is a pattern; a name held in a variable is any `utter_` string
    of the same function. Values are None (not checked here) when the name
    is not a plain string or they are passed as `**values`."""
    found = []
    for path in sorted(ACTIONS.glob("*.py")):
        tree = ast.parse(path.read_text())
        for function in [
            n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]:
            strings = [
                c.value
                for c in ast.walk(function)
                if isinstance(c, ast.Constant)
                and isinstance(c.value, str)
                and c.value.startswith("utter_")
            ]
            for node in ast.walk(function):
                if not (
                    isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "utter_message"
                ):
                    continue
                kwargs = {k.arg: k.value for k in node.keywords}
                response = kwargs.pop("response", None)
                given = None if None in kwargs else {k for k in kwargs if k != "buttons"}
                if isinstance(response, ast.Constant):
                    patterns = [re.escape(response.value)]
                elif isinstance(response, ast.JoinedStr):
                    patterns = [
                        "".join(
                            re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]*"
                            for v in response.values
                        )
                    ]
                    given = None
                elif isinstance(response, ast.IfExp):
                    patterns = [
                        re.escape(c.value)
                        for c in ast.walk(response)
                        if isinstance(c, ast.Constant)
                        and isinstance(c.value, str)
                        and c.value.startswith("utter_")
                    ]
                elif response is not None:
                    patterns = [
                        re.escape(s) + ("[a-z_]+" if s.endswith("/") else "") for s in strings
                    ]
                    given = None
                else:
                    continue
                found.append((f"{path.name}:{node.lineno}", patterns, given))
    return found


def test_the_actions_choose_some_hundred_responses() -> None:
    assert len(chosen_responses()) > 80


@pytest.mark.parametrize(
    ("where", "patterns", "given"), chosen_responses(), ids=lambda v: str(v)[:40]
)
def test_every_response_chosen_exists_and_is_filled(
    where: str, patterns: list[str], given: set[str] | None, rasa_domain: Domain
) -> None:
    for pattern in patterns:
        assert any(re.fullmatch(pattern, n) for n in rasa_domain.responses), (
            f"{where}: no response {pattern!r}"
        )
    if given is None:
        return  # a name or values built in code: the rendering tests check those
    slots = {slot.name for slot in rasa_domain.slots}
    for name in [n for n in rasa_domain.responses if any(re.fullmatch(p, n) for p in patterns)]:
        for variation in rasa_domain.responses[name]:
            for placeholder in PLACEHOLDER.findall(str(variation.get("text") or "")):
                assert placeholder in given | ANSWER_KEYS | slots, (
                    f"{where}: {name} needs {{{placeholder}}}"
                )


def test_every_form_slot_asked_by_a_response_has_one(rasa_domain: Domain) -> None:
    from actions.forms import AskForSlot

    asked = {
        cls.slot
        for cls in _subclasses(AskForSlot)
        if cls.slot and "ask" not in cls.__dict__ and "run" not in cls.__dict__
    }
    assert asked, "no form slot asked by its plain response"
    assert {f"utter_ask_{slot}" for slot in asked} <= set(rasa_domain.responses)


def _subclasses(cls: type) -> list[type]:
    import actions.booking_asks  # noqa: F401 - register the subclasses
    import actions.callback_form  # noqa: F401
    import actions.manage_booking_form  # noqa: F401

    found = []
    for sub in cls.__subclasses__():
        found += [sub] + _subclasses(sub)
    return found


# --------------------------------------------------------------------------- the fallback's labels


def ask_affirmation(intent: str, dispatcher, domain, selector: str | None = None, text: str = "hm"):
    latest = make_tracker(text=text, intent="nlu_fallback")
    latest.latest_message["intent_ranking"] = [{"name": "nlu_fallback"}, {"name": intent}]
    if selector:
        latest.latest_message["response_selector"] = {
            "faq": {"response": {"intent_response_key": selector}}
        }
    run(ActionAskAffirmation().run(dispatcher, latest, domain))


def test_the_fallback_names_an_intent_in_client_words(dispatcher, domain, render) -> None:
    ask_affirmation("book_appointment", dispatcher, domain)
    shown = render(dispatcher.messages[0])
    assert (
        shown["text"]
        == "Sorry, I'm not sure I can answer that one here. Did you want to book a session? "
        'If not, the clinic can answer you: tap "Ask the clinic" for a call-back.'
    )
    assert [b["payload"] for b in shown["buttons"]] == [
        "/book_appointment",
        "/deny",
        "/human_handoff",
    ]


def test_the_fallback_names_an_faq_topic(dispatcher, domain, render) -> None:
    ask_affirmation("faq", dispatcher, domain, selector="faq/opening_hours")
    shown = render(dispatcher.messages[0])
    assert "Did you want information about opening hours?" in shown["text"]
    assert shown["buttons"][0]["payload"] == '/faq{"faq_topic": "opening_hours"}'


@pytest.mark.parametrize("intent", ["inform_health", "out_of_scope", "faq", "affirm"])
def test_an_intent_without_a_label_gets_the_honest_reply(intent: str, dispatcher, domain) -> None:
    ask_affirmation(intent, dispatcher, domain)
    assert responses_of(dispatcher) == ["utter_out_of_scope"]


def test_no_words_at_all_get_the_request_to_rephrase(dispatcher, domain) -> None:
    ask_affirmation("out_of_scope", dispatcher, domain, text="🙂 ?!")
    assert responses_of(dispatcher) == ["utter_ask_rephrase"]
