"""The contraindication pre-screen as a Rasa form.

The form has two slots: consent, then `screening_answer`, asked again and
again. Which question comes next, what an answer means and the outcome are
decided by clinic_core.screening.interview from the clinic's rules file; these
actions only read the text with the project's spaCy reader, keep the state
in a slot and word the replies. So the clinic adds or rewords a question in
clinic/screening_rules.yml without touching code or the domain.

Health data: no free text is stored in slots or the database (the reader's
findings are condition ids and details), nothing here logs the answers.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_gate import booking_requests, reset_booking
from actions.booking_services import length_buttons
from actions.constants import (
    ACTION_BOOK,
    ENTITY_SCREENING_REDO,
    FORM_BOOKING,
    INTENT_AFFIRM,
    INTENT_BOOK,
    INTENT_DENY,
    INTENT_FAQ,
    INTENT_INFORM_BOOKING,
    INTENT_INFORM_HEALTH,
    RESPONSE_EMERGENCY,
    SLOT_RESUME,
    SLOT_SCREENING_ANSWER,
    SLOT_SCREENING_CONSENT,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_SCREENING_STATE,
)
from actions.faq import utter_faq
from actions.massage_types import (
    ActionCompareMassageTypes,
    ActionMassageTypeInfo,
    ActionRecommendMassage,
)
from actions.store import db
from clinic_core import clock
from clinic_core.nlp.reader import read
from clinic_core.screening import interview
from clinic_core.screening.model import Finding, Reading, may_book

logger = logging.getLogger(__name__)

DONE = "done"
CONFIRM = "confirm"  # the pseudo-question: the summary the client confirms
#: how each kind of question of the rules file is asked (the buttons are the domain's)
QUESTION_RESPONSES = {
    "service": "utter_screening_question_service",
    "free_text": "utter_screening_question_free_text",
}
#: the second (and last) time a question is shown: the same buttons and
#: "talk to a person" (the call-back), whatever kind of question it is
RETRY_RESPONSES = {
    "service": "utter_screening_question_service_retry",
    "free_text": "utter_screening_question_free_text_retry",
}
#: what the client asked instead of answering, and the action that answers
#: it in the form (the question then comes back once: note_off_topic)
OFF_TOPIC_ACTIONS: dict[str, type[Action]] = {
    "ask_massage_type": ActionMassageTypeInfo,
    "compare_massage_types": ActionCompareMassageTypes,
    "recommend_massage": ActionRecommendMassage,
}


def reading_of(text: str, intent: str | None) -> Reading:
    """The reader's view of one answer; a button's /affirm or /deny is a
    plain yes or no."""
    if intent == INTENT_AFFIRM and text.startswith("/"):
        return Reading(polarity=True)
    if intent == INTENT_DENY and text.startswith("/"):
        return Reading(polarity=False)
    return read(content.nlp(), text)


def _ui(state: dict[str, Any]) -> dict[str, Any]:
    """Form bookkeeping kept beside the interview's own keys."""
    return state.setdefault("ui", {"asked": None, "confirming": False})


def _is_service_question(rules: Any, asked: str | None) -> bool:
    """Whether the pending question is the rules file's "body or facial?"."""
    if not asked or asked == CONFIRM or ":" in asked:
        return False
    return rules.question(asked).kind == "service"


def prefilled_state(tracker: Tracker) -> dict[str, Any]:
    """A new screening that already knows what the client said before it
    started ("hi, I'm 20 weeks pregnant, can I book?"): those messages are
    read now, after consent, never before."""
    rules = content.rules()
    state = interview.new_state()
    for event in tracker.events_after_latest_restart():
        if event.get("event") == "user" and not (event.get("text") or "").startswith("/"):
            state = interview.prefill(state, read(content.nlp(), event.get("text") or ""), rules)
    _ui(state)
    return state


def current_state(tracker: Tracker) -> dict[str, Any]:
    state = tracker.get_slot(SLOT_SCREENING_STATE)
    if not isinstance(state, dict):
        state = prefilled_state(tracker)
    return state


