"""Evidence: relevance, design, sample size, and each study's links to the claims."""

from kapwatch.evidence.design import classify_design, sample_size
from kapwatch.evidence.engine import Assessment, Engine, Link, assess
from kapwatch.evidence.text import StudyText

__all__ = ["Assessment", "Engine", "Link", "StudyText", "assess", "classify_design", "sample_size"]
