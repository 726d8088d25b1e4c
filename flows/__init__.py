"""Prefect flows: orchestration only; the logic lives in the kapwatch package."""

import os

# Telemetry off unless the user opts in (Prefect phones home from client and server by default).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
# kapwatch's own log lines (progress, failed sources) show in the Prefect UI too.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "kapwatch")
