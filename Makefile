# 党建云 — the two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_SCALE ?= city
WORKERS ?= 2

.PHONY: run setup test lint bench clean-db

# The environment is rebuilt only when pyproject.toml changes, so a second `make run` is fast.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更高版本(当前:$$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

setup: $(VENV)/.installed
	@$(BIN)/python manage.py setup_platform --demo $(DEMO_SCALE)

run: setup
	@echo ""
	@echo "党建云已启动:http://127.0.0.1:$(PORT)/"
	@echo "演示账号(密码均为 Demo@2026,仅用于演示数据):"
	@echo "  demo_city       组织部管理员(市委)"
	@echo "  demo_county     组织部管理员(县委)"
	@echo "  demo_secretary  党支部书记"
	@echo "  demo_member     党员"
	@echo "  demo_sysadmin   系统管理员"
	@echo "  demo_secadmin   安全管理员"
	@echo "  demo_auditor    审计管理员"
	@echo "按 Ctrl+C 停止。"
	@exec $(BIN)/gunicorn dangjian.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --timeout 300 \
		--access-logfile - --error-logfile - --log-level warning

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean-db:
	rm -f var/dangjian.sqlite3 var/dangjian.sqlite3-wal var/dangjian.sqlite3-shm