def reopen_events(
    tracker: Tracker, news: str | None = None, service: str | None = None
) -> list[EventType]:
    """Reopens the pre-screen at the point that health news or a change of
    service makes necessary (issue 11, items 5 and 6), for the booking side.

    Return these events from an action: ``news`` is the client's message
    ("I'm 30 weeks pregnant"), read by the project's reader and taken as an
    answer (clinic_core.screening.interview.reopen); ``service`` (body or
    facial) switches the service, keeping every answer
    (interview.change_service). The form then asks only what changed: the
    news' follow-up, a question that now applies, or the other service's
    own questions (interview.questions_added_by tells which beforehand);
    then the summary, and action_screening_finish sets the new
    ``screening_outcome``. The old outcome is cleared at once, so nothing
    books on it meanwhile. Without an earlier pre-screen with consent in
    this conversation, the pre-screen simply starts (consent first, the
    earlier messages read after it)."""
    rules = content.rules()
    state = tracker.get_slot(SLOT_SCREENING_STATE)
    if not isinstance(state, dict) or tracker.get_slot(SLOT_SCREENING_CONSENT) is not True:
        return [
            SlotSet(SLOT_SCREENING_OUTCOME, None),
            SlotSet(SLOT_SCREENING_REASONS, None),
            SlotSet(SLOT_SCREENING_STATE, None),
            FollowupAction("screening_form"),
        ]
    if news:
        state = interview.reopen(rules, state, read(content.nlp(), news))
    if service in ("body", "facial"):
        state = interview.change_service(rules, state, service)
    ui = _ui(state)
    ui.update({"asked": None, "confirming": False})
    done = bool(state.get("emergency"))
    if not done and interview.next_question(rules, state) is None:
        ui["confirming"] = True  # nothing new to ask: the summary, to confirm the change
    return [
        SlotSet(SLOT_SCREENING_STATE, state),
        SlotSet(SLOT_SCREENING_OUTCOME, None),
        SlotSet(SLOT_SCREENING_REASONS, None),
        SlotSet(SLOT_SCREENING_ANSWER, DONE if done else None),
        FollowupAction("screening_form"),
    ]


