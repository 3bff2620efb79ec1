"""Understanding as a client experiences it: every evaluation set, sent to the
running assistant, each reply judged acceptable, an honest "can't answer",
or confidently wrong.

Each question goes to the assistant over the REST channel as the first
message of a new conversation (the same servers `make run` starts, own
databases). What the assistant did is read from the conversation's tracker:
the responses it sent (`utter_action` of each bot event) and the actions
it ran after the message. That becomes one or more reply labels in the
data sets' vocabulary (tests/real_clients/vocabulary.yml): `faq/<topic>`,
`ask_massage_type:<type>`, `start_screening`, ..., or CANT_ANSWER for
the honest replies (out of scope, "could you rephrase", "I can't answer
that here"). A question is

* answered acceptably when every reply label is one of its acceptable labels,
* answered honestly-unsure when the only replies are CANT_ANSWER,
* confidently wrong otherwise (a reply that is neither acceptable nor the
  honest one): for a clinic, worse than "I don't know".

Sets: the real client questions (tests/real_clients/): the test part, the
headline, never trained on or tuned on; round one's train_dev part and its
two sides (train, dev); and each later round's two sides (real_train<N>,
real_dev<N> from round two on; dataset.LATER_SPLITS). Which of them
the shipped model trains on is said in one place, the header of
data/nlu/real_clients_train.yml (scripts/real_clients_training.py
--dev-rounds); the dev sides it does not train on are the judges. Beside
them, the older held-out sets written by the team (tests/nlu_heldout_blind,
tests/nlu_heldout), whose single labels name intents without entities.

    python scripts/eval_clients.py [--sets real_test,real_dev10,...,blind,first]   # default: every set
                                   [--url URL --token TOKEN] [--out results/]

`--help` lists every set's name.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients.dataset import LATER_SPLITS  # noqa: E402

CANT_ANSWER = "CANT_ANSWER"

#: Replies (responses or actions) that honestly say the assistant cannot
#: answer: no topic is asserted.
HONEST = {
    "utter_out_of_scope",
    "utter_ask_rephrase",
    "utter_default",
    "utter_cant_answer",
    "action_two_stage_fallback",
    "action_default_ask_affirmation",
    "action_default_fallback",
    "action_cant_answer",
}

#: Actions whose reply means an intent of the vocabulary (the entity, where
#: one matters, is added from the message's entities).
ACTION_LABELS = {
    "action_emergency": "emergency",
    "utter_emergency": "emergency",
    "action_massage_type_info": "ask_massage_type",
    "action_compare_massage_types": "compare_massage_types",
    "action_recommend_massage": "recommend_massage",
    "screening_form": "start_screening",
    "action_health_question": "start_screening",
    "action_book": "book_appointment",
    "booking_form": "book_appointment",
    "action_manage_start": "cancel_appointment",
    "manage_booking_form": "cancel_appointment",
    "action_handoff": "human_handoff",
    "action_callback_start": "human_handoff",
    "utter_callback_offer": "human_handoff",
    "utter_handover_waiting": "human_handoff",
    "utter_handover_nobody": "human_handoff",
    "utter_greet": "greet",
    "utter_goodbye": "goodbye",
    "utter_thank": "thank",
    "utter_iamabot": "bot_challenge",
}

#: Bookkeeping actions that say nothing to the client by themselves.
SILENT = {
    "action_listen",
    "action_session_start",
    "action_deactivate_loop",
    "action_unlikely_intent",
}


# --------------------------------------------------------------------------- sets


def real_set(part: str) -> list[dict[str, Any]]:
    """A round-one part file (test, train_dev), a side of train_dev's division
    (train, dev) or a side of a later round (train2, dev2 ... train9, dev9)."""
    from tests.real_clients.dataset import (
        PARTS,
        ROUNDS,
        load_part,
        load_round,
        load_second_labels,
        load_train_dev,
        normalise,
    )

    later = {side: number for number, (_, sides) in ROUNDS.items() for side in sides}
    if part in PARTS:
        questions = load_part(PARTS[part])
    elif part in later:
        questions = load_round(later[part], part)
    else:
        questions = load_train_dev(part)
    second = load_second_labels()
    return [
        {
            "text": q["text"],
            "labels": list(q["labels"]),
            "source": q.get("source"),
            **either_labels(q["labels"], second.get(normalise(q["text"]))),
        }
        for q in questions
    ]


def either_labels(labels: list[str], second: list[str] | None) -> dict[str, list[str]]:
    """``{"either_labels": ...}``: the acceptable answers of either labeller,
    for a question a second labeller labelled too (README of
    tests/real_clients, "Label agreement"); else nothing. The headline is
    always judged on the set's own labels; this is reported beside it."""
    if second is None:
        return {}
    return {"either_labels": list(dict.fromkeys([*labels, *second]))}


