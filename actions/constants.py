"""Every name the actions share with the domain, the rules and the tests,
in one place (as covidflow's constants.py keeps them): intents, entities,
slots, forms, actions and the responses chosen from Python.

Intent, entity and slot names of the contract (../shared/spec/contract.md)
are public: the clinic's analytics and acceptance tests use them.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- #
# intents
# --------------------------------------------------------------------------- #
INTENT_FAQ = "faq"
INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_BOOK = "book_appointment"
INTENT_INFORM_BOOKING = "inform_booking"
INTENT_CANCEL = "cancel_appointment"
INTENT_START_SCREENING = "start_screening"
INTENT_HANDOFF = "human_handoff"
INTENT_EMERGENCY = "emergency"
INTENT_STOP = "stop"
INTENT_INFORM_HEALTH = "inform_health"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_NLU_FALLBACK = "nlu_fallback"
#: what a client types when asking to book ("next Tuesday afternoon, 60 minutes")
BOOK_INTENTS = (INTENT_BOOK, INTENT_INFORM_BOOKING)

# --------------------------------------------------------------------------- #
# entities
# --------------------------------------------------------------------------- #
ENTITY_MASSAGE_TYPE = "massage_type"
ENTITY_BODY_AREA = "body_area"
ENTITY_FAQ_TOPIC = "faq_topic"
#: one per FAQ topic of a message that asks several (rasa_ext/nlu/linear_classifier.py)
ENTITY_ASKED_TOPIC = "asked_topic"
ENTITY_SCREENING_REDO = "screening_redo"
#: the answer a form's button carries: /inform_booking{"booking_choice": "..."}
ENTITY_CHOICE = "booking_choice"
#: a button that asks for a call-back outright: /human_handoff{"callback": "yes"}
ENTITY_CALLBACK = "callback"

# --------------------------------------------------------------------------- #
# slots
# --------------------------------------------------------------------------- #
SLOT_REQUESTED = "requested_slot"
SLOT_MASSAGE_TYPE = "massage_type"
# the pre-screen
SLOT_SCREENING_OUTCOME = "screening_outcome"
SLOT_SCREENING_REASONS = "screening_reasons"
SLOT_SCREENING_CONSENT = "screening_consent"
SLOT_SCREENING_STATE = "screening_state"
SLOT_SCREENING_ANSWER = "screening_answer"
#: whether action_health_question answered from the rules file (True) or
#: leaves it to the pre-screen (False): a branch for the rules, no health data
SLOT_HEALTH_ANSWERED = "health_question_answered"
#: set once "forget me" erased the client's records; the tracker store then
#: erases the conversation (rasa_ext/sql_tracker_store.py ERASED_SLOT)
SLOT_CONVERSATION_ERASED = "conversation_erased"
#: set when a form must end at once (database down, too many attempts)
SLOT_STOP = "form_stopped"
# booking
SLOT_ALLOWED = "booking_allowed"
SLOT_SERVICE = "booking_service"
SLOT_MINUTES = "booking_minutes"
SLOT_WHEN = "booking_when"
SLOT_SLOT = "booking_slot"
SLOT_NAME = "booking_name"
SLOT_PHONE = "booking_phone"
SLOT_EMAIL = "booking_email"
SLOT_CONFIRMED = "booking_confirmed"
SLOT_OFFERS = "booking_offers"
SLOT_REFERENCE = "booking_reference"
#: the therapist the client asked for in this booking (actions/therapist_choice.py)
SLOT_THERAPIST = "booking_therapist"
#: the pre-screen was reopened from booking (a change of service, health news):
#: booking resumes with its answers when the new outcome allows it
SLOT_RESUME = "booking_resume"
# cancelling or moving
SLOT_M_REFERENCE = "manage_reference"
SLOT_M_CONTACT = "manage_contact"
SLOT_M_ACTION = "manage_action"
SLOT_M_WHEN = "manage_when"
SLOT_M_SLOT = "manage_slot"
SLOT_M_CONFIRMED = "manage_confirmed"
SLOT_M_BOOKING = "manage_booking"
SLOT_M_ATTEMPTS = "manage_attempts"
# call-back
SLOT_CALLBACK_NAME = "callback_name"
SLOT_CALLBACK_PHONE = "callback_phone"
SLOT_CALLBACK_TIME = "callback_time"

BOOKING_SLOTS = (
    SLOT_SERVICE,
    SLOT_MINUTES,
    SLOT_WHEN,
    SLOT_SLOT,
    SLOT_NAME,
    SLOT_PHONE,
    SLOT_CONFIRMED,
)
MANAGE_SLOTS = (
    SLOT_M_REFERENCE,
    SLOT_M_CONTACT,
    SLOT_M_ACTION,
    SLOT_M_WHEN,
    SLOT_M_SLOT,
    SLOT_M_CONFIRMED,
)
CALLBACK_SLOTS = (SLOT_CALLBACK_NAME, SLOT_CALLBACK_PHONE, SLOT_CALLBACK_TIME)

# --------------------------------------------------------------------------- #
# forms and actions
# --------------------------------------------------------------------------- #
FORM_SCREENING = "screening_form"
FORM_BOOKING = "booking_form"
FORM_MANAGE = "manage_booking_form"
FORM_CALLBACK = "callback_form"
ACTION_CALLBACK_START = "action_callback_start"
ACTION_BOOKING_SUBMIT = "action_booking_submit"
ACTION_BOOK = "action_book"

# --------------------------------------------------------------------------- #
# responses
# --------------------------------------------------------------------------- #
RETRIEVAL_FAQ = "faq"
#: the emergency message: a domain response, so the Rasa server sends it alone
RESPONSE_EMERGENCY = "utter_emergency"

#: how many failed look-ups end the cancel/move form
MAX_FIND_ATTEMPTS = 3
