# Two entry points: `make demo` and `make test`. Both build one virtual environment at .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test venv clean eval bench

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

eval: venv
	$(BIN)/lorebot eval --corpus ../shared/eval/policyqa-dev/corpus.jsonl --queries ../shared/eval/policyqa-dev/queries.jsonl

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .lorebot-demo
