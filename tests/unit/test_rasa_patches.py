"""The fixes to Rasa 3.6 applied by rasa_ext/rasa_patches.py keep Rasa's
behaviour: same validation errors, same graph results, same events."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.storage.local_model_storage import LocalModelStorage

from rasa_ext import rasa_patches

rasa_patches.apply()


class AddOne(GraphComponent):
    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: Any, resource: Any, execution_context: Any
    ) -> AddOne:
        return cls()

    def run(self, value: int) -> int:
        return value + 1


class Boom(AddOne):
    def run(self, value: int) -> int:
        raise ValueError("boom")


def _schema(second: type = AddOne) -> GraphSchema:
    return GraphSchema(
        {
            "first": SchemaNode(
                needs={"value": "__input__"},
                uses=AddOne,
                fn="run",
                constructor_name="create",
                config={},
            ),
            "second": SchemaNode(
                needs={"value": "first"},
                uses=second,
                fn="run",
                constructor_name="create",
                config={},
                is_target=True,
            ),
        }
    )


def test_graphs_run_in_dependency_order(tmp_path: Any) -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = DaskGraphRunner(
        _schema(), LocalModelStorage(tmp_path), ExecutionContext(_schema(), "m")
    )
    assert runner.run(inputs={"__input__": 1}) == {"second": 3}
    assert runner.run(inputs={"__input__": 5}, targets=["first"]) == {"first": 6}


def test_a_failing_node_raises_rasas_error(tmp_path: Any) -> None:
    from rasa.engine.exceptions import GraphComponentException
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = DaskGraphRunner(
        _schema(Boom), LocalModelStorage(tmp_path), ExecutionContext(_schema(Boom), "m")
    )
    with pytest.raises(GraphComponentException):
        runner.run(inputs={"__input__": 1})


def test_action_responses_are_still_validated() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    assert RemoteAction._clinic_cached_validator is not None
    good = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    assert RemoteAction._validate_action_result(None, good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction._validate_action_result(None, {"events": [{"event": "no-such-event"}]})


def test_events_and_slots_rebuild_as_before() -> None:
    import copy

    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.core.slots import TextSlot

    for event in (
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("action_listen"),
        SlotSet("a", 1),
    ):
        assert Event.from_parameters(event.as_dict()) == event
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    slot = TextSlot("name", mappings=[], initial_value="x")
    clone = copy.copy(slot)
    assert clone is not slot and clone.__dict__ == slot.__dict__
    clone.value = "y"
    assert slot.value == "x"


def test_the_tracker_store_error_reaches_the_channel() -> None:
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    class Down(InMemoryTrackerStore):
        async def retrieve(self, sender_id: str) -> Any:
            raise ConnectionError("database away")

    store = FailSafeTrackerStore(Down(Domain.empty()))
    with pytest.raises(ConnectionError):
        asyncio.run(store.retrieve("someone"))
