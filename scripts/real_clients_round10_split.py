"""Split questions round ten of the real client questions ONCE into `train10` and `dev10`.

Every earlier dev side has been looked at (dev8 and dev9 have judged changes),
and the lead now trains on every side but dev8, dev9 and test, so the next
changes need a judge nobody has looked at. Round ten (tests/real_clients/questions_round10.yml)
is collected from pages no earlier round used; it is almost all judge, so
this script gives every entry its side:

- `train10` (~20%): may be added to the training data later;
- `dev10` (~80%): never trained on; the next choices are judged here.

Round one's test part is not touched, re-split or read here.

Same rules and code as rounds two to nine (tests/real_clients/splitting.py):
stratified by first label, near paraphrases kept together, a fixed seed chosen
on 2026-12-03 and committed before any round-ten question was collected,
never changed. `--check` re-derives every `split` and fails if any entry, the
file's header or the README's round-ten counts differ.

    python scripts/real_clients_round10_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round10_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.real_clients.splitting import Round, main  # noqa: E402  (after the path is set)

ROUND_TEN = Round(
    number=10,
    seed=2026120310,  # fixed on 2026-12-03, before round ten was collected; never redraw
    split_date="2026-12-03",
    dev_share=0.8,
    about=(
        "# A fresh judge nobody has looked at: dev8 and dev9 have judged changes, and",
        "# the lead now trains on every side but dev8, dev9 and test. `split: train10` may",
        "# be trained on; `split: dev10` is NEVER trained on: the next choices are judged",
        "# on it. Round one's test part (questions_test.yml) stays the headline judge and",
        "# is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that rounds one to nine did not use (`source`, `also_at`); none",
        "# is an exact or near-exact duplicate of an earlier question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Questions round ten (train10 / dev10)".',
    ),
)

if __name__ == "__main__":
    sys.exit(main(ROUND_TEN, __doc__))
