# Two commands do everything: `make book` and `make test`. Both create .venv on first use.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BUILD := $(BIN)/jupyter-book build . -W -n --keep-going
# The PDF: the same doctrees written as one page (no notebook runs again), then printed by
# Chromium (scripts/book_pdf.py) to _build/html/downloads/scalelab.pdf.
SINGLE := $(BUILD) --builder singlehtml
PORT ?= 8000

.PHONY: book test lint unit nbval build-strict browser binder serve lab live bench strip outputs clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "scalelab needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==24.3.1
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# npm packages pinned by package-lock.json: MathJax (served by the site) and axe-core.
NODE := node_modules/.package-lock.json

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

book: $(STAMP) $(NODE)  ## Build the site (executing every notebook), the deck and the PDF.
	$(BUILD)
	$(SINGLE)
	$(BIN)/python scripts/book_pdf.py
	@echo "Book built: $(CURDIR)/_build/html/index.html"

test: lint unit nbval build-strict browser binder  ## Everything CI checks.

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts _ext
	$(BIN)/ruff format --check src tests benchmarks scripts _ext

unit: $(STAMP)
	$(BIN)/pytest tests -m "not browser and not binder and not built" -n 2 --dist worksteal

# A Jupyter kernel very rarely loses a message and the client then waits for ever; cells
# time out after NB_TIMEOUT seconds instead, and nbval and the build get one more try.
NB_TIMEOUT := 120
# Two notebooks at a time (one kernel per core), each notebook's cells on one worker.
NBVAL := $(BIN)/pytest --nbval-lax --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg \
	--nbval-cell-timeout=$(NB_TIMEOUT) -p no:cacheprovider -n 2 --dist loadfile chapters/

nbval: $(STAMP)
	$(NBVAL) || (echo "nbval failed; one retry in case a kernel hung" && $(NBVAL))

build-strict: $(STAMP) $(NODE)  ## The strict build from an empty _build (and the PDF): a warning is a failure.
	rm -rf _build && $(BUILD) 2>&1 | tee _build.log \
		|| (echo "build failed; one retry in case a kernel hung" && rm -rf _build \
			&& $(BUILD) 2>&1 | tee _build.log)
	$(SINGLE) 2>&1 | tee -a _build.log
	@! grep -E ": (WARNING|ERROR|CRITICAL):|build finished with problems" _build.log \
		|| (echo "the build printed warnings" && exit 1)
	@rm -f _build.log
	$(BIN)/python scripts/book_pdf.py

browser: $(STAMP) $(NODE)  ## Tests of the built site and of the live notebooks in JupyterLab.
	$(BIN)/pytest tests -m "browser or built" -n 2 --dist loadfile  # JupyterLab beside the site

binder: $(STAMP)  ## Binder-equivalent: a fresh venv from requirements.txt runs every notebook.
	$(BIN)/pytest tests -m binder

serve:  ## Serve the built site on http://127.0.0.1:$(PORT)
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

lab: $(STAMP)  ## JupyterLab in the project's environment, on the live notebooks.
	$(BIN)/jupyter lab notebooks

live: $(STAMP)  ## Regenerate notebooks/ (what Binder and Colab open) from the chapters and the build.
	$(BIN)/python scripts/live_notebooks.py

bench: $(STAMP)  ## Speed and accuracy benchmarks (not part of make test).
	$(BIN)/python benchmarks/run_all.py

strip: $(STAMP)  ## Remove outputs from notebooks (keeps cells tagged keep_output).
	$(BIN)/python scripts/strip_outputs.py chapters/*.ipynb

outputs: $(STAMP)  ## Re-run notebooks, store the outputs of keep_output cells, strip the rest.
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=$(NB_TIMEOUT) chapters/*.ipynb
	$(BIN)/python scripts/strip_outputs.py chapters/*.ipynb

clean:
	rm -rf _build .venv .pytest_cache .hypothesis node_modules
