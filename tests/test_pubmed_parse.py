"""The streaming PubMed XML parser on recorded and real EFetch responses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kapwatch.sources.eutils import ParseStats
from kapwatch.sources.pubmed_xml import parse_pubmed

from .conftest import E2E_FIXTURES, SHARED_DATA

NCBI = SHARED_DATA / "ncbi"


def real(path: str) -> bytes:
    file = NCBI / path
    if not file.is_file():
        pytest.skip(f"{file} not present")
    return file.read_bytes()


def test_recorded_fixture_fields() -> None:
    first, sedation, durability = parse_pubmed((E2E_FIXTURES / "pubmed.xml").read_bytes())
    assert first.pmid == "90000001" and first.doi == "10.5555/kw.0001"
    assert first.title.endswith("a pilot randomized trial.")  # text inside <i> kept
    assert first.authors == ["Okafor A", "Müller J"]
    assert [label for label, _ in first.sections] == ["BACKGROUND", "METHODS", "CONCLUSIONS"]
    assert first.abstract.startswith("BACKGROUND: Ketamine relieves depression")
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Journal of Test Psychiatry",
        "12",
        "4",
        "101-110",
    )
    assert first.published == date(2026, 11, 1) and first.year == 2026
    assert sedation.sections == [] and "laceration" in sedation.abstract
    assert durability.authors == ["Test Trauma Consortium"] and durability.pmcid == "PMC9900003"


def test_structured_abstract_and_rich_ids() -> None:
    (record,) = parse_pubmed(real("biopython/pubmed4.xml"))
    assert record.pmid == "27797938" and record.doi and record.pmcid
    labels = [label for label, _ in record.sections]
    assert labels[0] and "CONCLUSIONS" in [label.upper() for label in labels]
    assert "Observational Study" in record.pub_types
    assert any(c.kind == "CommentIn" for c in record.corrections)


def test_inline_markup_does_not_truncate_the_title() -> None:
    (record,) = parse_pubmed(real("biopython/pubmed6.xml"))
    assert len(record.title) > 30 and not record.title.endswith('"')


def test_season_date_and_missing_abstract() -> None:
    records = list(parse_pubmed(real("biopython/pubmed1.xml")))
    season = next(r for r in records if r.pmid == "12091962")
    assert season.abstract == "" and season.year is not None
    assert season.published is not None and season.published.month in (3, 6, 9, 12)


def test_medline_date_season_and_book(tmp_path: Path) -> None:
    xml = b"""<?xml version="1.0"?>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation><PMID Version="1">1</PMID><Article>
<Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
<Title>J</Title></Journal><ArticleTitle>Medline date</ArticleTitle></Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID Version="1">2</PMID><Article>
<Journal><JournalIssue><PubDate><Year>2001</Year><Season>Winter</Season></PubDate></JournalIssue>
<Title>J</Title></Journal><ArticleTitle>Season</ArticleTitle></Article></MedlineCitation></PubmedArticle>
<PubmedBookArticle><BookDocument><PMID Version="1">3</PMID>
<ArticleIdList><ArticleId IdType="doi">10.1000/BOOK.1</ArticleId></ArticleIdList>
<Book><Publisher><PublisherName>Test Press</PublisherName></Publisher><BookTitle>A Book on Ketamine</BookTitle>
<PubDate><Year>2020</Year><Month>Mar</Month></PubDate></Book>
<AuthorList Type="authors"><Author><LastName>Ngata</LastName><Initials>T</Initials></Author></AuthorList>
<Abstract><AbstractText>About ketamine.</AbstractText></Abstract></BookDocument></PubmedBookArticle>
</PubmedArticleSet>"""
    medline, season, book = parse_pubmed(xml)
    assert medline.published == date(1998, 12, 1) and medline.year == 1998
    assert season.published == date(2001, 12, 1)
    assert book.is_book and book.title == "A Book on Ketamine" and book.doi == "10.1000/book.1"
    assert book.authors == ["Ngata T"] and book.journal == "Test Press" and book.year == 2020


def test_a_broken_article_is_skipped_not_fatal() -> None:
    xml = b"""<PubmedArticleSet>
<PubmedArticle><MedlineCitation><PMID Version="1">1</PMID></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID Version="1">2</PMID><Article><ArticleTitle>Fine</ArticleTitle>
</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    stats = ParseStats()
    (record,) = parse_pubmed(xml, stats)
    assert record.pmid == "2" and stats.articles == 1 and stats.skipped[0].startswith("PMID 1:")


def test_entities_are_not_expanded() -> None:
    xml = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY boom "BOOMBOOMBOOM">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">1</PMID><Article>
<ArticleTitle>Title &boom;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    (record,) = parse_pubmed(xml)
    assert "BOOM" not in record.title


def test_a_2k_record_response_is_parsed_without_holding_it(tmp_path: Path) -> None:
    """The parser streams: its peak memory on a 2,000-record EFetch body (~30 MB of the bench's
    synthetic records) stays a fraction of the body, where building the tree would take
    several times it."""
    import subprocess
    import sys
    from datetime import date

    from bench.generate import write
    from bench.synthetic import Dataset

    dataset = Dataset("parse-2k", 2_000, 80_000_000, date(2026, 1, 1), date(2026, 1, 31))
    body = write(dataset, tmp_path / "efetch.xml")
    size_mb = body.stat().st_size / 2**20
    probe = (
        "import resource, sys; from kapwatch.sources.pubmed_xml import parse_pubmed; "
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "n = sum(1 for _ in parse_pubmed(open(sys.argv[1], 'rb'))) if sys.argv[1] else 0; "
        "print(n, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(body)], capture_output=True, text=True, check=True
    )
    count, grown_mb = done.stdout.split()
    assert int(count) == 2_000 and size_mb > 25
    assert float(grown_mb) < size_mb / 3, (grown_mb, size_mb)


def test_spaces_between_inline_tags_are_kept() -> None:
    """Whitespace-only text between <i>, <b>, <sup> is a word break, not layout: dropping it
    (lxml's remove_blank_text, ~7 % faster) would glue words together."""
    from kapwatch.demo.standin import EFETCH_HEAD

    xml = EFETCH_HEAD + (
        b"<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><Journal><Title>J</Title>"
        b"</Journal><ArticleTitle><i>Esketamine</i> <i>nasal</i> <b>spray</b> works"
        b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    (record,) = parse_pubmed(xml)
    assert record.title == "Esketamine nasal spray works"
