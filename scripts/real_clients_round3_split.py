"""Split round three of the real client questions ONCE into `train3` and `dev3`.

Round two's dev2 side has been trained on by the shipped model, so the next
round of choices needs fresh, unseen questions again. Round three
(tests/real_clients/questions_round3.yml) was collected from pages neither
earlier round used; this script gives every entry its side:

- `train3` (~50%): may be added to the training data;
- `dev3` (~50%): never trained on; the next round of choices is made here,
  so it is larger than dev2 was.

Round one's test part is not touched, re-split or read here.

Same rules and code as round two (tests/real_clients/splitting.py): stratified
by first label, near paraphrases kept together, a fixed seed chosen on
2026-12-02 before any round-three question was collected and never changed.
`--check` re-derives every `split` and fails if any entry, the file's header
or the README's round-three counts differ.

    python scripts/real_clients_round3_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round3_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_THREE = Round(
    number=3,
    seed=2026120203,  # fixed on 2026-12-02, before round three was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.5,
    about=(
        "# Fresh questions for the next round of improvement: round two's dev2 side has",
        "# been trained on. `split: train3` may be trained on; `split: dev3` is NEVER",
        "# trained on: features, thresholds and wording are chosen on it. Round one's",
        "# test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one and two did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Round three".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_THREE, __doc__))
