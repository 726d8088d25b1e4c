"""Every real NCBI sample in ../shared/data/ncbi: PubMed XML parses into sane records, ESearch
replies parse (or fail as EutilsError), and nothing else trips the parsers. Files are read in
place, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapwatch.sources.eutils import EutilsError, ParseStats, _entrez, parse_esearch
from kapwatch.sources.pubmed_xml import parse_pubmed

from .conftest import SHARED_DATA

NCBI = SHARED_DATA / "ncbi"
ALL = sorted(NCBI.rglob("*.xml")) if NCBI.is_dir() else []
CONTENT = {path: path.read_bytes() for path in ALL}
PUBMED = [p for p, b in CONTENT.items() if b"<PubmedArticle" in b or b"<PubmedBookArticle" in b]
ESEARCH = [p for p, b in CONTENT.items() if b"<eSearchResult" in b]
OTHER = [p for p in ALL if p not in PUBMED and p not in ESEARCH]
NO_PMID_SAMPLE = "pubmedsample_no_pmid_2019.xml"


def name(path: Path) -> str:
    return str(path.relative_to(NCBI))


@pytest.fixture(autouse=True)
def no_biopython_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Biopython downloads DTDs it does not bundle (urllib, no timeout): that must never run."""
    _entrez()  # first: importing Bio.Entrez.Parser unprepared writes ~/.config/biopython
    import Bio.Entrez.Parser

    def refuse(*args: object, **kw: object) -> None:
        raise AssertionError(f"Biopython tried the network: {args}")

    monkeypatch.setattr(Bio.Entrez.Parser, "urlopen", refuse)


@pytest.mark.skipif(not PUBMED, reason="../shared/data not present")
@pytest.mark.parametrize("path", PUBMED, ids=name)
def test_pubmed_samples_parse(path: Path) -> None:
    stats = ParseStats()
    records = list(parse_pubmed(CONTENT[path], stats))
    assert records, f"no record in {name(path)}"
    assert stats.skipped == [] and stats.articles == len(records)
    for record in records:
        assert record.source == "pubmed" and record.title.strip()
        assert record.title == " ".join(record.title.split())  # whitespace collapsed
        assert record.pmid or path.name == NO_PMID_SAMPLE
        assert record.pmid is None or record.pmid.isdigit()
        assert record.url is None or record.url.endswith(f"/{record.pmid}/")
        assert record.year is None or 1800 <= record.year <= 2100
        assert record.published is None or 1800 <= record.published.year <= 2100
        assert record.doi is None or record.doi.startswith("10.")
        assert record.pmcid is None or record.pmcid.startswith("PMC")
        assert all(author.strip() for author in record.authors)
        assert all(c.kind and c.kind != "Cites" for c in record.corrections)


@pytest.mark.skipif(not ESEARCH, reason="../shared/data not present")
@pytest.mark.parametrize("path", ESEARCH, ids=name)
def test_esearch_samples_parse_or_fail_cleanly(path: Path) -> None:
    try:
        result = parse_esearch(CONTENT[path])
    except EutilsError as exc:
        assert str(exc).startswith("esearch.fcgi:") and "\n" not in str(exc)
    else:
        assert result.count >= len(result.ids) >= 0
        assert all(i.isdigit() for i in result.ids)


@pytest.mark.skipif(not OTHER, reason="../shared/data not present")
@pytest.mark.parametrize("path", OTHER, ids=name)
def test_other_replies_give_no_records_and_no_crash(path: Path) -> None:
    try:
        assert list(parse_pubmed(CONTENT[path])) == []
    except EutilsError as exc:  # not XML we can read: reported, not raised as lxml's own error
        assert "\n" not in str(exc)
