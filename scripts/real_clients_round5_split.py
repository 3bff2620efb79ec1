"""Split round five of the real client questions ONCE into `train5` and `dev5`.

Round four's dev4 side chose round six's changes and will be trained on next,
so the round after needs a fresh judge again. Round five
(tests/real_clients/questions_round5.yml) was collected from pages no earlier
round used (round four's train-only additions included); it is mostly a
judge, so this script gives every entry its side:

- `train5` (~25%): may be added to the training data;
- `dev5` (~75%): never trained on; the next round of choices is judged here.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to four (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-02 and committed before any round-five question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-five counts differ.

    python scripts/real_clients_round5_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round5_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_FIVE = Round(
    number=5,
    seed=2026120205,  # fixed on 2026-12-02, before round five was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.75,
    about=(
        "# A fresh judge for the next round of improvement: round four's dev4 side",
        "# chose round six's changes. `split: train5` may be trained on; `split: dev5`",
        "# is NEVER trained on: the next choices are judged on it. Round one's test",
        "# part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to four did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Round five".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_FIVE, __doc__))
