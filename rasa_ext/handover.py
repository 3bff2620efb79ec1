"""Issue 14, live hand-over: what the Rasa server does while a person from the
clinic has a conversation (the staff console paused it with Rasa's
``ConversationPaused`` event through the HTTP API).

Rasa 3.6's ``MessageProcessor`` still logs a paused conversation's messages
(the console's inbox reads them from the tracker) and predicts nothing for
them (``_should_handle_message``), so the turn sends no reply. Two things
follow for this project, and ``apply()`` patches both in:

1. No apology. Every channel answers a turn that sent nothing with the
   apology (channels/common.py, ``answer_or_apologise``): right for a failed
   turn, wrong while a person is answering. The processor marks the turn's
   output channel (``clinic_paused``) when it skipped a paused conversation,
   and ``answer_or_apologise`` stays silent for such a turn.
2. Emergencies still answered. A red-flag message (intent ``emergency``,
   set by the classifier or by ``RedFlagOverride`` in the NLU pipeline) is
   answered with the emergency message even while paused: it must never
   depend on a person reading the inbox in time. The conversation stays
   paused afterwards.

Applied from rasa_ext/rasa_patches.py ("handover"), like the other fixes.
"""

from __future__ import annotations

from typing import Any

EMERGENCY_INTENT = "emergency"
PAUSED_MARK = "clinic_paused"


def turn_was_paused(output_channel: Any) -> bool:
    """Whether this turn's conversation was paused for a person (so silence is right)."""
    return bool(getattr(output_channel, PAUSED_MARK, False))


def should_handle(tracker: Any) -> bool:
    """Rasa's rule (not paused, or a /restart), plus an emergency while paused."""
    if not tracker.is_paused():
        return True
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    return intent in ("restart", EMERGENCY_INTENT)


def apply() -> None:
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, "_clinic_handover", False):
        return
    run_loop = MessageProcessor._run_prediction_loop

    async def _run_prediction_loop(self: Any, output_channel: Any, tracker: Any) -> None:
        if tracker.is_paused() and not should_handle(tracker):
            try:
                setattr(output_channel, PAUSED_MARK, True)
            except AttributeError:  # an output channel with __slots__: the apology may follow
                pass
            return
        await run_loop(self, output_channel, tracker)

    MessageProcessor._should_handle_message = staticmethod(should_handle)
    MessageProcessor._run_prediction_loop = _run_prediction_loop
    MessageProcessor._clinic_handover = True
