"""Rasa 3.6 patches for the deployed assistant: two measured speed-ups, two
robustness fixes. Each can be switched off (CLINIC_SPEEDUPS, see apply()).

Rasa 3.6 validates every action server response with `jsonschema.validate`,
which re-checks the (large) events schema against the JSON Schema
meta-schema and builds a new validator on *every* custom action call. On
this assistant that was about 60% of the Rasa process's CPU time per turn
(py-spy; see README, "Performance and scale-out"): every FAQ answer and
every pre-screen step is a custom action, some turns make three calls.

`apply()` makes two changes for speed, each measured (README), and two
for robustness:

1. `RemoteAction._validate_action_result`: the same validation through one
   validator built (and its schema checked) once per process. Responses
   are still validated, with the same error on a bad one.
2. SQLite only (the single-machine default): the tracker database in WAL
   mode with synchronous=NORMAL, so a turn's commit does not wait for an
   fsync (a crash loses no committed turn; a power cut may lose the last
   few). PostgreSQL and other databases are untouched. Measured here: 4.3 ms
   per commit with SQLite's defaults, 0.01 ms in WAL mode; Rasa's SQL
   tracker store is synchronous, so that wait blocks every conversation.

3. PostgreSQL tracker store: `pool_pre_ping`, so that after a database
   restart a pooled connection that died is replaced before use instead of
   failing a turn (Rasa then answers from an empty in-memory tracker and,
   once the database answers again within that turn, can store that
   tracker's events at the wrong place). Costs one `SELECT 1` per turn.

4. No in-memory fallback when the tracker store is away. Rasa 3.6 wraps
   the store in a FailSafeTrackerStore: while PostgreSQL is down each turn
   starts from an empty tracker (a pre-screen loses its place, the answer
   makes no sense) and nothing of it is stored. Instead the error reaches
   the channel, and the project's REST channel answers with its apology;
   the client sends the message again and the conversation continues where
   it was (tests/scale checks every numbered message is stored, in order).
   Channels that do not catch the error themselves (Rasa's own socket.io
   handler, for one) send nothing for that turn instead of a wrong answer.

Tried and left out: one keep-alive aiohttp session per action endpoint
(Rasa opens a new one per call). No CPU saved within the noise, and under
load a reused connection that the action server had just closed failed a
turn ("Can not write request body").

Use it either way:
  - import it where Rasa imports project code, e.g. at the top of
    channels/rest.py (Rasa loads that channel from credentials.yml):
        from deploy.speedups import rasa_speedups; rasa_speedups.apply()
  - or without touching code: PYTHONPATH=deploy/speedups (its
    sitecustomize.py applies it lazily, when Rasa imports the module).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

ALL = "validator,sqlite,preping,apologise"


def apply(only: Optional[str] = None) -> bool:
    """Applies the speed-ups; returns False when already applied.

    `only` (default: $CLINIC_SPEEDUPS, else all) is a comma list of
    "validator", "sqlite", "preping", "apologise", or "none".
    """
    import os

    chosen = {p.strip() for p in (only or os.environ.get("CLINIC_SPEEDUPS") or ALL).split(",")}
    if "none" in chosen:
        return False
    if "validator" in chosen and not _cache_action_validator():
        return False
    if "sqlite" in chosen:
        _sqlite_without_fsync_per_commit()
    if "preping" in chosen:
        _postgres_pre_ping()
    if "apologise" in chosen:
        _apologise_when_the_tracker_store_is_away()
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

    def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
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


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_without_fsync_per_commit() -> None:
    """Only the SQL tracker store's own SQLite engine; no other engine."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event
    from sqlalchemy.pool import SingletonThreadPool

    original_init = SQLTrackerStore.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return
        # SQLAlchemy 1.4 opens and closes a file connection per session
        # (NullPool), and SQLite checkpoints and fsyncs the WAL at every last
        # close: keep one connection (Rasa's store runs on the event loop's
        # thread) so that commits stop waiting for the disk.
        self.engine.dispose()
        engine = sa.create_engine(url, poolclass=SingletonThreadPool)
        event.listen(engine, "connect", _pragmas)
        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=engine)

    SQLTrackerStore.__init__ = __init__


def _postgres_pre_ping() -> None:
    from rasa.core import tracker_store

    original = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> Dict[str, Any]:
        kwargs = original(url)
        if tracker_store.is_postgresql_url(url):
            kwargs.setdefault("pool_pre_ping", True)
        return kwargs

    tracker_store.create_engine_kwargs = create_engine_kwargs


def _apologise_when_the_tracker_store_is_away() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: Any, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def save(self: Any, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.save = save
