"""Massage-type questions: describe one, compare two, recommend from a need.

The knowledge is clinic/massage_types.yml; the descriptions, comparisons
and recommendations are written from it by clinic_core.massage_types. These
actions pick the entities and the types to offer as buttons; the messages
around them are the domain's responses.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import ENTITY_BODY_AREA, ENTITY_MASSAGE_TYPE, INTENT_BOOK, SLOT_MASSAGE_TYPE
from actions.forms import button
from actions.health import answer_for, utter_health_answer
from clinic_core.massage_types import MassageType, compare, describe, recommend


def entity_values(tracker: Tracker, name: str) -> list[str]:
    """Distinct values of one entity in the latest message, in order."""
    values: list[str] = []
    for entity in tracker.latest_message.get("entities") or []:
        value = entity.get("value")
        if entity.get("entity") == name and value and value not in values:
            values.append(str(value))
    return values


def type_buttons(ids: list[str], payload: str = "/ask_massage_type") -> list[dict[str, str]]:
    types = content.massage_types()
    return [
        {"title": types[i].name, "payload": f'{payload}{{"massage_type": "{i}"}}'}
        for i in ids
        if i in types
    ]


def offered(types: dict[str, MassageType]) -> list[str]:
    """The ids of the types the clinic offers, in the file's order."""
    return [t for t, mt in types.items() if mt.bookable]


def type_before_this_message(tracker: Tracker) -> str | None:
    """The massage type talked about before the latest message.

    The slot itself is no help: its entity mapping has already put this
    message's type in it ("how is it different from deep tissue?" after
    "what is sports massage?" would compare deep tissue with itself)."""
    seen_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_message = True
        elif (
            seen_message and event.get("event") == "slot" and event.get("name") == SLOT_MASSAGE_TYPE
        ):
            value = event.get("value")
            return str(value) if isinstance(value, str) else None
    return None


class ActionMassageTypeInfo(Action):
    def name(self) -> str:
        return "action_massage_type_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        types = content.massage_types()
        named = [t for t in entity_values(tracker, ENTITY_MASSAGE_TYPE) if t in types]
        if not named:
            dispatcher.utter_message(
                response="utter_massage_types_offered", buttons=type_buttons(offered(types))
            )
            return []
        mt = types[named[0]]
        if mt.bookable:
            others = [t for t in types if t != mt.id and types[t].bookable][:1]
            buttons = [
                button(
                    domain,
                    "utter_button_compare_with",
                    f'/compare_massage_types{{"massage_type": ["{mt.id}", "{o}"]}}',
                    name=types[o].name,
                )
                for o in others
            ]
            dispatcher.utter_message(
                response="utter_massage_type", description=describe(mt), buttons=buttons
            )
        else:  # "do you do hot stone?": the closest type the clinic offers, and booking
            buttons = type_buttons([mt.closest] if mt.closest else [])
            buttons.append(button(domain, "utter_button_book", f"/{INTENT_BOOK}"))
            dispatcher.utter_message(
                response="utter_massage_type_not_offered", description=describe(mt), buttons=buttons
            )
        return [SlotSet(SLOT_MASSAGE_TYPE, mt.id)]


class ActionCompareMassageTypes(Action):
    def name(self) -> str:
        return "action_compare_massage_types"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        types = content.massage_types()
        named = [t for t in _flatten(entity_values(tracker, ENTITY_MASSAGE_TYPE)) if t in types]
        previous = type_before_this_message(tracker)
        if len(named) == 1 and previous in types and previous != named[0]:
            named.insert(0, previous)  # "how is it different from deep tissue?"
        if len(named) < 2:
            dispatcher.utter_message(
                response="utter_ask_which_to_compare",
                buttons=type_buttons([t for t, mt in types.items() if mt.bookable][:4]),
            )
            return []
        dispatcher.utter_message(
            response="utter_massage_comparison",
            comparison=compare(types[named[0]], types[named[1]]),
        )
        return []


def _flatten(values: list[Any]) -> list[str]:
    """Button payloads may carry a list of types in one entity."""
    flat: list[str] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(str(v) for v in value)
        elif isinstance(value, str) and value.startswith("["):
            flat.extend(v.strip(" '\"") for v in value.strip("[]").split(","))
        else:
            flat.append(str(value))
    return flat


class ActionRecommendMassage(Action):
    def name(self) -> str:
        return "action_recommend_massage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        types = content.massage_types()
        text = tracker.latest_message.get("text") or ""
        # "a stiff neck, and I'm on warfarin": what the rules file says about
        # the condition, and never a type it rules out (issue 10, item 5)
        health = answer_for(text)
        if health is not None and health.emergency:
            utter_health_answer(dispatcher, health)
            return []
        avoid = health.avoid_types if health is not None else ()
        rec = recommend(text, types, entity_values(tracker, ENTITY_BODY_AREA), exclude=avoid)
        if rec.type_id is None:
            # "hot stones, please": the closest type offered when nothing else matched
            closest = types[rec.not_offered].closest if rec.not_offered else None
            fallback = [closest] if closest and closest not in avoid else []
            buttons = [] if health else type_buttons(list(rec.alternatives) or fallback)
            if rec.reason:
                dispatcher.utter_message(
                    response="utter_recommendation_none", reason=rec.reason, buttons=buttons
                )
            elif health is None and not buttons:
                # nothing to go on ("which massage is best for me?"): the types
                # offered, to read about, beside the question that lets us suggest
                # one. "What kinds do you specialise in?" often reads as this
                # intent too, and gets the list it asked for
                dispatcher.utter_message(
                    response="utter_ask_what_for_offered", buttons=type_buttons(offered(types))
                )
            else:
                dispatcher.utter_message(response="utter_ask_what_for", buttons=buttons)
            if health is not None:
                utter_health_answer(dispatcher, health)
            return []
        # with a health answer the check is the next step, not booking: no buttons
        then = "_before_check" if health is not None else ""
        if rec.alternatives:
            dispatcher.utter_message(
                response=f"utter_recommendation_with_alternatives{then}",
                reason=rec.reason,
                alternatives=", ".join(types[a].name for a in rec.alternatives),
            )
        else:
            dispatcher.utter_message(response=f"utter_recommendation{then}", reason=rec.reason)
        if health is not None:
            utter_health_answer(dispatcher, health)
        return [SlotSet(SLOT_MASSAGE_TYPE, rec.type_id)]
