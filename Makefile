# The book's commands. On a fresh machine with python3 (>= 3.11), make and git:
#   make book   -> set up .venv, execute stale chapters, render _build/html
#   make test   -> set up .venv (and Chromium for the browser test), run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup browser book html test sync chapter check bench sweep clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the browser test; installed when missing and we may use apt-get.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "chromium could not be installed: the browser test will be skipped (and fail under CI)"; \
	  else echo "chromium is absent and cannot be installed here: the browser test will be skipped"; fi; }

# Execute the chapters whose .ipynb no longer matches their .py, then render the HTML.
book: setup
	$(BIN)/python -m ibcore.notebooks sync --stale
	$(MAKE) html

html: setup
	$(BIN)/jupyter-book build . -W -n --keep-going

# Every test: unit tests, pairing and contract, nbval at book scale, papermill at smoke scale,
# the book build with warnings as errors, and the browser test of the built site.
# nbval re-executes the chapters with the thread count their stored outputs were made with (two threads this
# version), so the same seed gives the same numbers and the same verdict tables; override with IBCORE_THREADS=1 (e.g. beside another job).
TEST_THREADS ?= 2
test: setup browser
	IBCORE_THREADS=$${IBCORE_THREADS:-$(TEST_THREADS)} $(BIN)/python -m pytest --junitxml=_build/test-junit.xml

# Every chapter: copy prose where only markdown changed, execute the others at book scale.
sync: setup
	$(BIN)/python -m ibcore.notebooks sync

# One chapter after editing its .py: make chapter NB=notebooks/01_beta_vae_decomposition.py
# (markdown only: the prose is copied, outputs kept; code: executed at book scale into a temporary
# file, the .ipynb replaced only if the run succeeds)
chapter: setup
	@test -n "$(NB)" || { echo 'usage: make chapter NB=notebooks/01_beta_vae_decomposition.py'; exit 2; }
	$(BIN)/python -m ibcore.notebooks sync $(NB)

# Pairing (with the differing lines) and contract of every chapter.
check: setup
	$(BIN)/python -m ibcore.notebooks check

# Rerun a chapter with other parameters into runs/: make rerun CHAPTER=01 ARGS="-p seed 3 -p scale smoke"
rerun: setup
	@test -n "$(CHAPTER)" || { echo 'usage: make rerun CHAPTER=01 ARGS="-p seed 3 -p scale smoke"'; exit 2; }
	@$(BIN)/python -m ibcore.rerun $(CHAPTER) $(ARGS)

bench: setup
	$(BIN)/python bench/run.py

# The confirmation sweep: every chapter on seeds 1-5 at book scale, on a Dask LocalCluster (resumable;
# not part of `make test`). Other clusters: SCHEDULER=tcp://host:8786; a subset: CHAPTERS=01,02 SEEDS=1-2.
CHAPTERS  ?= all
SEEDS     ?= 1-5
SCALE     ?= book
SWEEPARGS ?=
sweep: setup
	$(BIN)/python -m ibcore.sweep run --chapters $(CHAPTERS) --seeds $(SEEDS) --scale $(SCALE) \
	  $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(SWEEPARGS)

clean:
	rm -rf _build runs .pytest_cache
