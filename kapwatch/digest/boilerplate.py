"""Evidence sentences without the publisher's lead-in: feeds put the journal, volume, pages,
DOI or "Published online" date before the first sentence of a description."""

from __future__ import annotations

import re

_LEAD_INS = [
    # "Nature Medicine, Published online: 24 June 2024; doi:10.1038/…"
    r"(?:[^.;:]{1,120},\s*)?Published online:?\s*[^;|]{1,40}[;|]\s*",
    # "International Journal of …, Vol. 26, Pages 6673: " (MDPI)
    r"[^.;:]{1,200},\s*Vol(?:ume|\.)\s*\d+[^:]{0,80}Pages?\s*[\w–-]+:\s*",
    # "Volume 67, Issue 4, December 2021, Page 283-289." (Taylor & Francis)
    r"Vol(?:ume|\.)\s*\d+(?:,\s*Issue\s*[\w-]+)?(?:,\s*[A-Z][a-z]+\s*\d{4})?(?:,\s*Pages?\s*[\w–-]+)?[.,;:]?\s*",
    # "Publication date: February 2022 Source: Molecular Phylogenetics and Evolution, Volume 167"
    r"Publication date:\s*(?:Available online\s*)?(?:\d{1,2}\s+)?[A-Za-z]*\s*\d{4}\s*",
    r"Source:\s*[^:]{1,200}?(?:,\s*Volume\s*\d+)?\s*(?=Author\(s\):|$)",
    r"Author\(s\):.*$",  # ScienceDirect: the names, and no abstract after them
    # "doi:10.1038/s41586-024-07735-z", "https://doi.org/10.…"
    r"(?:\|\s*)?(?:doi:\s*|https?://(?:dx\.)?doi\.org/)10\.\d{4,9}/\S+\s*",
    r"[A-Z][\w &'-]{1,80},\s*(?:EarlyView|Ahead of Print)\.?\s*",
    r"[.;:,|]\s+",
]
LEAD_IN = re.compile("|".join(f"(?:{p})" for p in _LEAD_INS), re.IGNORECASE)


def clean_evidence(text: str | None) -> str | None:
    """The sentence without any lead-in at its start; None when nothing else is left."""
    if not text:
        return text
    cleaned = " ".join(text.split())
    while match := LEAD_IN.match(cleaned):
        if not match.group(0):
            break
        cleaned = cleaned[match.end() :]
    return cleaned or None