class ValidateScreeningForm(FormValidationAction):
    def name(self) -> str:
        return "validate_screening_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(SLOT_SCREENING_CONSENT) is False:
            return []  # declined: no health question is asked
        return domain_slots

    def validate_screening_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {SLOT_SCREENING_CONSENT: True, SLOT_SCREENING_STATE: current_state(tracker)}
        return {SLOT_SCREENING_CONSENT: False, SLOT_SCREENING_STATE: None}

    async def validate_screening_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Every answer is read by the project's reader first, whatever the
        intent classifier thought (nlu_fallback included); only a message in
        which the reader finds nothing (no condition, no yes or no, no
        service) can be a question about something else, which is answered
        here before the pending question comes back once."""
        rules = content.rules()
        state = current_state(tracker)
        ui = _ui(state)
        text = str(value or "")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        redo = [
            e.get("value")
            for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == ENTITY_SCREENING_REDO
        ]
        reading = reading_of(text, intent)
        read_something = bool(reading.findings) or reading.polarity is not None
        asked = ui.get("asked")
        service = (
            interview.service_wanted(text, reading.massage_types)
            if not text.startswith("/")
            else None
        )

        if ui.get("confirming"):
            if not (read_something or redo or service) and await _answer_off_topic(
                dispatcher, tracker, domain, intent
            ):
                return {SLOT_SCREENING_ANSWER: None, SLOT_SCREENING_STATE: state}
            return self._confirm(rules, state, reading, redo, service)
        if (
            _is_service_question(rules, asked)
            and service
            and not (intent == INTENT_FAQ and _is_question(text))
        ):
            state = interview.prefill(state, reading, rules)  # anything else they said
            state["service"] = service
        elif not read_something and await _answer_off_topic(dispatcher, tracker, domain, intent):
            if asked:
                state = interview.note_off_topic(rules, state, asked)
        elif asked:
            state = interview.apply_answer(rules, state, asked, reading)
        _ui(state).update(ui)
        return self._next(rules, state)

    def _next(self, rules: Any, state: dict[str, Any]) -> dict[str, Any]:
        """Keep asking (answer slot None) until the interview has no question;
        then ask for confirmation; an emergency ends the form at once."""
        ui = _ui(state)
        if state.get("emergency"):
            return {SLOT_SCREENING_ANSWER: DONE, SLOT_SCREENING_STATE: state}
        if interview.next_question(rules, state) is None:
            ui["confirming"] = True
        return {SLOT_SCREENING_ANSWER: None, SLOT_SCREENING_STATE: state}

    def _confirm(
        self,
        rules: Any,
        state: dict[str, Any],
        reading: Reading,
        redo: list[Any],
        service: str | None,
    ) -> dict[str, Any]:
        """The summary's answer: a yes ("yes thanks", "that's right",
        "correct") confirms; a correction is applied (a condition added or
        denied, another service: then only the questions that differ are
        asked); a no offers the answers to change."""
        ui = _ui(state)
        if redo:
            # "Change an answer": forget that answer; the question comes again.
            state = interview.reset_question(rules, state, str(redo[0]))
            ui["confirming"] = False
            _ui(state).update(ui)
            return self._next(rules, state)
        changed = False
        noted = {d["condition"] for d in state.get("findings") or []}
        theirs = [c for c in reading.someone_elses if c in noted]
        if theirs:
            # "the cold is my son's, not mine": a correction of what is noted
            denial = Reading(findings=tuple(Finding(condition=c, negated=True) for c in theirs))
            state = interview.prefill(state, denial, rules)
            changed = True
        if service in ("body", "facial") and service != state.get("service"):
            state = interview.change_service(rules, state, service)
            changed = True
        if reading.findings:
            # A correction typed at the summary ("actually I'm not pregnant").
            state = interview.prefill(state, reading, rules)
            changed = True
        if changed:
            ui["confirming"] = False
            _ui(state).update(ui)
            return self._next(rules, state)
        if reading.polarity is True:
            return {SLOT_SCREENING_ANSWER: DONE, SLOT_SCREENING_STATE: state}
        ui["offer_changes"] = True
        return {SLOT_SCREENING_ANSWER: None, SLOT_SCREENING_STATE: state}


_QUESTION_WORDS = frozenset(
    "how what when where why which who do does is are can could would will should".split()
)


def _is_question(text: str) -> bool:
    """ "How much is a facial?" asks; "facial massage" (the button) answers."""
    words = text.strip().lower().split()
    return text.strip().endswith("?") or bool(words and words[0] in _QUESTION_WORDS)


async def _answer_off_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, intent: str | None
) -> bool:
    """Answers a message that is not an answer (an FAQ, a massage-type
    question, a booking wish); False when it is none of those (then it is
    an answer that could not be read)."""
    if intent == INTENT_FAQ:
        return utter_faq(dispatcher, tracker, domain)
    if intent in (INTENT_BOOK, INTENT_INFORM_BOOKING):
        dispatcher.utter_message(response="utter_screening_booking_after")
        return True
    action = OFF_TOPIC_ACTIONS.get(intent or "")
    if action is not None:
        await action().run(dispatcher, tracker, domain)
        return True
    return False


class ActionAskScreeningConsent(Action):
    def name(self) -> str:
        return "action_ask_screening_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = content.rules()
        days = content.profile().retention.screening_days
        dispatcher.utter_message(
            response="utter_screening_opening", message=rules.message("opening")
        )
        dispatcher.utter_message(
            response="utter_ask_screening_consent", message=interview.consent_text(rules, days)
        )
        return []


class ActionAskScreeningAnswer(Action):
    """Asks the interview's next question, or shows the summary to confirm."""

    def name(self) -> str:
        return "action_ask_screening_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = content.rules()
        state = current_state(tracker)
        ui = _ui(state)
        if ui.get("confirming"):
            self._summary(dispatcher, rules, state)
            ui["asked"] = CONFIRM
            return [SlotSet(SLOT_SCREENING_STATE, state)]
        question = interview.next_question(rules, state)
        if question is None:  # nothing left: the summary comes next turn
            ui["confirming"] = True
            self._summary(dispatcher, rules, state)
            return [SlotSet(SLOT_SCREENING_STATE, state)]
        kind = (
            question.kind
            if question.question_id == interview.EXTRA
            else rules.question(question.question_id).kind
        )
        if question.kind == "retry" or (kind == "service" and state.get("service_tries")):
            response = RETRY_RESPONSES.get(kind, "utter_screening_question_retry")
        elif question.kind == "follow_up":
            response = "utter_screening_question_yes_no"
        else:
            response = QUESTION_RESPONSES.get(kind, "utter_screening_question_yes_no")
        dispatcher.utter_message(response=response, question=question.full_text)
        ui["asked"] = question.id
        return [SlotSet(SLOT_SCREENING_STATE, state)]

    @staticmethod
    def _summary(dispatcher: CollectingDispatcher, rules: Any, state: dict[str, Any]) -> None:
        ui = _ui(state)
        lines = "\n".join(f"• {line}" for line in interview.summary(rules, state))
        if ui.pop("offer_changes", False):
            buttons = [  # one per answered question, titled with the rules file's own words
                {
                    "title": q.text.split("?")[0][:40] + "…",
                    "payload": f'/{INTENT_INFORM_HEALTH}{{"{ENTITY_SCREENING_REDO}": "{q.id}"}}',
                }
                for q in rules.questions
                if q.id in state.get("answers", {})
            ][:8]
            dispatcher.utter_message(
                response="utter_screening_summary_change", lines=lines, buttons=buttons
            )
        else:
            dispatcher.utter_message(response="utter_screening_summary", lines=lines)