#: Contract topics that issue 10's new topics were carved out of. The older
#: held-out sets were labelled before the new topics existed ("do I need to
#: undress completely" is faq/what_to_wear there); the more specific new
#: answer is acceptable too. Likewise "i take anticoagulants, can i still
#: have a massage" is faq/medical_conditions there, labelled before issue 10
#: (item 4) gave a question naming a condition the rules file's own answer
#: (start_screening's action): that answer is acceptable too. Only these
#: splits, and only for those sets.
SPLIT_TOPICS = {
    "faq/what_to_wear": ["faq/undressing_draping", "faq/eating_before", "faq/showering"],
    "faq/prices": ["faq/payment", "faq/packages_memberships"],
    "faq/pregnancy": ["ask_massage_type:prenatal"],
    "faq/medical_conditions": ["start_screening"],
}


def heldout_set(folder: Path) -> list[dict[str, Any]]:
    """Rasa NLU files: one label per example, the intent (FAQ with topic),
    plus the new topics split from it (SPLIT_TOPICS)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    out = []
    for m in data.intent_examples:
        label = m.get("intent_response_key") or m.get("intent")
        out.append(
            {
                "text": m.get("text"),
                "labels": [label] + SPLIT_TOPICS.get(label, []),
                "intent_only": True,
            }
        )
    return out


def _real(part: str) -> Callable[[], list[dict[str, Any]]]:
    return lambda: real_set(part)


#: Every set by name. Round one's parts and sides (`real_train` may be trained
#: on; `real_dev` is trained on by the shipped model, so its figure is
#: optimistic), then each later round's two sides in round order, as
#: tests/real_clients/dataset.py lists them (which sides the shipped model
#: trains on: the README's "Measured" and data/nlu/real_clients_train.yml's
#: header), then the team's older held-out sets.
SETS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "real_test": _real("test"),
    "real_train_dev": _real("train_dev"),
    "real_train": _real("train"),
    "real_dev": _real("dev"),
    **{f"real_{side}": _real(side) for side in LATER_SPLITS},
    "blind": lambda: heldout_set(ROOT / "tests" / "nlu_heldout_blind"),
    "first": lambda: heldout_set(ROOT / "tests" / "nlu_heldout"),
}


# --------------------------------------------------------------------------- judging


def _entity_values(parse: dict[str, Any], name: str) -> list[str]:
    return [str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == name]


def reply_labels(events: list[dict[str, Any]]) -> list[str]:
    """What the assistant answered to the LAST user message of `events`, as
    labels of the vocabulary (CANT_ANSWER for the honest replies).

    An action's own messages are domain responses chosen by name (the
    "type not offered" text of action_massage_type_info, the rules-file
    answer of action_health_question, the "Did you mean ...?" of the
    two-stage fallback): they belong to the action that sent them, which is
    judged by its own name, so a response that follows an action of
    ACTION_LABELS or HONEST and has no label of its own is part of that
    reply, not a second one."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return []
    parse = events[last_user].get("parse_data") or {}
    labels: list[str] = []
    speaker: str | None = None  # the last action that speaks for itself
    for event in events[last_user + 1 :]:
        name = None
        if event.get("event") == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
        elif event.get("event") == "action" and not str(event.get("name")).startswith("utter_"):
            name = event.get("name")  # a response's own action: judged by its bot event
            if name not in SILENT:
                speaker = name
        if not name or name in SILENT:
            continue
        if name.startswith("utter_faq/"):
            label = "faq/" + name.split("/", 1)[1]
        elif name in HONEST:
            label = CANT_ANSWER
        elif name in ACTION_LABELS:
            label = ACTION_LABELS[name]
            if label == "ask_massage_type":
                values = _entity_values(parse, "massage_type")
                label += ":" + (values[0] if values else "?")
            elif label == "compare_massage_types":
                values = sorted(set(_entity_values(parse, "massage_type")))
                label += ":" + ",".join(values[:2])
        elif event.get("event") == "action":
            continue  # a custom action: its responses are judged as bot events
        elif speaker in ACTION_LABELS or speaker in HONEST:
            continue  # a response the labelled action sent: part of its reply
        else:
            label = "other:" + name
        if label not in labels:
            labels.append(label)
    if "book_appointment" in labels and "start_screening" in labels:
        labels.remove("start_screening")  # booking starts with the pre-screen: one reply
    return labels


