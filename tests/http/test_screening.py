"""The pre-screen through the running assistant: by buttons and by typing,
both services, consent, red flags mid-form, FAQ mid-form, pause and resume,
corrections. Each test asserts what the client reads and the outcome slot
the booking relies on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.assistant import Assistant, buttons, new_sender, offers_booking, texts

YES, NO = "/affirm", "/deny"


def converse(assistant: Assistant, sender: str, messages: list[str]) -> list[str]:
    """Sends each message; returns what the client read after each."""
    return [texts(assistant.send(sender, m)) for m in messages]


def start(
    assistant: Assistant, sender: str, first: str = "can you check if a massage is ok for me?"
) -> None:
    consent = texts(assistant.send(sender, first))
    if "Shall we do it now?" in consent:  # it named a condition: the rules file's answer first
        consent = texts(assistant.send(sender, YES))
    assert "permission" in consent and "days" in consent, consent
    question = texts(assistant.send(sender, YES))
    assert "chest pain" in question, question  # red flags come first


def outcome(assistant: Assistant, sender: str) -> tuple[Any, Any]:
    return assistant.slot(sender, "screening_outcome"), assistant.slot(sender, "screening_reasons")


BODY_ALL_NO = [NO, NO, "body massage", NO, NO, NO, NO, NO, NO, NO, NO]


def test_body_by_buttons_nothing_found_is_ok_and_offers_booking(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    replies = converse(assistant, sender, BODY_ALL_NO)
    assert "Is that right?" in replies[-1]
    final = assistant.send(sender, YES)
    assert "nothing you've told me stops us booking you" in texts(final)
    assert offers_booking(final)
    assert outcome(assistant, sender) == ("ok", [])


def test_typed_answers_with_negations(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    typed = [
        "nope",
        "not that I know of",
        "the body one please",
        "no clots, never had one",
        "I'm not pregnant",
        "no",
        "no never",
        "nah",
        "no, none of those",
        "no",
        "no, nothing else",
    ]
    converse(assistant, sender, typed)
    final = texts(assistant.send(sender, "yes that's right"))
    assert "stops us booking" in final
    assert outcome(assistant, sender) == ("ok", [])


def test_first_message_history_is_used_after_consent(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender, "hi, I'm 20 weeks pregnant, can I book a massage?")
    replies = converse(assistant, sender, [NO, NO, "body massage", NO])
    # pregnancy is already known: the assistant asks the follow-up, not "are you pregnant?"
    assert "Are you pregnant?" not in replies[-1]
    assert "complication" in replies[-1].lower() or "weeks" in replies[-1].lower(), replies[-1]
    converse(assistant, sender, ["no complications"] + [NO] * 6)
    final = assistant.send(sender, YES)
    assert "your therapist will adapt" in texts(final).lower()
    result, reasons = outcome(assistant, sender)
    assert result == "modify" and "pregnancy" in reasons


def test_blood_thinner_is_modify_with_its_reason(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    replies = converse(assistant, sender, [NO, NO, "body", "yes, I take Eliquis"])
    if "why" in replies[-1].lower() or "which" in replies[-1].lower():
        converse(assistant, sender, ["for atrial fibrillation, no clots"])
    converse(assistant, sender, [NO] * 7)
    final = assistant.send(sender, YES)
    assert offers_booking(final)
    result, reasons = outcome(assistant, sender)
    assert result == "modify" and "anticoagulants" in reasons


def test_facial_botox_last_week_is_postponed_without_booking(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "facial massage"] + [NO] * 7)
    reply = texts(assistant.send(sender, "yes, Botox 5 days ago"))
    while "Is that right?" not in reply:
        reply = texts(assistant.send(sender, NO))
    final = assistant.send(sender, YES)
    assert (
        "wait until you have been well" in texts(final)
        or "postpone" in texts(final).lower()
        or "book you then" in texts(final)
    )
    assert "/book_appointment" not in buttons(final)
    result, reasons = outcome(assistant, sender)
    assert result == "postpone" and "facial_injectables" in reasons


def test_recent_surgery_needs_clearance_and_booking_is_refused(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body", NO, NO, NO, NO])
    reply = texts(assistant.send(sender, "yes I had a knee operation 3 weeks ago"))
    while "Is that right?" not in reply:
        reply = texts(assistant.send(sender, NO))
    final = assistant.send(sender, YES)
    assert "check with your doctor" in texts(final)
    assert "/human_handoff" in buttons(final) and "/book_appointment" not in buttons(final)
    assert outcome(assistant, sender)[0] == "clearance"
    refused = texts(assistant.send(sender, "I'd like to book a massage"))
    assert "can't book you just yet" in refused


def test_red_flag_mid_form_ends_with_the_emergency_message(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    reply = texts(
        assistant.send(sender, "actually my chest feels tight and pain is going down my left arm")
    )
    assert "999" in reply and "112" in reply and "911" in reply
    assert outcome(assistant, sender)[0] == "emergency"
    assert assistant.tracker(sender)["active_loop"] in ({}, None) or not assistant.tracker(sender)[
        "active_loop"
    ].get("name")


def test_red_flag_answered_yes_to_the_first_question(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    reply = texts(assistant.send(sender, YES))
    assert "999" in reply
    assert outcome(assistant, sender)[0] == "emergency"


def test_faq_mid_form_then_the_same_question_again(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO])  # now: body or facial?
    reply = texts(assistant.send(sender, "how much does a facial massage cost?"))
    assert "£" in reply
    assert "body massage or a facial massage" in reply


def test_pause_and_resume_in_the_same_session(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body"])
    paused = texts(assistant.send(sender, "stop, I'll finish this later"))
    assert "paused" in paused
    assert "welcome" in texts(assistant.send(sender, "thanks"))
    resumed = texts(assistant.send(sender, "/start_screening"))
    assert "blood clot" in resumed  # the next unanswered question, not the first
    converse(assistant, sender, [NO] * 8)
    assert "stops us booking" in texts(assistant.send(sender, YES))


def test_correction_at_the_summary(assistant: Assistant) -> None:
    sender = new_sender()
    start(assistant, sender)
    converse(assistant, sender, [NO, NO, "body", NO])
    converse(assistant, sender, ["yes", "22 weeks, no complications"])
    summary = texts(assistant.send(sender, NO))
    for _ in range(8):
        if "Is that right?" in summary:
            break
        summary = texts(assistant.send(sender, NO))
    assert "Pregnancy" in summary or "pregnan" in summary.lower()
    corrected = texts(assistant.send(sender, "sorry, I'm not pregnant, I misread"))
    assert "Is that right?" in corrected and "pregnan" not in corrected.lower()
    assert "stops us booking" in texts(assistant.send(sender, YES))
    assert outcome(assistant, sender) == ("ok", [])


def test_declining_consent_stores_nothing_and_offers_a_call(assistant: Assistant) -> None:
    sender = new_sender()
    answer = assistant.send(sender, "I'm on warfarin, can I have a massage?")
    assert "/start_screening" in buttons(answer)  # the rules file's answer and the offer
    assistant.send(sender, "/start_screening")
    reply = assistant.send(sender, NO)
    assert "call" in texts(reply).lower()
    assert "/human_handoff" in buttons(reply)
    tracker = assistant.tracker(sender)
    assert tracker["slots"].get("screening_state") is None
    assert tracker["slots"].get("screening_outcome") is None


def test_booking_without_a_screening_starts_it(assistant: Assistant) -> None:
    sender = new_sender()
    reply = texts(assistant.send(sender, "I'd like to book a massage"))
    assert "few quick questions" in reply and "permission" in reply


def test_no_health_data_or_names_in_the_logs(assistant: Assistant) -> None:
    """Health answers are special-category data: they must not reach the logs."""
    sender = new_sender()
    start(assistant, sender, "hi, I take Xarelto and I'm 31 weeks pregnant, can I have a massage?")
    converse(
        assistant,
        sender,
        [NO, NO, "body", "yes Xarelto for my heart rhythm", "31 weeks, pre-eclampsia"],
    )
    logs = "\n".join(p.read_text(errors="replace") for p in assistant.workdir.glob("*.log"))
    for secret in ("Xarelto", "xarelto", "pre-eclampsia", "31 weeks", "heart rhythm"):
        assert secret not in logs, f"{secret!r} found in the logs"


@pytest.mark.parametrize("stops_booking", [True, False])
def test_when_the_outcome_cannot_be_saved_the_client_is_told_the_truth(
    no_database: Assistant, stops_booking: bool
) -> None:
    """Database down: the client must not read that a therapist will look over
    answers that were never saved (issue 12, item 8)."""
    sender = new_sender()
    start(no_database, sender)
    answers = [NO, NO, "body", NO, NO, NO, NO]
    answers.append("yes I had a knee operation 3 weeks ago" if stops_booking else NO)
    reply = converse(no_database, sender, answers)[-1]
    while "Is that right?" not in reply:
        reply = texts(no_database.send(sender, NO))
    final = texts(no_database.send(sender, YES))
    assert ("check with your doctor" in final) is stops_booking, final
    assert "couldn't save your answers" in final and "+44 20 7946 0321" in final, final
    assert "therapist will look over" not in final.lower(), final
