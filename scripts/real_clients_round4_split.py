"""Split round four of the real client questions ONCE into `train4` and `dev4`.

Round three's dev3 side chose round five's changes and is about to be trained
on, so the next round of choices needs fresh, unseen questions again. Round
four (tests/real_clients/questions_round4.yml) was collected from pages no
earlier round used; this script gives every entry its side:

- `train4` (~45%): may be added to the training data;
- `dev4` (~55%): never trained on; the next round of choices is judged here,
  so it is the larger side.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two and three (scripts/real_clients_round2_split.py,
with round one's `assign`): stratified by first label, near paraphrases kept
together, a fixed seed chosen on 2026-12-02 and committed before any
round-four question was collected, never changed. `--check` re-derives every
`split` and fails if any entry, the file's header or the README's round-four
counts differ.

    python scripts/real_clients_round4_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round4_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "real_clients_round2_split", ROOT / "scripts" / "real_clients_round2_split.py"
)
rounds = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = rounds  # its dataclass looks itself up there
_spec.loader.exec_module(rounds)  # type: ignore[union-attr]

SEED = 2026120204  # fixed on 2026-12-02, before round four was collected; never redraw
SPLIT_DATE = "2026-12-02"
DEV_SHARE = 0.55

ROUND_FOUR = rounds.Round(
    number=4,
    seed=SEED,
    split_date=SPLIT_DATE,
    dev_share=DEV_SHARE,
    counts_start="<!-- round4-counts:start -->",
    counts_end="<!-- round4-counts:end -->",
    script="scripts/real_clients_round4_split.py",
    title="ROUND FOUR, TRAIN4 AND DEV4",
    about=(
        "# Fresh questions for the next round of improvement: round three's dev3 side",
        "# chose round five's changes. `split: train4` may be trained on; `split: dev4`",
        "# is NEVER trained on: the next choices are judged on it. Round one's test",
        "# part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to three did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Round four".',
    ),
)

if __name__ == "__main__":
    sys.exit(rounds.main(ROUND_FOUR, __doc__))
