# The two commands of the README: `make demo` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := var/demo.db
TODAY ?= $(shell date +%F)

.PHONY: demo test install install-dev bench clean catalogs lint web

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# constraints.txt pins every package to versions known to work together here (shared/STACK_NOTES.md)
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

# the gettext catalogs (locale/<lang>/LC_MESSAGES/<domain>.po) compiled for the pages, the CLI and the messages
CATALOGS := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -i $< -o $@ -l $(word 2,$(subst /, ,$<))
catalogs: $(CATALOGS)

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed catalogs
install-dev: $(VENV)/.installed-dev catalogs

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj init
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj demo --today $(TODAY)
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj person list --today $(TODAY)
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj plan DEMO-02 --today $(TODAY)
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj overdue --today $(TODAY)
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj demo-sweep --today $(TODAY)
	echo $(TODAY) > $(DEMO_DB).today
	@echo
	@echo "Espace de travail sur cette base de démo : make web   (affiche une fois les mots de passe des comptes de démo, puis http://127.0.0.1:8000/login)"
	@echo "Werkruimte op deze demodatabank:        make web   (toont eenmalig de wachtwoorden van de demo-accounts, daarna http://127.0.0.1:8000/login)"

# the workspace on the demo database, as of the day the demo was made, with new demo passwords printed once
web: install
	test -f $(DEMO_DB) || $(MAKE) demo
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj demo-accounts
	RAJ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/raj web --today $$(cat $(DEMO_DB).today 2>/dev/null || echo $(TODAY))

# the layers' contract and the lint rules of pyproject.toml, then the whole suite
lint: install-dev
	$(BIN)/ruff check raj_release flows tests bench
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest

bench: install-dev
	$(BIN)/python bench/bench_planner.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_sweep.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_login.py
	$(BIN)/python bench/bench_register.py
	$(BIN)/python bench/bench_persons.py

clean:
	rm -rf $(VENV) var/*.db var/*.db-wal var/*.db-shm
