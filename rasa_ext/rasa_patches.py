"""Measured fixes to Rasa 3.6 itself, applied by the modules Rasa loads.

Rasa imports channels.rest (credentials.yml), rasa_ext.sql_tracker_store
and rasa_ext.nlg (endpoints.yml) in every server of this project, and each
calls `apply()`, so `make run`, the tests, the benchmark and the deployment
all run with them. Each can be switched off with CLINIC_RASA_PATCHES
(a comma list of "validator", "runner", "trackers", "apologise",
"emergency", "handover", or "none").

1. Speed. `RemoteAction._validate_action_result`: Rasa 3.6 calls
   `jsonschema.validate` on every action server response, which re-checks
   the (large) events schema against the JSON Schema meta-schema and builds
   a new validator each time: 17.7 ms per call measured alone, about 60% of
   the server's CPU per turn before this fix (py-spy; docs/performance.md). Here the same validation runs through one validator
   built (and its schema checked) once per process; a bad response raises
   the same error.

2. Speed. `DaskGraphRunner.run`: every message runs two small graphs (the
   NLU pipeline, then the policies, once per predicted action), and each
   run builds a dask graph, orders it and schedules it through dask's
   synchronous scheduler: about a tenth of the server's CPU per turn once
   the NLU was cheap (py-spy). The nodes are the same and run in the same
   dependency order, on the same thread, one after the other, as dask's
   synchronous scheduler runs them; the order is computed once per set of
   targets instead of on every call.

3. Speed. Every turn rebuilds the conversation from its stored events, and
   Rasa 3.6 spends a tenth of the turn on two details of that (py-spy):
   `Event.resolve_by_type` walks all Event subclasses for every event (here
   a dictionary, built once, that falls back to the walk for a name it
   does not know), and every tracker copies each slot with `copy.copy`,
   which goes through `__reduce_ex__` (here `Slot.__copy__` makes the same
   shallow copy directly).

4. Robustness. No in-memory fallback when the tracker store is away. Rasa
   wraps the store in a FailSafeTrackerStore: while PostgreSQL is down each
   turn starts from an empty tracker (a pre-screen loses its place, the
   answer makes no sense) and nothing of it is stored. Instead the error
   reaches the channel, and the project's REST channel answers with its
   apology; the client sends the message again and the conversation
   continues where it was (tests/scale checks every numbered message is
   stored, in order). Every channel of the project apologises the same way
   (channels/common.py, answer_or_apologise).

5. Safety. An emergency said while a form is active reaches the emergency
   rules before the form runs. Rasa's RulePolicy runs the active form first
   and applies the rules ("an emergency interrupts the pre-screen", ...)
   only once the form has rejected the message; the form's validation is a
   call to the action server, so while that is down the form fails, no
   rule runs and the client would get the apology instead of the emergency
   message. Here `RulePolicy._find_action_from_loop_happy_path` gives way
   when the latest message's intent is `emergency` and nothing has run
   since it (the rules then deactivate the form and send `utter_emergency`,
   all inside the Rasa server). The two-stage fallback (also a loop) is
   left alone: it ends itself when the client clarifies.

6. Live hand-over (issue 14): no apology for a turn Rasa skipped because a
   person from the clinic has the conversation (paused), and the emergency
   message even then. The code and its reasons are in rasa_ext/handover.py.

The tracker store's own tuning (SQLite WAL, PostgreSQL pre-ping, queries
without the ORM) lives in rasa_ext/sql_tracker_store.py, not here.

Tried and left out: one keep-alive aiohttp session per action endpoint
(Rasa opens a new one per call). No CPU saved within the noise, and under
load a reused connection that the action server had just closed failed a
turn ("Can not write request body"). Encoding action calls with ujson: no
difference in a side-by-side A/B (docs/performance.md). TensorFlow thread settings:
nothing measurable (and the NLU no longer calls TensorFlow).
"""

from __future__ import annotations

from typing import Any

ALL = "validator,runner,trackers,apologise,emergency,handover"


