"""The topic query on new records (issue 14): a new PubMed record carries no MeSH for weeks, so
text words alone must find it. The query runs through the stand-in's PubMed syntax over real
KAP and ketamine-efficacy records of the dev set (tests/eval/dev; never the locked test split),
their MeSH removed, and over the near-misses (studies_nearmiss.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from kapwatch.demo.standin import Article, StandIn
from kapwatch.seeds.articles import Seeds

DEV = Path(__file__).parent / "eval" / "dev"
RECALL_MIN = 0.97
# Not-relevant dev records (the near-misses of studies_nearmiss.toml among them) that the query
# matched before issue 14's terms, MeSH removed: two (intranasal ketamine in migraine; abuse
# liability of esketamine). Precision on them must not get worse.
NEAR_MISSES_MATCHED_BEFORE = 2


def studies(*names: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(DEV.glob("*.toml")):
        if not names or path.stem in names:
            found += tomllib.loads(path.read_text(encoding="utf-8"))["study"]
    return found


def as_new_record(study: dict[str, Any]) -> Article:
    """The study as a PubMed record just entered: title, abstract, publication types, no MeSH."""
    if study.get("sections"):
        abstract = "".join(
            f'<AbstractText Label="{escape(label)}">{escape(text)}</AbstractText>'
            for label, text in study["sections"]
        )
    else:
        abstract = f"<AbstractText>{escape(study.get('abstract', ''))}</AbstractText>"
    types = "".join(f"<PublicationType>{escape(t)}</PublicationType>" for t in study["pub_types"])
    keywords = "".join(f"<Keyword>{escape(k)}</Keyword>" for k in study.get("keywords", []))
    xml = (
        f'<PubmedArticle><MedlineCitation Status="In-Data-Review" Owner="NLM">'
        f"<PMID>{study['pmid']}</PMID><Article><Journal><JournalIssue><PubDate>"
        f"<Year>{study['year']}</Year></PubDate></JournalIssue>"
        f"<Title>{escape(study['journal'])}</Title></Journal>"
        f"<ArticleTitle>{escape(study['title'])}</ArticleTitle><Abstract>{abstract}</Abstract>"
        f"<PublicationTypeList>{types}</PublicationTypeList></Article>"
        f"<KeywordList>{keywords}</KeywordList></MedlineCitation>"
        f"<PubmedData><ArticleIdList><ArticleId IdType='pubmed'>{study['pmid']}</ArticleId>"
        f"</ArticleIdList></PubmedData></PubmedArticle>"
    )
    return Article(study["pmid"], None, xml.encode())


def matched(query: str, records: list[dict[str, Any]]) -> set[str]:
    data = StandIn(articles=[as_new_record(s) for s in records])
    return set(data.term_search(query))


def test_the_query_finds_new_kap_and_ketamine_records_by_text_words(seeds: Seeds) -> None:
    wanted = [s for s in studies() if s["relevant"] and s not in studies("studies_nearmiss")]
    assert len(wanted) >= 60
    found = matched(seeds.query(), wanted)
    missed = [s["title"] for s in wanted if s["pmid"] not in found]
    recall = 1 - len(missed) / len(wanted)
    assert recall >= RECALL_MIN, missed


def test_no_loss_of_precision_on_the_near_misses(seeds: Seeds) -> None:
    near = [s for s in studies() if not s["relevant"]]
    assert len(near) >= 30
    assert len(matched(seeds.query(), near)) <= NEAR_MISSES_MATCHED_BEFORE
    assert not matched(seeds.query(), [s for s in near if s in studies("studies_nearmiss")])


def test_every_concept_of_the_query_has_text_words(seeds: Seeds) -> None:
    for concept in seeds.lexicon.concepts:
        if concept.query:
            assert any(not (t.isupper() and len(t) <= 3) for t in concept.terms), concept.name
            assert f"{concept.terms[0]}" in seeds.query() or concept.terms[0].isupper()
