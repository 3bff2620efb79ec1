"""Is this message an emergency? One question, asked of every message.

Used by the NLU safety override, so it must be cheap and must not depend on
anything trained: it reads the text with the rule-based reader and asks the
rules engine whether the findings are an emergency for either service
(suspected DVT with breathlessness, pregnancy with bleeding... are
emergencies only in combination, which the engine knows and a word list
would not).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from clinic_core.screening.model import SERVICES


@lru_cache(maxsize=1)
def _rules() -> Any:
    from clinic_core.screening.rules import default_rules_path, load_rules

    return load_rules(default_rules_path())


def is_emergency_text(nlp: Any, text: str) -> bool:
    from clinic_core.nlp.reader import read
    from clinic_core.screening.engine import evaluate

    findings = read(nlp, text).positive()
    if not findings:
        return False
    if any(f.condition == "red_flag" for f in findings):
        return True
    rules = _rules()
    return any(
        evaluate(rules, service, list(findings)).outcome == "emergency" for service in SERVICES
    )