class ActionScreeningFinish(Action):
    """Tells the client the outcome and what happens next; stores the
    minimised record; queues anything but `ok` for a therapist's review."""

    def name(self) -> str:
        return "action_screening_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = content.rules()
        if tracker.get_slot(SLOT_SCREENING_CONSENT) is False:
            dispatcher.utter_message(
                response="utter_screening_declined", message=rules.message("consent_declined")
            )
            dispatcher.utter_message(response="utter_contact")
            return [
                SlotSet(SLOT_SCREENING_CONSENT, None),
                SlotSet(SLOT_SCREENING_STATE, None),
                SlotSet(SLOT_SCREENING_ANSWER, None),
            ]
        state = current_state(tracker)
        result = interview.outcome(rules, state)
        events: list[EventType] = [
            SlotSet(SLOT_SCREENING_OUTCOME, result.outcome),
            SlotSet(SLOT_SCREENING_REASONS, list(result.reasons)),
            SlotSet(SLOT_SCREENING_ANSWER, None),
        ]
        saved = await self._save(tracker.sender_id, rules, state)
        if result.outcome == "emergency":
            dispatcher.utter_message(response=RESPONSE_EMERGENCY)
            return events + continue_booking(tracker, result.outcome)
        message = rules.message(result.outcome)
        notes = interview.client_notes(rules, state)
        if notes:
            message += "\n" + "\n".join(notes)
        message += "\n" + rules.message("always")
        if not saved:  # the truth: no therapist will see what was not saved
            message += "\n" + rules.message("not_saved", phone=content.profile().phone)
        elif result.outcome != "ok":
            message += "\n" + rules.message("review")
        after = continue_booking(tracker, result.outcome)
        bookable = may_book(result.outcome)
        offer = length_buttons(domain, state.get("service")) if bookable and not after else []
        response = (
            "utter_screening_outcome_bookable" if bookable else "utter_screening_outcome_call"
        )
        # asked for the check only: the offer asks the length (one turn fewer)
        response = "utter_screening_outcome_offer" if offer else response
        dispatcher.utter_message(response=response, message=message, buttons=offer or None)
        return events + after

    @staticmethod
    async def _save(sender_id: str, rules: Any, state: dict[str, Any]) -> bool:
        """Writes the minimised record; a database outage is survivable (the
        client still gets their outcome)."""
        now = clock.now()
        record = interview.stored_record(
            rules, state, now, content.profile().retention.screening_days
        )
        try:
            await db(
                lambda s: s.save_screening(
                    sender_id,
                    record["outcome"],
                    record["reasons"],
                    {k: record[k] for k in ("service", "conditions", "answers", "rules_version")},
                    now=now,
                )
            )
            return True
        except Exception as error:  # noqa: BLE001 - any storage failure
            logger.error("screening record not saved: %s", type(error).__name__)
            return False


def continue_booking(tracker: Tracker, outcome: str) -> list[EventType]:
    """After the outcome, booking goes on by itself when the client asked to
    book (issue 11, item 7: a booking wish in any message starts booking,
    with the wish kept): a pre-screen reopened from booking resumes the
    booking form with its answers; a pre-screen the booking request started
    opens it (action_book, with what the client said when asking). A
    pre-screen asked for on its own offers the booking instead (a "yes"
    then books: data/rules/booking.yml). An outcome that does not allow
    booking drops what the booking had."""
    resume = bool(tracker.get_slot(SLOT_RESUME))
    if not may_book(outcome):
        return (reset_booking() + [SlotSet(SLOT_RESUME, None)]) if resume else []
    if resume:
        return [SlotSet(SLOT_RESUME, None), FollowupAction(FORM_BOOKING)]
    if booking_requests(tracker):
        return [FollowupAction(ACTION_BOOK)]
    return []


class ActionScreeningPause(Action):
    def name(self) -> str:
        return "action_screening_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_screening_paused")
        return []
