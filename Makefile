# Two entry points: `make demo` and `make test`. Both build one virtual environment at .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test venv clean eval bench bench-million

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch first, so nothing later can pull a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/lorebot --home .lorebot-demo ingest examples/handbook
	$(BIN)/lorebot --home .lorebot-demo ask "How many days of annual leave do I get?"

test: venv
	$(BIN)/pytest -q

EVAL := ../shared/eval
eval: venv
	$(BIN)/lorebot eval --corpus $(EVAL)/policyqa-dev/corpus.jsonl --queries $(EVAL)/policyqa-dev/queries.jsonl
	$(BIN)/lorebot eval --corpus $(EVAL)/sourcegraph-handbook/corpus.jsonl \
		--queries $(EVAL)/sourcegraph-handbook/queries.jsonl \
		--paraphrases $(EVAL)/sourcegraph-handbook/paraphrases.jsonl \
		--near-misses $(EVAL)/sourcegraph-handbook/near_misses.jsonl

bench: venv
	$(BIN)/python benchmarks/run_all.py

# Adds the 1M-chunk search benchmark (15-30 minutes; several GB of temporary files under $TMPDIR).
bench-million: venv
	$(BIN)/python benchmarks/run_all.py --million

clean:
	rm -rf $(VENV) .lorebot-demo