def classifier_guess(events: list[dict[str, Any]]) -> tuple[str | None, float]:
    """The classifier's own best label for the last user message (ignoring
    the fallback), in the vocabulary's names, and its confidence: what the
    assistant would have answered had it not declined."""
    user = [e for e in events if e.get("event") == "user"]
    if not user:
        return None, 0.0
    parse = user[-1].get("parse_data") or {}
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    if not ranking:
        return None, 0.0
    name, confidence = ranking[0]["name"], float(ranking[0].get("confidence") or 0.0)
    if name == "faq":
        key = (((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}).get(
            "intent_response_key"
        )
        name = key or name
    elif name == "ask_massage_type":
        values = _entity_values(parse, "massage_type")
        name += ":" + (values[0] if values else "?")
    elif name == "compare_massage_types":
        name += ":" + ",".join(sorted(set(_entity_values(parse, "massage_type")))[:2])
    return name, confidence


def _matches(reply: str, acceptable: str, intent_only: bool) -> bool:
    if intent_only:  # the older sets name intents without their entities
        return reply == acceptable or reply.split(":", 1)[0] == acceptable
    return reply == acceptable


def judge(replies: list[str], acceptable: list[str], intent_only: bool = False) -> str:
    """'acceptable', 'cant_answer' or 'wrong'."""
    answered = [r for r in replies if r != CANT_ANSWER]
    if not answered:
        if not replies:
            return "wrong"  # silence is never acceptable
        return "acceptable" if "out_of_scope" in acceptable else "cant_answer"
    if all(any(_matches(r, a, intent_only) for a in acceptable) for r in answered):
        return "acceptable"
    return "wrong"


# --------------------------------------------------------------------------- running


def run_set(
    assistant: Any, questions: list[dict[str, Any]], workers: int = 6
) -> list[dict[str, Any]]:
    def one(question: dict[str, Any]) -> dict[str, Any]:
        sender = "eval-" + uuid.uuid4().hex[:12]
        assistant.send(sender, question["text"])
        events = assistant.tracker(sender)["events"]
        replies = reply_labels(events)
        verdict = judge(replies, question["labels"], bool(question.get("intent_only")))
        guess, confidence = classifier_guess(events)
        either = question.get("either_labels")
        return {
            **question,
            "replies": replies,
            "verdict": verdict,
            **({"verdict_either": judge(replies, either)} if either else {}),
            "guess": guess,
            "confidence": confidence,
        }

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, questions))


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    summary = shares(results, "verdict")
    twice = [r for r in results if "verdict_either" in r]
    if twice:
        summary["either_labeller"] = shares(twice, "verdict_either")
    return summary


def shares(results: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """How many questions, and the share of each verdict (``key``)."""
    counts = Counter(r[key] for r in results)
    n = len(results)
    return {
        "questions": n,
        "acceptable": counts["acceptable"] / n if n else 0.0,
        "cant_answer": counts["cant_answer"] / n if n else 0.0,
        "confidently_wrong": counts["wrong"] / n if n else 0.0,
    }


CURVE = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)


