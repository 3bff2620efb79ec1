"""Split questions round eleven of the real client questions ONCE into `train11` and `dev11`.

dev10 judges this stop's changes, and dev8, dev9 and train10 are being
trained on, so the next changes need a judge nobody has looked at. Round
eleven (tests/real_clients/questions_round11.yml) is collected from pages no
earlier round used; it is almost all judge, so this script gives every entry
its side:

- `train11` (~20%): may be added to the training data later;
- `dev11` (~80%): never trained on; round eleven is the next judge.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to ten (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-03 and committed before any round-eleven question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-eleven counts differ.

    python scripts/real_clients_round11_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round11_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_ELEVEN = Round(
    number=11,
    seed=2026120311,  # fixed on 2026-12-03, before round eleven was collected; never redraw
    split_date="2026-12-03",
    dev_share=0.8,
    about=(
        "# A fresh judge nobody has looked at: dev10 judges this stop's changes; dev8,",
        "# dev9 and train10 are being trained on; round eleven is the next judge.",
        "# `split: train11` may be trained on; `split: dev11` is NEVER trained on: the",
        "# next choices are judged on it. Round one's test part (questions_test.yml)",
        "# stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to ten did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Questions round eleven (train11 / dev11)".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_ELEVEN, __doc__))
