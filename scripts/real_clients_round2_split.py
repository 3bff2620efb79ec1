"""Split round two of the real client questions ONCE into `train2` and `dev2`.

Round one's dev side has been trained on (the final model trains on train +
dev), so choosing features and thresholds needs fresh, unseen questions.
Round two (tests/real_clients/questions_round2.yml) was collected from pages
round one never used; this script gives every entry its side:

- `train2` (~60%): may be added to the training data;
- `dev2` (~40%): never trained on; the next round of choices is made here.

Round one's test part is not touched, re-split or read here.

Same rules as the earlier splits (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed
chosen on 2026-12-01 before the split was drawn and never changed. The side
is stored in each entry's `split` field; `--check` re-derives it from the
questions and fails if any entry, the file's header or the README's round-two
counts differ, so a question cannot be moved from dev2 to train2 by hand.

    python scripts/real_clients_round2_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round2_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_TWO = Round(
    number=2,
    seed=2026120102,  # fixed on 2026-12-01, before round two was collected; never redraw
    split_date="2026-12-01",
    dev_share=0.4,
    about=(
        "# Fresh questions for the next round of improvement: round one's dev side has",
        "# been trained on. `split: train2` may be trained on; `split: dev2` is NEVER",
        "# trained on: features, thresholds and wording are chosen on it. Round one's",
        "# test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that round one did not use (`source`, `also_at`); none is an",
        "# exact or near-exact duplicate of a round-one question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Round two".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_TWO, __doc__))
