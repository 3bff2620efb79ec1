"""Split round four of the real client questions ONCE into `train4` and `dev4`.

Round three's dev3 side chose round five's changes and is about to be trained
on, so the next round of choices needs fresh, unseen questions again. Round
four (tests/real_clients/questions_round4.yml) was collected from pages no
earlier round used; this script gives every entry its side:

- `train4` (~45%): may be added to the training data;
- `dev4` (~55%): never trained on; the next round of choices is judged here,
  so it is the larger side.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two and three (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-02 and committed before any round-four question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-four counts differ.

    python scripts/real_clients_round4_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round4_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_FOUR = Round(
    number=4,
    seed=2026120204,  # fixed on 2026-12-02, before round four was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.55,
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
    sys.exit(main(ROUND_FOUR, __doc__))
