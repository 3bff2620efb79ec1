"""First component of the NLU pipeline: keeps hostile or odd input cheap.

Rasa puts no limit on message length and every later component is at least
linear in the number of tokens (the char n-gram featurizer far worse), so a
10,000-character message is cut before anything expensive sees it. HTML is
stripped so that markup does not skew the classifier; the bot never echoes
user text, so this is about understanding, not XSS (the widget escapes too).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.text import clean_text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class MessageGuard(GraphComponent):
    """Truncates and cleans the text of incoming messages (not training data)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": 600}

    def __init__(self, config: dict[str, Any]) -> None:
        self._max_chars = int(config["max_chars"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.startswith("/"):
                continue  # payloads from buttons are handled by Rasa itself
            message.set(TEXT, clean_text(text, self._max_chars))
        return messages
