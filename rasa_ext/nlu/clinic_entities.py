"""Entities from the project's spaCy entity ruler, as Rasa entities.

The ruler (built from data/lookups) already knows every synonym and common
misspelling of a massage type and resolves it to the canonical id, so this
component only translates spaCy spans into Rasa's entity format, with the
canonical id as the value. Doing it by lookup rather than with DIET keeps
the contract's canonical values exact and needs no annotated examples.

Short names ("sports", "deep", "a regular massage") are ordinary words
alone, so the ruler leaves them out; in a comparison next to another type
("sports vs deep tissue?") they name a type, and are added here
(clinic_core.massage_types.comparison_mentions; the list is the lookups
file's ``in_comparisons``, saved in the spaCy pipeline's meta).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.massage_types import comparison_mentions
from rasa_ext.nlu.overrides import StatelessComponent

#: spaCy label -> Rasa entity name. Other labels (conditions, medications)
#: are health data and are read by the screening actions, not the NLU.
ENTITY_NAMES: dict[str, str] = {"MASSAGE_TYPE": "massage_type", "BODY_AREA": "body_area"}
MASSAGE_TYPE = "MASSAGE_TYPE"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class ClinicEntityExtractor(StatelessComponent, EntityExtractorMixin):
    """Adds `massage_type` and `body_area` entities with canonical values."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        short_names = (model.model.meta.get("clinic") or {}).get("in_comparisons", {})
        short_types = short_names.get(MASSAGE_TYPE) or {}
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            found = [
                {
                    "entity": ENTITY_NAMES[ent.label_],
                    "value": ent.ent_id_ or ent.text.lower(),
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "confidence": 1.0,
                }
                for ent in doc.ents
                if ent.label_ in ENTITY_NAMES
            ]
            if short_types:  # after the ruler's: a question about one type keeps its type first
                found += _compared_types(doc, short_types)
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages


def _compared_types(doc: Any, short_types: dict[str, str]) -> list[dict[str, Any]]:
    """Short type names the message uses in a comparison, as entities."""
    named = [(e.start, e.end, e.ent_id_) for e in doc.ents if e.label_ == MASSAGE_TYPE]
    words = [t.lower_ for t in doc]
    return [
        {
            "entity": ENTITY_NAMES[MASSAGE_TYPE],
            "value": type_id,
            "start": doc[i].idx,
            "end": doc[i].idx + len(doc[i].text),
            "confidence": 1.0,
        }
        for i, type_id in comparison_mentions(words, named, short_types)
    ]
