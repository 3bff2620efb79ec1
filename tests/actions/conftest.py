"""Fixtures to run the action server's actions directly, without a server
(as RasaHQ/financial-demo's tests/conftest.py and covidflow's FormTestCase
do): a tracker factory, a dispatcher, the model's domain, a clinic
database of the test's own, and the NLG that turns a dispatched response
into what the client would read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from rasa_ext.domain import model_domain


def make_tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
    sender_id: str = "test-sender",
) -> Tracker:
    """A tracker whose latest message is `text` (with `intent` and
    `entities`), with these slots filled and `events` before it. The user
    event of the latest message is appended to `events`, as Rasa would."""
    slot_values = dict(slots or {})
    if requested_slot is not None:
        slot_values["requested_slot"] = requested_slot
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "intent_ranking": [{"name": intent, "confidence": 1.0}] if intent else [],
        "entities": entities or [],
    }
    history = list(events or []) + [{"event": "user", "text": text, "parse_data": latest}]
    return Tracker(
        sender_id=sender_id,
        slots=slot_values,
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def bot_said(response: str, **metadata: Any) -> dict[str, Any]:
    """A bot event as Rasa records a response an action chose by name."""
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response, **metadata}}


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def responses_of(dispatcher: CollectingDispatcher) -> list[str]:
    """The response names an action chose, in order."""
    return [m.get("response") for m in dispatcher.messages]


def events_as_dict(events: list[Any]) -> dict[str, Any]:
    """{slot: value} of the SlotSet events (as dicts) an action returned."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture(scope="session")
def rasa_domain() -> Domain:
    return model_domain()


@pytest.fixture(scope="session")
def domain(rasa_domain: Domain) -> DomainDict:
    """The domain as the action server has it (domain.yml + data/responses)."""
    return rasa_domain.as_dict()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def clinic_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clinic database of this test's own, for the actions' store."""
    import actions.store as store

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("CLINIC_DB_URL", url)
    monkeypatch.setattr(store, "_store", None)
    yield url
    if store._store is not None:
        store._store.close()
    monkeypatch.setattr(store, "_store", None)


@pytest.fixture
def clinic_db_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A clinic database that does not answer (nothing listens on the port)."""
    import actions.store as store

    monkeypatch.setenv("CLINIC_DB_URL", "postgresql://clinic:clinic@127.0.0.1:9/clinic")
    monkeypatch.setattr(store, "_store", None)
    yield
    monkeypatch.setattr(store, "_store", None)


@pytest.fixture(scope="session")
def render(rasa_domain: Domain) -> Any:
    """What the client reads of one dispatched message: the Rasa server's
    response generator (rasa_ext.nlg), with the tracker's slots."""
    from rasa_ext.nlg import ClinicNLG

    nlg = ClinicNLG(domain=rasa_domain)

    def _render(message: dict[str, Any], slots: dict[str, Any] | None = None) -> dict[str, Any]:
        tracker = DialogueStateTracker.from_dict("render", [], rasa_domain.slots)
        for name, value in (slots or {}).items():
            tracker.slots[name].value = value
        values = {k: v for k, v in message.items() if k not in ("response", "buttons", "text")}
        out = asyncio.run(nlg.generate(message["response"], tracker, "rest", **values)) or {}
        return {
            "text": out.get("text") or "",
            "buttons": (out.get("buttons") or []) + (message.get("buttons") or []),
        }

    return _render
