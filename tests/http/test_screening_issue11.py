"""Issue 11, pre-screen side, through the running assistant: every item has
a conversation here that a client could have (items 1-4; the simulator,
item 9, drives 162 more in tests/simulator)."""

from __future__ import annotations

from tests.assistant import Assistant, buttons, new_sender, texts
from tests.http.test_screening import NO, YES, converse, outcome, start

HANDOFF = '/human_handoff{"callback": "yes"}'


def to_summary(assistant: Assistant, sender: str, answer: str = NO, limit: int = 14) -> str:
    """Answers every question with ``answer`` until the summary shows."""
    for _ in range(limit):
        reply = texts(assistant.send(sender, answer))
        if "Is that right?" in reply or "999" in reply:
            return reply
    raise AssertionError("no summary")


# -- item 1: every answer is read ---------------------------------------------


def test_the_facial_button_answers_the_service_question(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO])  # now: body or facial?
    reply = texts(assistant.send(sender, "facial massage"))  # the button's payload
    assert "blood clot" in reply, reply  # the next question, not the facial FAQ
    assert assistant.slot(sender, "screening_state")["service"] == "facial"


def test_an_answer_the_classifier_is_unsure_of_is_still_read(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    reply = texts(assistant.send(sender, "haemophilia A"))
    assert "say it another way" not in reply
    assert "Are you pregnant?" in reply
    to_summary(assistant, sender)
    assistant.send(sender, YES)
    assert outcome(assistant, sender)[0] == "clearance"


def test_an_answer_that_says_more_than_asked_is_kept_whole(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    reply = texts(assistant.send(sender, "I take warfarin for AF, it's well controlled"))
    assert "Which blood thinner" not in reply  # drug and reason both kept
    summary = to_summary(assistant, sender)
    assert "Blood thinners" in summary and "Heart" in summary


# -- item 2: repair, never a loop ---------------------------------------------


def test_an_unreadable_answer_gets_buttons_and_a_person_then_is_noted_cautiously(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body", NO, NO, NO])  # now: heart
    first = assistant.send(sender, "hmm well it depends really")
    assert "high blood pressure" in texts(first)
    assert YES in buttons(first) and HANDOFF in buttons(first)
    second = texts(assistant.send(sender, "it depends"))
    assert "high blood pressure" not in second  # never a third time
    summary = to_summary(assistant, sender)
    assert "I wasn't sure about one answer" in summary


def test_a_booking_wish_is_answered_and_the_question_comes_back_once(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    start(assistant, sender)
    reply = texts(assistant.send(sender, NO))  # now: unwell?
    reply = texts(assistant.send(sender, "can I book for saturday morning?"))
    assert "straight after these few health questions" in reply
    assert "Back to my question" in reply and "unwell" in reply
    assert "Is this for a body massage" in texts(assistant.send(sender, "no"))


def test_yes_thanks_confirms_the_summary(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    to_summary(assistant, sender)
    reply = texts(assistant.send(sender, "yes thanks"))
    assert "stops us booking" in reply and "welcome" not in reply.lower()
    assert outcome(assistant, sender) == ("ok", [])


def test_a_change_of_service_at_the_summary_asks_only_what_differs(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    to_summary(assistant, sender)
    reply = texts(
        assistant.send(sender, "actually, can we make it a facial instead of a body massage?")
    )
    assert "Botox" in reply  # the first facial-only question, nothing asked twice
    summary = to_summary(assistant, sender)
    assert "Service: facial massage" in summary


# -- item 3: one thing per question, asked once ------------------------------


def test_a_swollen_calf_now_is_asked_with_the_red_flags(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    reply = texts(assistant.send(sender, "my left calf has been swollen and hot since yesterday"))
    assert "short of breath" in reply
    assistant.send(sender, NO)
    converse(assistant, sender, [NO, "body"])
    to_summary(assistant, sender)
    assistant.send(sender, YES)
    assert outcome(assistant, sender) == ("clearance", ["suspected_dvt"])


def test_weeks_said_are_confirmed_not_asked_again(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender, "hi, I'm 20 weeks pregnant, can I book a massage?")
    replies = converse(assistant, sender, [NO, NO, "body", NO])
    assert "You mentioned you're 20 weeks pregnant" in replies[-1]
    assert "How many weeks" not in " ".join(replies)
    assistant.send(sender, "no, all fine")
    to_summary(assistant, sender)
    assistant.send(sender, YES)
    assert outcome(assistant, sender) == ("modify", ["pregnancy"])


# -- item 4: cautious, but by the table ---------------------------------------


def test_pregnancy_emergency_signs_get_the_emergency_message_at_once(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body", NO])  # now: pregnant?
    reply = texts(
        assistant.send(
            sender,
            "yes, 34 weeks, and since this morning my face and hands have swollen up, "
            "I have a pounding headache and my vision is blurry",
        )
    )
    assert "999" in reply and "112" in reply
    assert outcome(assistant, sender)[0] == "emergency"


def test_old_fracture_flu_jab_and_tooth_out_are_taken_by_the_table(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "facial", NO, NO, NO, NO])  # now: surgery
    converse(assistant, sender, ["no, I broke my wrist years ago as a kid but nothing recent"])
    summary = to_summary(assistant, sender)
    assert "Broken bone" not in summary or "years ago" in summary
    assistant.send(sender, YES)
    assert outcome(assistant, sender) == ("ok", [])

    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "facial", NO, NO, NO, NO])  # now: surgery
    assistant.send(sender, "I had a tooth extraction 3 days ago")
    to_summary(assistant, sender)
    assistant.send(sender, YES)
    result, reasons = outcome(assistant, sender)
    assert result == "postpone" and "recent_surgery" not in reasons

    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    summary = to_summary(assistant, sender, NO)
    assert "Is that right?" in summary
    sender2 = new_sender()
    start(assistant, sender2)
    converse(assistant, sender2, [NO, NO, "body", NO, NO, NO, NO, NO, NO, NO])  # now: anything else
    summary = texts(assistant.send(sender2, "I had my flu jab two weeks ago, no side effects"))
    assert "unwell" not in summary.lower()
    assistant.send(sender2, YES)
    assert outcome(assistant, sender2) == ("ok", [])
