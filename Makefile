PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format worker beat serve bench clean mutation

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# Mutation testing of the booking core (not part of `make test`: minutes per module). Runs on a
# copy of the checkout (mutmut rewrites the files it mutates); MODULES= picks modules.
mutation: install
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
