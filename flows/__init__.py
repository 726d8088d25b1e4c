"""Prefect flows: orchestration only; the logic lives in the kapwatch package."""
