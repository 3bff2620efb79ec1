"""Rasa's response templates, with the clinic profile's facts filled in.

Why: the practical FAQ answers (prices, hours, address, policies; see
data/responses/faq_practical.yml) have {placeholders} that come from
clinic/profile.yml, which the clinic edits without retraining. Filling them
here, in the Rasa server, lets every FAQ be answered by Rasa's own
`utter_faq` retrieval action, without a round trip to the action server
(which cost about a tenth of a turn's time; docs/performance.md). The greeting (its clinic name) is a plain response for the
same reason. Actions that utter these responses (a button's FAQ, an FAQ
inside a form) pass no values: they are filled here, once; a value an
action does pass wins.

Configured in the endpoints file, as Rasa loads custom generators:

    nlg:
      type: rasa_ext.nlg.ClinicNLG
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from clinic_core.profile import ANSWER_KEYS, ProfileError, current_profile
from rasa_ext import rasa_patches

logger = logging.getLogger(__name__)
rasa_patches.apply()  # Rasa loads this module from its configuration (see rasa_ext/__init__.py)

_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def responses_with_profile_facts(responses: dict[str, Any]) -> set[str]:
    """The responses whose text names one of the profile's placeholders."""
    found = set()
    for name, variations in responses.items():
        for variation in variations or []:
            if set(_PLACEHOLDER.findall(str(variation.get("text") or ""))) & ANSWER_KEYS:
                found.add(name)
    return found


class ClinicNLG(TemplatedNaturalLanguageGenerator):
    """Rasa's templated generator, plus the profile's facts where needed."""

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self._with_facts: set[str] = set()
        self._seen: dict[str, Any] | None = None

    @property
    def with_facts(self) -> set[str]:
        """Recomputed when Rasa swaps the responses: it creates the generator
        with an empty domain and sets the model's responses afterwards."""
        if self._seen is not self.responses:
            self._with_facts = responses_with_profile_facts(self.responses)
            self._seen = self.responses
        return self._with_facts

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        if utter_action in self.with_facts:
            kwargs = {**_profile_values(), **kwargs}
        return await super().generate(utter_action, tracker, output_channel, **kwargs)


def _profile_values() -> dict[str, str]:
    """The current profile's values; none (the template's own text) when the
    file is broken, so the client still gets an answer."""
    try:
        return current_profile().answer_values()
    except ProfileError:
        logger.exception("clinic profile unreadable: practical answers go out unfilled")
        return {}