def calibration(
    results: list[dict[str, Any]], thresholds: Iterable[float] = CURVE
) -> list[dict[str, float]]:
    """Acceptable / can't answer / confidently wrong had the fallback
    threshold been t: a question whose classifier confidence is below t is
    declined; one the assistant declined but would answer at t gets the
    classifier's guess (what the "Did you want ...?" button would lead to).
    Approximate for thresholds below the configured one: the dialogue
    layer's own reply to the guess is not run."""
    rows = []
    for t in thresholds:
        counts = Counter()
        for r in results:
            intent_only = bool(r.get("intent_only"))
            if r["verdict"] == "cant_answer" or (
                r["verdict"] != "wrong" and r["replies"] == [CANT_ANSWER]
            ):
                # declined by the assistant: answered at t only if its guess is sure enough
                if (
                    r.get("confidence", 0.0) >= t
                    and r.get("guess")
                    and r["guess"] != "out_of_scope"
                ):
                    counts[judge([r["guess"]], r["labels"], intent_only)] += 1
                else:
                    counts[judge([CANT_ANSWER], r["labels"], intent_only)] += 1
            elif r.get("confidence", 1.0) < t:
                counts[judge([CANT_ANSWER], r["labels"], intent_only)] += 1
            else:
                counts[r["verdict"]] += 1
        n = len(results) or 1
        rows.append(
            {
                "threshold": t,
                "acceptable": counts["acceptable"] / n,
                "cant_answer": counts["cant_answer"] / n,
                "confidently_wrong": counts["wrong"] / n,
            }
        )
    return rows


def suggestion_quality(results: list[dict[str, Any]]) -> dict[str, int]:
    """Of the questions the assistant declined, how many guesses (the
    "Did you want ...?" offer) were acceptable: is the offer worth making?"""
    declined = [
        r
        for r in results
        if r["replies"] == [CANT_ANSWER] and r.get("guess") and r["guess"] != "out_of_scope"
    ]
    right = sum(
        judge([r["guess"]], r["labels"], bool(r.get("intent_only"))) == "acceptable"
        for r in declined
    )
    return {"declined_with_a_guess": len(declined), "guess_acceptable": right}


def evaluate(assistant: Any, names: Iterable[str], out: Path | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in names:
        results = run_set(assistant, SETS[name]())
        report[name] = summarise(results)
        report[name]["calibration"] = calibration(results)
        report[name]["suggestions"] = suggestion_quality(results)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"eval_{name}.json").write_text(
                json.dumps({"summary": report[name], "results": results}, indent=1)
            )
    return report


def print_report(report: dict[str, Any], out: Path | None) -> None:
    print(f"{'set':<16}{'questions':>10}{'acceptable':>12}{'cant answer':>13}{'conf. wrong':>13}")
    for name, s in report.items():
        print(
            f"{name:<16}{s['questions']:>10}{s['acceptable']:>12.1%}{s['cant_answer']:>13.1%}"
            f"{s['confidently_wrong']:>13.1%}"
        )
    for name, s in report.items():
        if "either_labeller" in s:
            e = s["either_labeller"]
            print(
                f"{name} with either labeller's answers acceptable ({e['questions']} labelled twice):"
                f" {e['acceptable']:.1%} / {e['cant_answer']:.1%} / {e['confidently_wrong']:.1%}"
            )
    if out:
        print(f"per question: {out}/eval_<set>.json")


def print_calibration(report: dict[str, Any]) -> None:
    """The calibration curve of every set, and how good the declined guesses were."""
    for name, s in report.items():
        print(
            f"\n{name}: if the fallback threshold were t (acceptable / can't answer / confidently wrong)"
        )
        for row in s["calibration"]:
            print(
                f"  t={row['threshold']:<5} {row['acceptable']:>7.1%} {row['cant_answer']:>7.1%} "
                f"{row['confidently_wrong']:>7.1%}"
            )
        q = s["suggestions"]
        print(
            f"  declined with a guess: {q['declined_with_a_guess']}, guess acceptable: {q['guess_acceptable']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS)
    )
    parser.add_argument("--url", help="a running assistant (default: start one, as the tests do)")
    parser.add_argument("--token", help="its API token (with --url)")
    parser.add_argument("--out", default=str(ROOT / "results"))
    parser.add_argument(
        "--curve", action="store_true", help="also print each set's calibration curve"
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        sys.exit(f"unknown set(s): {', '.join(unknown)}")

    from tests.assistant import Assistant, start_assistant

    if args.url:
        assistant = Assistant(args.url.rstrip("/"), args.token or "", Path(tempfile.mkdtemp()))
        report = evaluate(assistant, names, Path(args.out))
    else:
        # one address sends every question: the per-address limit is off
        assistant = start_assistant(
            Path(tempfile.mkdtemp(prefix="eval-")), extra_env={"CLINIC_RATE_LIMIT_IP": "0"}
        )
        try:
            report = evaluate(assistant, names, Path(args.out))
        finally:
            assistant.stop()
    print_report(report, Path(args.out))
    if args.curve:
        print_calibration(report)


if __name__ == "__main__":
    main()
