"""What each pre-screen question is about, in the simulator's own topics.

The scripted clients answer by TOPIC ("pregnancy weeks", "blood thinners"),
never by the assistant's question ids, so that the clients stay true when
the dialogue changes. This module is the ONE place that ties today's
question ids (``clinic/screening_rules.yml``, ``questions:``) to topics:
when a question is split or renamed, update the two tables below and
nothing else.

How the driver knows which question is pending: from the tracker. The
screening form keeps the id of the question it just asked in the slot
``screening_state`` (``ui.asked``): a main question (``pregnancy``), the
follow-up of a question (``surgery_injury:follow_up``), the follow-up of a
condition found in an answer (``pregnancy:follow_up:pregnancy``,
``extra:follow_up:<condition>`` for conditions no question is home to) or
the summary (``confirm``). The id is exact; guessing the question from its
wording would make the simulator's own guess a source of errors. What the
client SEES decides everything else (see simulator.py).
"""

from __future__ import annotations

#: every topic a client can answer (the keys of a client's `answers`)
TOPICS = (
    "consent",
    "red_flags",
    "unwell",
    "service",
    "clots",
    "blood_thinners",
    "bleeding",
    "swollen_calf",
    "pregnancy",
    "pregnancy_weeks",
    "pregnancy_complications",
    "cancer",
    "heart",
    "surgery",
    "fracture",
    "injury",
    "diabetes",
    "osteoporosis",
    "epilepsy",
    "skin",
    "facial_treatments",
    "facial_dental_surgery",
    "facial_skin",
    "jaw_nerve",
    "anything_else",
)

#: today's main question ids -> the topics a client answers there. A
#: question with several topics gets the client's answers to each of them
#: in one message (or the client's "no" when none applies to them).
QUESTION_TOPICS: dict[str, tuple[str, ...]] = {
    # what the client has right now: the red flags and a swollen, hot calf
    "red_flags": ("red_flags", "swollen_calf"),
    "unwell": ("unwell",),
    "service": ("service",),
    # the past and the medicines: a clot, a blood thinner, bleeding easily
    "clots_bleeding": ("clots", "blood_thinners", "bleeding"),
    "pregnancy": ("pregnancy",),
    # asked only in pregnancy, after the weeks
    "pregnancy_complications": ("pregnancy_complications",),
    "cancer": ("cancer",),
    "heart": ("heart",),
    "surgery_injury": ("surgery", "fracture", "injury"),
    "long_term": ("diabetes", "osteoporosis", "epilepsy"),
    "skin_area": ("skin",),
    "facial_treatments": ("facial_treatments",),
    "facial_surgery_dental": ("facial_dental_surgery",),
    "facial_skin": ("facial_skin",),
    "jaw_nerve": ("jaw_nerve",),
    "anything_else": ("anything_else",),
}

#: follow-ups asked about one condition (`<question>:follow_up:<condition>`):
#: the topics that hold the client's answer, most likely first. A client
#: answers with the first of them it has something to say about (its
#: `details`, "which / how long ago / where", else its answer again).
CONDITION_TOPICS: dict[str, tuple[str, ...]] = {
    "red_flag": ("red_flags",),
    "suspected_dvt": ("swollen_calf",),
    "dvt_history": ("clots", "blood_thinners"),
    "anticoagulants": ("blood_thinners",),
    "bleeding_disorder": ("bleeding",),
    "fever_infection": ("unwell", "anything_else"),
    "contagious_skin": ("unwell", "facial_skin", "skin", "anything_else"),
    "skin_local": ("skin", "facial_skin", "anything_else"),
    "acute_injury": ("injury",),
    "recent_surgery": ("surgery",),
    "fracture": ("fracture",),
    "pregnancy": ("pregnancy_weeks",),
    "pregnancy_complication": ("pregnancy_complications",),
    "cancer": ("cancer",),
    "osteoporosis": ("osteoporosis",),
    "heart_bp": ("heart",),
    "diabetes": ("diabetes",),
    "varicose_veins": ("skin",),
    "epilepsy": ("epilepsy",),
    "facial_injectables": ("facial_treatments",),
    "facial_resurfacing": ("facial_treatments",),
    "facial_surgery": ("facial_dental_surgery",),
    "dental_surgery": ("facial_dental_surgery",),
    "tmj_acute": ("jaw_nerve",),
    "trigeminal_neuralgia": ("jaw_nerve",),
    "acne_rosacea": ("facial_skin",),
    "unexplained_lump": ("skin", "anything_else"),
    "intoxicated": ("unwell", "anything_else"),
}

#: condition follow-ups whose topics are answered in full (each topic's own
#: answer), not with a topic's `details`
WHOLE_ANSWER_CONDITIONS: frozenset[str] = frozenset()

CONSENT = "consent"
SUMMARY = "confirm"


def topics_of(question_id: str | None) -> tuple[tuple[str, ...], str]:
    """(topics, kind) for a pending question id; kind is "main", "follow_up"
    (the question's own follow-up: what / where / how long ago),
    "condition" (a follow-up about one condition), "summary" or "unknown"."""
    if not question_id:
        return (), "unknown"
    if question_id == SUMMARY:
        return (), "summary"
    parts = str(question_id).split(":")
    if len(parts) == 1:
        topics = QUESTION_TOPICS.get(parts[0])
        return (topics, "main") if topics else ((), "unknown")
    if len(parts) == 2 and parts[1] == "follow_up":
        return QUESTION_TOPICS.get(parts[0], ()), "follow_up"
    if len(parts) == 3 and parts[1] == "follow_up":
        condition = parts[2]
        own = CONDITION_TOPICS.get(condition, ())
        home = QUESTION_TOPICS.get(parts[0], ())
        return tuple(dict.fromkeys(own + home + ("anything_else",))), "condition"
    return (), "unknown"


def condition_of(question_id: str | None) -> str | None:
    parts = str(question_id or "").split(":")
    return parts[2] if len(parts) == 3 else None
