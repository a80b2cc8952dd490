PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp

.PHONY: install install-dev lock run test lint format worker beat serve bench clean mutation

# What running needs, at the versions of the lock file (requirements.txt); `make test` adds the
# test and lint tools of requirements-dev.txt. Both are compiled from pyproject.toml by `make lock`.
install: $(RUN_STAMP)

$(RUN_STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Re-pin both lock files after a change to pyproject.toml (the dev set first; the run set is
# held to the same versions).
lock: install
	$(PY) -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras \
		--no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
		--extra dev -o requirements-dev.txt pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras \
		--no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
		-c requirements-dev.txt -o requirements.txt pyproject.toml

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install-dev lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# Mutation testing of the booking core (not part of `make test`: minutes per module). Runs on a
# copy of the checkout (mutmut rewrites the files it mutates); MODULES= picks modules.
mutation: install-dev
	$(PY) -m pip install --quiet -r requirements-mutation.txt
	nice -n 19 sh proof/mutation.sh $(MODULES)

# Production serving: DEBUG off (so SECRET_KEY and ALLOWED_HOSTS must be set), static files
# collected for WhiteNoise, migrations applied, then gunicorn (smartbook/gunicorn.conf.py).
serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (and ALLOWED_HOSTS, DATABASE_URL)"; exit 2; }
	DEBUG=0 $(PY) manage.py check --deploy
	DEBUG=0 $(PY) manage.py collectstatic --noinput
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 exec $(VENV)/bin/gunicorn -c smartbook/gunicorn.conf.py smartbook.wsgi:application

worker: install
	$(VENV)/bin/celery -A smartbook worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A smartbook beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
