"""Split questions round seven of the real client questions ONCE into `train7` and `dev7`.

Questions round six's dev6 side has been measured twice (it judged this
session's changes), so a model change chosen on older dev sets needs a judge
nobody has looked at. Round seven (tests/real_clients/questions_round7.yml)
was collected from pages no earlier round used; it is almost all judge, so
this script gives every entry its side:

- `train7` (~20%): may be added to the training data later;
- `dev7` (~80%): never trained on; the next choices are judged here.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to six (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-02 and committed before any round-seven question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-seven counts differ.

    python scripts/real_clients_round7_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round7_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_SEVEN = Round(
    number=7,
    seed=2026120207,  # fixed on 2026-12-02, before round seven was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.8,
    about=(
        "# A fresh judge nobody has looked at: questions round six's dev6 side has",
        "# judged this session's changes twice. `split: train7` may be trained on;",
        "# `split: dev7` is NEVER trained on: the next choices are judged on it. Round",
        "# one's test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to six did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Questions round seven (train7 / dev7)".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_SEVEN, __doc__))
