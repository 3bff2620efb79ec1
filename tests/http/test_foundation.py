"""The FAQ, massage types and conversation hygiene, through the running
assistant's REST channel: what a client would read."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.assistant import Assistant, buttons, new_sender, texts

FAQ_CASES = [
    # (what a client types, words the answer must contain)
    ("what is therapeutic massage?", "soft tissues"),
    ("will a massage help my bad back, its been stiff for months", "pain"),
    ("does massage boost your immune system", "immune"),
    ("can a massage help me sleep better, I have insomnia", "sleep"),
    ("how is your facial massage different from a normal cosmetic facial", "deep"),
    ("do you use any machines or devices in the facial", "manual"),
    ("I grind my teeth at night and get headaches, will a face massage help", "jaw"),
    ("is massage ok for everyone?", "health care provider"),
]


@pytest.mark.parametrize("question,expected", FAQ_CASES)
def test_faq_answers_come_from_the_clinic_texts(
    assistant: Assistant, question: str, expected: str
) -> None:
    replies = assistant.send(new_sender(), question)
    assert expected.lower() in texts(replies).lower()
    assert buttons(replies), "every FAQ answer offers a next step"


def test_prices_come_from_the_profile_and_change_without_retraining(assistant: Assistant) -> None:
    sender = new_sender()
    assert "£65" in texts(assistant.send(sender, "how much is a massage?"))
    profile = yaml.safe_load(assistant.profile_path.read_text())
    profile["services"][0]["options"][0]["price"] = 72
    assistant.profile_path.write_text(yaml.safe_dump(profile, sort_keys=False))
    try:
        answer = texts(assistant.send(sender, "what are your prices"))
        assert "£72" in answer and "£65" not in answer
    finally:
        profile["services"][0]["options"][0]["price"] = 65
        assistant.profile_path.write_text(yaml.safe_dump(profile, sort_keys=False))


@pytest.mark.parametrize(
    "question,expected",
    [
        ("when are you open?", "Mon"),
        ("where are you, is there parking", "Linden Street"),
        ("what's your cancellation policy", "24 hours"),
        ("how long does a session last", "minutes"),
    ],
)
def test_practical_answers(assistant: Assistant, question: str, expected: str) -> None:
    assert expected in texts(assistant.send(new_sender(), question))


def test_quick_replies_carry_well_formed_payloads(assistant: Assistant) -> None:
    """Domain payloads escape their braces ({{...}}) so Rasa's slot templating
    leaves them intact; a client pressing the button must send valid JSON."""
    replies = assistant.send(new_sender(), "what is therapeutic massage?")
    payloads = [p for p in buttons(replies) if "{" in p]
    assert payloads
    for payload in payloads:
        assert isinstance(json.loads(payload[payload.index("{") :]), dict), payload


def test_faq_button_payload_answers_that_topic(assistant: Assistant) -> None:
    replies = assistant.send(new_sender(), '/faq{"faq_topic": "facial_equipment"}')
    assert "manual" in texts(replies).lower()


def test_compare_any_pair_with_misspellings(assistant: Assistant) -> None:
    answer = texts(
        assistant.send(new_sender(), "what's the difference between deep-tissue and sweedish?")
    )
    assert "Deep tissue" in answer and "Swedish" in answer and "Pressure" in answer


def test_describe_one_type(assistant: Assistant) -> None:
    replies = assistant.send(new_sender(), "what is trigger point therapy?")
    assert "Trigger point" in texts(replies)
    assert "/book_appointment" in buttons(replies)


def test_recommendation_is_reasoned_with_a_booking_button(assistant: Assistant) -> None:
    replies = assistant.send(new_sender(), "my jaw aches from grinding, what should I get?")
    answer = texts(replies)
    assert "facial" in answer.lower() and "jaw" in answer.lower()
    assert "/book_appointment" in buttons(replies)


def test_greeting_carries_the_disclaimer(assistant: Assistant) -> None:
    answer = texts(assistant.send(new_sender(), "hi there"))
    assert "automated assistant" in answer and "not a clinician" in answer


@pytest.mark.parametrize(
    "message,expected",
    [
        ("thank you so much", "welcome"),
        ("bye", "care"),
        ("are you a bot?", "automated assistant"),
        ("can you book me a flight to Spain", "can't answer that one here"),
        ("can I speak to a real person please", "+44 20 7946 0321"),
    ],
)
def test_hygiene(assistant: Assistant, message: str, expected: str) -> None:
    assert expected in texts(assistant.send(new_sender(), message))


@pytest.mark.parametrize(
    "message",
    [
        "I have crushing chest pain and my left arm feels numb",
        "my dad's face is drooping and his speech is slurred",
        "i cant breathe properly and my chest is really tight",
    ],
)
def test_emergency_anywhere(assistant: Assistant, message: str) -> None:
    sender = new_sender()
    assistant.send(sender, "what is therapeutic massage?")
    answer = texts(assistant.send(sender, message))
    assert "999" in answer and "112" in answer and "911" in answer


BAD_INPUT = [
    "",
    "   ",
    "a" * 10_000,
    ("my back hurts " * 800),
    "😀😀😀🙏",
    "¿Cuánto cuesta un masaje terapéutico?",
    "<script>alert('x')</script>",
    "<b>hello</b>",
    "/no_such_intent",
    '/faq{"faq_topic": "no_such_topic"}',
    '/faq{"faq_topic": ',
    "\u0000\u0001",
]


@pytest.mark.parametrize("message", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_input_gets_a_polite_answer(assistant: Assistant, message: str) -> None:
    sender = new_sender()
    replies = assistant.send(sender, message)
    answer = texts(replies)
    assert answer.strip(), f"no reply to {message[:30]!r}"
    assert "error" not in answer.lower()
    assert "<script>" not in answer
    # the conversation is not lost: the next message is answered normally
    assert "automated assistant" in texts(assistant.send(sender, "hello"))
    assert assistant.alive()


def test_low_confidence_asks_to_rephrase(assistant: Assistant) -> None:
    answer = texts(assistant.send(new_sender(), "flurb wizzle quanto"))
    assert "Sorry" in answer


def test_malformed_json_body_does_not_crash_the_server(assistant: Assistant) -> None:
    import urllib.error

    for body in (b"{not json", b"[]", json.dumps({"sender": "x"}).encode()):
        try:
            assistant.post_raw("/webhooks/rest/webhook", body)
        except urllib.error.HTTPError as error:
            assert 400 <= error.code < 500, f"{body!r} -> {error.code}"
    assert assistant.alive()
