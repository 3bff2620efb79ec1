# The two commands: `make run` starts the assistant, `make test` runs every test.
.PHONY: run test shell setup train eval crossval

run:
	scripts/run.sh

test:
	scripts/test.sh

# Chat in the terminal (rasa shell).
shell:
	scripts/shell.sh

setup:
	scripts/setup.sh

train: setup

eval: setup
	.venv/bin/python scripts/eval_nlu.py

crossval: setup
	.venv/bin/rasa test nlu --nlu data/nlu --cross-validation --folds 5 --config config.yml --out results/crossval
