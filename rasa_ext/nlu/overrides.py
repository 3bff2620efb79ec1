"""What the project's rule-based NLU components share.

They keep no state and train nothing (the message guard, the entity ruler's
extractor, and the overrides that correct the classifier: red flags, booking
wishes, comparisons), so Rasa's graph creates each the same way; the
overrides also set an intent the same way, and read whether a form is
active the same way. One home for these.
"""

from __future__ import annotations

from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_TWO_STAGE_FALLBACK_NAME
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

Component = TypeVar("Component", bound="StatelessComponent")


class StatelessComponent(GraphComponent):
    """A graph component with no configuration, state or training."""

    @classmethod
    def create(
        cls: type[Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Component:
        return cls()


def force_intent(message: Message, name: str) -> None:
    """Makes `name` the message's intent at full confidence, first in the ranking."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != name]
    top = {"name": name, "confidence": 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)


def in_a_form(tracker: DialogueStateTracker | None) -> bool:
    """Whether a form (any loop but the two-stage fallback) is active: a form
    reads its answers itself, so the components that correct the classifier
    (the comparison) or hold it to a threshold (the fallback) know where the
    client is. No tracker (`/model/parse`): no form."""
    if tracker is None:
        return False
    return tracker.active_loop_name not in (None, ACTION_TWO_STAGE_FALLBACK_NAME)
