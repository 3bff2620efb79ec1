"""Names the domain, the rules and the actions share, in one place.

Intent, entity and slot names of the contract (../shared/spec/contract.md)
are public: the clinic's analytics and acceptance tests use them.
"""
from __future__ import annotations

# Intents
INTENT_FAQ = "faq"
INTENT_AFFIRM = "affirm"
INTENT_DENY = "deny"
INTENT_BOOK = "book_appointment"
INTENT_START_SCREENING = "start_screening"
INTENT_HANDOFF = "human_handoff"
INTENT_EMERGENCY = "emergency"

# Entities
ENTITY_MASSAGE_TYPE = "massage_type"
ENTITY_BODY_AREA = "body_area"
ENTITY_FAQ_TOPIC = "faq_topic"
#: one per FAQ topic of a message that asks several (nlu_components/linear_classifier.py)
ENTITY_ASKED_TOPIC = "asked_topic"
ENTITY_SCREENING_REDO = "screening_redo"

# Slots
SLOT_MASSAGE_TYPE = "massage_type"
SLOT_SCREENING_OUTCOME = "screening_outcome"
SLOT_SCREENING_REASONS = "screening_reasons"
SLOT_SCREENING_CONSENT = "screening_consent"
SLOT_SCREENING_STATE = "screening_state"
SLOT_SCREENING_ANSWER = "screening_answer"
SLOT_REQUESTED = "requested_slot"
#: whether action_health_question answered from the rules file (True) or
#: leaves it to the pre-screen (False): a branch for the rules, no health data
SLOT_HEALTH_ANSWERED = "health_question_answered"
#: set once "forget me" erased the client's records; the tracker store then
#: erases the conversation (channels/sql_tracker_store.py ERASED_SLOT)
SLOT_CONVERSATION_ERASED = "conversation_erased"

# Forms and responses
FORM_SCREENING = "screening_form"
RETRIEVAL_FAQ = "faq"
#: the emergency message: a domain response, so the Rasa server sends it alone
RESPONSE_EMERGENCY = "utter_emergency"
BOOKABLE_OUTCOMES = ("ok", "modify")
