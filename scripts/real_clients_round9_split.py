"""Split questions round nine of the real client questions ONCE into `train9` and `dev9`.

Every earlier dev side has been looked at (dev8 and earlier have all judged
changes), and the lead trains on dev7 and train8 this stop, so the next
changes need a judge nobody has looked at. Round nine (tests/real_clients/questions_round9.yml)
is collected from pages no earlier round used; it is almost all judge, so
this script gives every entry its side:

- `train9` (~20%): may be added to the training data later;
- `dev9` (~80%): never trained on; the next choices are judged here.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to eight (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-02 and committed before any round-nine question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-nine counts differ.

    python scripts/real_clients_round9_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round9_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_NINE = Round(
    number=9,
    seed=2026120209,  # fixed on 2026-12-02, before round nine was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.8,
    about=(
        "# A fresh judge nobody has looked at: every earlier dev side has been looked",
        "# at (dev8 and earlier have all judged changes). `split: train9` may be trained on;",
        "# `split: dev9` is NEVER trained on: the next choices are judged on it. Round",
        "# one's test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to eight did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Questions round nine (train9 / dev9)".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_NINE, __doc__))
