# The two commands: `make run` starts the assistant, `make test` runs every test.
.PHONY: run test lint test-unit shell setup train eval crossval compare bench-embedding

run:
	scripts/run.sh

# Every test: the lint gate (scripts/lint.sh) and the browser installs beside setup, then pytest.
test:
	scripts/test.sh

# ruff check, ruff format --check, mypy on clinic_core/ and actions/ (pyproject.toml).
lint:
	scripts/lint.sh

# The tests that need no running server, browser or service, without those
# marked slow (pytest.ini): well under a minute. `make test` runs them all.
test-unit:
	scripts/setup.sh
	.venv/bin/python -m pytest tests/unit tests/actions -m "not slow"

# Chat in the terminal (rasa shell).
shell:
	scripts/shell.sh

setup:
	scripts/setup.sh

train: setup

# Every evaluation set through the running assistant: acceptable, "can't
# answer", confidently wrong (scripts/eval_clients.py; per question in results/).
eval: setup
	.venv/bin/python scripts/eval_clients.py

# Candidate intent/FAQ-topic classifiers side by side (issue 10, item 6):
# SETS=path/to/labelled.yml to score other sets than real:dev2 and the two held-out ones.
compare: setup
	.venv/bin/python scripts/compare_classifiers.py $(SETS)

crossval: setup
	.venv/bin/rasa test nlu --nlu data/nlu --cross-validation --folds 3 --config config.yml --out results/crossval

# Performance and scale-out (docs/performance.md, docs/deployment.md).
.PHONY: bench scale-test
# Stock `rasa init` vs this assistant in one run -> results/bench.{json,md,png}.
# BENCH_ARGS=--skip-train reuses models/clinic.tar.gz instead of training ours.
bench: setup
	.venv/bin/python scripts/bench/bench.py $(BENCH_ARGS)

# Load time, memory and per-message latency of the sentence embedding.
bench-embedding: setup
	.venv/bin/python scripts/bench_embedding.py

# Two replicas behind nginx on PostgreSQL, Redis, RabbitMQ (installs them; root).
scale-test: setup
	CLINIC_SCALE=1 .venv/bin/python -m pytest tests/scale -s -p no:cacheprovider -o addopts= -q

# Issue 11's conversation simulator: 235 scripted clients against a freshly
# started assistant -> results/simulator.{md,json} (about 3-5 minutes).
# Its targets as tests: CLINIC_SIMULATOR=1 .venv/bin/python -m pytest tests/simulator
.PHONY: simulate
simulate: setup
	.venv/bin/python -m tests.simulator.simulator $(if $(NOW),--now $(NOW)) $(SIMULATE_ARGS)
