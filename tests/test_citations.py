"""The citation check and the retraction watch, against the loopback E-utilities stand-in."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from kapwatch.demo.standin import StandIn, serve
from kapwatch.seeds import citations
from kapwatch.seeds.articles import Reference, Seeds
from kapwatch.settings import Settings
from kapwatch.sources.eutils import Eutils
from kapwatch.sources.records import Record
from kapwatch.store import Store

from .helpers import WEEK1, WEEK2, run_week

DEMO = Path(__file__).resolve().parent.parent / "kapwatch" / "demo"
EXPECTED = Path(__file__).resolve().parent / "fixtures" / "citations" / "expected.toml"


def record(**fields: object) -> Record:
    base: dict[str, object] = {
        "source": "pubmed",
        "title": "A systematic review and meta-analysis of ketamine in major depressive episodes",
        "pmid": "1",
        "authors": ["McGirr A", "Berlim MT"],
        "journal": "Psychological medicine",
        "journal_abbrev": "Psychol Med",
        "year": 2015,
        "volume": "45",
        "issue": "4",
        "pages": "693-704",
    }
    base.update(fields)
    return Record(**base)  # type: ignore[arg-type]


def reference(**fields: object) -> Reference:
    base: dict[str, object] = {
        "key": "mcgirr2020",
        "raw": "McGirr, A. (2020). ...",
        "authors": ["McGirr"],
        "year": 2020,
        "title": "A systematic review and meta-analysis of ketamine in major depressive episodes",
        "journal": "Psychological Medicine",
        "volume": "50",
        "issue": "11",
        "pages": "1799-1815",
    }
    base.update(fields)
    return Reference(**base)  # type: ignore[arg-type]


def test_differences_name_each_field_printed_wrong() -> None:
    assert citations.differences(reference(), record()) == ["year", "volume", "issue", "pages"]
    printed_right = reference(year=2015, volume="45", issue="4", pages="693-704")
    assert citations.differences(printed_right, record()) == []
    # Fields the article left out are not differences.
    assert (
        citations.differences(
            reference(year=2015, journal="", volume="", issue="", pages=""), record()
        )
        == []
    )
    assert citations.differences(reference(authors=["Williams"], year=2015), record()) == [
        "first_author",
        "volume",
        "issue",
        "pages",
    ]


def test_journal_names_match_abbreviations_and_acronyms() -> None:
    pnas = record(
        journal="Proceedings of the National Academy of Sciences of the United States of America",
        journal_abbrev="Proc Natl Acad Sci U S A",
    )
    assert citations.same_journal("PNAS", pnas)
    assert citations.same_journal("Psychological Medicine", record())
    assert citations.same_journal("Psychol. Med.", record())
    assert not citations.same_journal("Journal of Affective Disorders", record())
    assert not citations.same_journal("Frontiers in Psychiatry", record())


def test_a_look_alike_by_the_same_author_is_not_the_reference() -> None:
    wanted = reference(title="Rapid neuroplasticity changes and response to intravenous ketamine")
    decoy = record(title="Ketamine and the neurobiology of depression: a review", year=2020)
    assert citations.best_record(wanted, [decoy]) is None
    same = record(
        title="Rapid neuroplasticity changes and response to intravenous ketamine: a trial"
    )
    assert citations.best_record(wanted, [decoy, same]) is same


def test_title_words_drop_stopwords_and_keep_order() -> None:
    words = citations.title_words(
        "The effects of psychotherapy on ketamine infusion therapy for TRD"
    )
    assert words == ["psychotherapy", "ketamine", "infusion", "therapy"]


def test_check_against_pubmed_then_cached(seeds: Seeds) -> None:
    data = StandIn()
    # The demo's records are PubMed's (real metadata), none of them in a date window here.
    data.load_pubmed(DEMO / "pubmed.xml", listed=False)
    with serve(data) as running, Eutils(running.eutils_url, backoff=0.01) as eutils:
        checks = citations.check_references(eutils, seeds)
        by_key = {c.key: c for c in checks}
        assert len(checks) == sum(len(a.references) for a in seeds.articles)
        # Printed as "Williams, N. R., et al. (2021)": the trial's first author is Wilkinson.
        cbt = by_key["williams2021"]
        assert cbt.status == ["details_differ"] and cbt.differences == ["first_author"]
        assert cbt.pmid == "34186531" and cbt.doi == "10.1159/000517074"
        assert cbt.citation and cbt.citation.startswith("Wilkinson ST")
        assert by_key["fava2022"].status == ["not_found"] and by_key["fava2022"].pmid is None
        # One ECitMatch, at most three ESearches a reference, one EFetch; nothing per record.
        paths = [p.rsplit("/", 1)[-1] for p in data.requests]
        assert paths.count("ecitmatch.cgi") == 1 and paths.count("efetch.fcgi") == 1
        assert paths.count("esearch.fcgi") <= 3 * len(checks)
        cached = {c.fingerprint: c for c in checks}
        before = len(data.requests)
        again = citations.check_references(eutils, seeds, cached)
        assert len(data.requests) == before  # a weekly run does not look them up again
        assert [c.as_json() for c in again] == [c.as_json() for c in checks]


def test_every_reference_of_both_articles_gets_its_verdict(seeds: Seeds) -> None:
    """Against the real records the references point to (and look-alikes by the same authors):
    the verdicts established by hand in tests/fixtures/citations/expected.toml."""
    with EXPECTED.open("rb") as handle:
        expected = {(r["seed"], r["key"]): r for r in tomllib.load(handle)["reference"]}
    data = StandIn()
    data.load_pubmed(DEMO / "pubmed.xml", listed=False)
    data.load_pubmed(DEMO / "citations.xml", listed=False)
    with serve(data) as running, Eutils(running.eutils_url, backoff=0.01) as eutils:
        checks = citations.check_references(eutils, seeds)
    assert {(c.seed, c.key) for c in checks} == set(expected)
    for check in checks:
        want = expected[(check.seed, check.key)]
        got = (sorted(check.status), sorted(check.differences), check.pmid or "")
        assert got == (sorted(want["status"]), sorted(want["differences"]), want["pmid"]), check.key
        if check.pmid:
            assert check.title == want["title"] and check.citation
    assert len(data.requests) <= 2 + 4 * len(checks)  # ECitMatch, ESearches, one EFetch


def test_a_reference_retracted_later_is_flagged(seeds: Seeds) -> None:
    check = citations.CitationCheck("a.txt", "k", "raw", ["verified"], pmid="5")
    assert citations.apply_records([check], [record(pmid="5", pub_types=["Retracted Publication"])])
    assert check.status == ["verified", "retracted"]
    assert not citations.apply_records(
        [check], [record(pmid="5", pub_types=["Retracted Publication"])]
    )


ERRATUM = b"""<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM">
<PMID Version="1">90000099</PMID><Article PubModel="Electronic"><Journal><JournalIssue>
<PubDate><Year>2026</Year></PubDate></JournalIssue><Title>Journal of Test Psychiatry</Title>
</Journal><ArticleTitle>Erratum: Ketamine-assisted psychotherapy for treatment-resistant
depression.</ArticleTitle><PublicationTypeList>
<PublicationType>Published Erratum</PublicationType></PublicationTypeList></Article>
<CommentsCorrectionsList>
<CommentsCorrections RefType="ErratumFor"><RefSource>J Test Psychiatry. 2026;12:101.
</RefSource><PMID Version="1">90000001</PMID></CommentsCorrections></CommentsCorrectionsList>
</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">90000099</ArticleId>
</ArticleIdList></PubmedData></PubmedArticle>"""


def test_an_erratum_notice_flags_the_study_it_corrects(settings: Settings, standin: object) -> None:
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1, send=False)
    data = standin.data  # type: ignore[attr-defined]
    data.add_notice("90000099", ERRATUM, date(2026, 11, 18))
    before = len(data.requests)
    second, _ = run_week(settings, store, WEEK2, send=False)
    (corrected,) = [s for s in second["studies"] if not s["new"]]
    assert corrected["pmid"] == "90000001" and corrected["news"] == ["erratum"]
    # The watch is two ESearches by modification date (stored studies that changed, notices on
    # the topic), each with an EFetch of what it finds, however many studies were sent before.
    searches = [p for p in data.requests[before:] if p.endswith("esearch.fcgi")]
    assert len(searches) == 3  # the week's search and the watch's two


BARE_ERRATUM = ERRATUM.replace(b"90000099", b"90000098").replace(
    b"Erratum: Ketamine-assisted psychotherapy for treatment-resistant\ndepression.", b"Erratum."
)


def erratum_in(xml: bytes) -> bytes:
    """The same PubMed record once an erratum is linked to it (CommentsCorrections ErratumIn)."""
    return xml.replace(
        b"</Article>",
        b'</Article><CommentsCorrectionsList><CommentsCorrections RefType="ErratumIn">'
        b"<RefSource>J Test Psychiatry. 2026;13:2.</RefSource><PMID>90000098</PMID>"
        b"</CommentsCorrections></CommentsCorrectionsList>",
        1,
    )


def test_an_erratum_with_no_words_of_the_topic_flags_the_study_sent_before(
    settings: Settings, standin: object
) -> None:
    """The notice ("Erratum.") matches no topic word; the study's own record, changed this
    week, names it. Found by one ESearch by modification date and one EFetch, whatever the
    number of studies stored; the notice is never listed as a study."""
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1, send=False)
    data = standin.data  # type: ignore[attr-defined]
    data.add_notice("90000098", BARE_ERRATUM, date(2026, 11, 18))
    original = next(a.xml for a in data.articles if a.pmid == "90000001")
    data.replace("90000001", erratum_in(original), modified=date(2026, 11, 18))
    before = len(data.requests)
    second, _ = run_week(settings, store, WEEK2, send=False)
    earlier = [s for s in second["studies"] if not s["new"]]
    assert [(s["pmid"], s["news"]) for s in earlier] == [("90000001", ["erratum"])]
    assert "90000098" not in {s["pmid"] for s in second["studies"]}
    requests = data.requests[before:]
    assert requests.count("/entrez/eutils/esearch.fcgi") == 3


def retracted(xml: bytes) -> bytes:
    """The same PubMed record as it reads once the journal has retracted the article."""
    return xml.replace(
        b"</PublicationTypeList>",
        b'<PublicationType UI="D016441">Retracted Publication</PublicationType>'
        b"</PublicationTypeList>",
    ).replace(
        b"</Article>",
        b'</Article><CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        b"<RefSource>J Test Psychiatry. 2026;13:1.</RefSource></CommentsCorrections>"
        b"</CommentsCorrectionsList>",
    )


def test_a_study_sent_last_week_and_retracted_since_is_flagged(
    settings: Settings, standin: object
) -> None:
    store = Store(settings.db_url)
    first, _ = run_week(settings, store, WEEK1, send=False)
    sent = next(s for s in first["studies"] if s["pmid"] == "90000001")
    assert sent["relevant"] and "retracted" not in sent["flags"]
    assert first["citations"] and first["summary"]["citation_problems"] >= 1

    data = standin.data  # type: ignore[attr-defined]
    original = next(a.xml for a in data.articles if a.pmid == "90000001")
    data.replace("90000001", retracted(original), modified=date(2026, 11, 17))
    second, _ = run_week(settings, store, WEEK2, send=False)
    earlier = [s for s in second["studies"] if not s["new"]]
    assert [s["pmid"] for s in earlier] == ["90000001"]
    assert earlier[0]["news"] == ["retracted"] and "retracted" in earlier[0]["flags"]
    text = (settings.digests_dir / f"{second['label']}.txt").read_text(encoding="utf-8")
    assert "CHANGES TO STUDIES ALREADY SENT" in text and "RETRACTED" in text
    # Claims health was shown in full the first week and is one line now it has not changed.
    assert "Unchanged since the last digest" in text
    first_text = (settings.digests_dir / f"{first['label']}.txt").read_text(encoding="utf-8")
    assert "Looked up in PubMed" in first_text
