"""The entrypoint Prefect deploys (prefect.yaml); the flow itself ships in kapwatch.flow."""

from kapwatch.flow import weekly_digest

__all__ = ["weekly_digest"]
