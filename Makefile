# Shortcuts; each target works through dev.py, which needs only python3 and pip.
PYTHON ?= python3

.PHONY: start test test-external schema migrate demo

start:
	$(PYTHON) dev.py start

test:
	$(PYTHON) dev.py test

test-external:
	BRANCHDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
	BRANCHDESK_REDIS_URL=redis://127.0.0.1:6379/5 $(PYTHON) dev.py test -m external

schema:
	$(PYTHON) dev.py run branchdesk export-schema

migrate:
	$(PYTHON) dev.py run branchdesk migrate

demo:
	$(PYTHON) dev.py run branchdesk demo
