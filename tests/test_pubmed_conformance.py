"""Every real PubMed EFetch sample in ../shared/data parses into sane records."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapwatch.pubmed import EutilsError, ParseStats, parse_esearch, parse_pubmed

from .conftest import SHARED_DATA

NCBI = SHARED_DATA / "ncbi"
ALL = sorted(NCBI.rglob("*.xml")) if NCBI.is_dir() else []
PUBMED = [
    p for p in ALL if b"<PubmedArticle" in p.read_bytes() or b"<PubmedBookArticle" in p.read_bytes()
]
ESEARCH = [p for p in ALL if b"<eSearchResult" in p.read_bytes()]


def name(path: Path) -> str:
    return str(path.relative_to(NCBI))


@pytest.mark.skipif(not PUBMED, reason="../shared/data not present")
@pytest.mark.parametrize("path", PUBMED, ids=name)
def test_pubmed_samples_parse(path: Path) -> None:
    stats = ParseStats()
    records = list(parse_pubmed(path.read_bytes(), stats))
    assert records, f"no record in {name(path)}"
    assert stats.skipped == []
    for record in records:
        assert record.title.strip()
        assert record.pmid or "no_pmid" in path.name
        assert record.pmid is None or record.pmid.isdigit()
        assert record.year is None or 1800 <= record.year <= 2100
        assert record.doi is None or record.doi.startswith("10.")


@pytest.mark.skipif(not ESEARCH, reason="../shared/data not present")
@pytest.mark.parametrize("path", ESEARCH, ids=name)
def test_esearch_samples_parse_or_fail_cleanly(path: Path) -> None:
    try:
        result = parse_esearch(path.read_bytes())
    except EutilsError as exc:
        assert str(exc).startswith("esearch.fcgi:")
    else:
        assert result.count >= len(result.ids) >= 0
