"""Split round six of the real client questions ONCE into `train6` and `dev6`.

Round five's dev5 side has judged one round of changes (round seven), so the
next changes need a judge nobody has looked at. Round six
(tests/real_clients/questions_round6.yml) was collected from pages no earlier
round used; it is almost all judge, so this script gives every entry its side:

- `train6` (~20%): may be added to the training data later;
- `dev6` (~80%): never trained on; the next round of choices is judged here.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to five (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-02 and committed before any round-six question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-six counts differ.

    python scripts/real_clients_round6_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round6_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_SIX = Round(
    number=6,
    seed=2026120206,  # fixed on 2026-12-02, before round six was collected; never redraw
    split_date="2026-12-02",
    dev_share=0.8,
    about=(
        "# A fresh judge for the next round of improvement: round five's dev5 side",
        "# judged round seven's changes. `split: train6` may be trained on; `split: dev6`",
        "# is NEVER trained on: the next choices are judged on it. Round one's test",
        "# part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to five did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Questions round six (train6 / dev6)".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_SIX, __doc__))