def apply(only: str | None = None) -> bool:
    """Applies the fixes; returns False when already applied.

    `only` (default: $CLINIC_RASA_PATCHES, else all) is a comma list of
    "validator", "runner", "trackers", "apologise", "emergency", "handover",
    or "none".
    """
    import os

    chosen = {p.strip() for p in (only or os.environ.get("CLINIC_RASA_PATCHES") or ALL).split(",")}
    if "none" in chosen:
        return False
    if "validator" in chosen and not _cache_action_validator():
        return False
    if "runner" in chosen:
        _run_graphs_in_order()
    if "trackers" in chosen:
        _rebuild_trackers_cheaply()
    if "apologise" in chosen:
        _apologise_when_the_tracker_store_is_away()
    if "emergency" in chosen:
        _emergency_before_forms()
    if "handover" in chosen:
        from rasa_ext import handover

        handover.apply()
    return True


def _cache_action_validator() -> bool:
    import jsonschema
    from jsonschema.exceptions import best_match
    from rasa.core.actions import action as rasa_action
    from rasa.shared.constants import DOCS_BASE_URL

    remote = rasa_action.RemoteAction
    if getattr(remote, "_clinic_cached_validator", None) is not None:
        return False
    schema = remote.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate does on every call
    validator = cls(schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    remote._validate_action_result = _validate_action_result
    remote._clinic_cached_validator = validator
    return True


def _run_graphs_in_order() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner, "_clinic_in_order", False):
        return

    def plan(self: Any, targets: tuple[str, ...]) -> list[tuple[str, Any, tuple[str, ...]]]:
        """(node name, node, the names it needs) in dependency order."""
        plans = self.__dict__.setdefault("_clinic_plans", {})
        if targets not in plans:
            nodes = self._graph_schema.nodes
            order: list[str] = []

            def visit(name: str) -> None:
                if name in order or name not in nodes:  # an input placeholder
                    return
                for needed in nodes[name].needs.values():
                    visit(needed)
                order.append(name)

            for target in targets:
                visit(target)
            plans[targets] = [
                (n, self._instantiated_nodes[n], tuple(nodes[n].needs.values())) for n in order
            ]
        return plans[targets]

    def run(
        self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        steps = plan(self, run_targets)
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[name] = (name, value)  # what dask hands a node for an input
        try:
            for name, node, needs in steps:
                # an unresolved dependency reaches the node as its bare name, as with dask
                results[name] = node(*(results.get(needed, needed) for needed in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    DaskGraphRunner.run = run
    DaskGraphRunner._clinic_in_order = True


def _rebuild_trackers_cheaply() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot
    from rasa.shared.utils.common import all_subclasses

    if getattr(Event, "_clinic_by_type", None) is not None:
        return
    original = Event.resolve_by_type
    by_type: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        if type_name not in by_type:
            by_type.clear()  # a subclass defined since: rebuild
            for cls in all_subclasses(Event):
                by_type.setdefault(cls.type_name, cls)
        if type_name in by_type:
            return by_type[type_name]
        return original(type_name, default)  # Rasa's answers for the rest

    def __copy__(self: Any) -> Any:
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        return clone

    Event.resolve_by_type = staticmethod(resolve_by_type)
    Event._clinic_by_type = by_type
    Slot.__copy__ = __copy__


def _apologise_when_the_tracker_store_is_away() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: Any, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def save(self: Any, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.save = save


#: the contract's intent for red-flag symptoms (rasa_ext/nlu/red_flag.py sets it too)
EMERGENCY_INTENT = "emergency"


def emergency_just_said(tracker: Any) -> bool:
    """Whether the client's latest message is an emergency that no action has
    answered yet, while a form (not the two-stage fallback) is active."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_TWO_STAGE_FALLBACK_NAME

    return (
        tracker.active_loop_name not in (None, ACTION_TWO_STAGE_FALLBACK_NAME)
        and tracker.latest_action_name == ACTION_LISTEN_NAME
        and (tracker.latest_message.intent or {}).get("name") == EMERGENCY_INTENT
    )


def _emergency_before_forms() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    if getattr(RulePolicy, "_clinic_emergency_first", False):
        return
    original = RulePolicy._find_action_from_loop_happy_path

    def _find_action_from_loop_happy_path(tracker: Any) -> tuple[str | None, str | None]:
        if emergency_just_said(tracker):
            return None, None  # the rules for an emergency in a form apply at once
        return original(tracker)

    RulePolicy._find_action_from_loop_happy_path = staticmethod(_find_action_from_loop_happy_path)
    RulePolicy._clinic_emergency_first = True
