"""Issue 14's acceptance: two weeks of PubMed records holding a preprint then its journal
version under a reworded title, an erratum and a retraction of studies sent the week before
(with their notices) and KAP trials whose therapies the seed articles do not name, none with
MeSH. Each study is listed once, each change flagged in the week it happens, no notice listed
as a study, and the trials found."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kapwatch.demo.standin import Article, Running, serve
from kapwatch.settings import Settings
from kapwatch.store import Store, Study

from .conftest import SEEDS_DIR
from .faults import FaultyStandIn
from .helpers import WEEK1, WEEK2, run_week


def pubmed(
    pmid: str,
    title: str,
    entrez: date,
    *,
    authors: tuple[str, ...] = ("Okafor A", "Lindqvist M", "Brandt K"),
    journal: str = "Journal of Substance Use and Addiction Treatment",
    abstract: str = "",
    doi: str | None = None,
    types: tuple[str, ...] = ("Journal Article",),
    links: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A PubMed record as EFetch returns it for a newly entered article (no MeSH yet)."""
    names = "".join(
        f"<Author><LastName>{a.split()[0]}</LastName><Initials>{a.split()[1]}</Initials></Author>"
        for a in authors
    )
    kinds = "".join(f"<PublicationType>{t}</PublicationType>" for t in types)
    comments = "".join(
        f'<CommentsCorrections RefType="{kind}"><RefSource>J. 2026</RefSource>'
        f"<PMID>{target}</PMID></CommentsCorrections>"
        for kind, target in links
    )
    ids = f'<ArticleId IdType="doi">{doi}</ArticleId>' if doi else ""
    return (
        f'<PubmedArticle><MedlineCitation Status="In-Data-Review" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Electronic"><Journal>'
        f"<JournalIssue><PubDate><Year>{entrez.year}</Year><Month>Nov</Month></PubDate>"
        f"</JournalIssue><Title>{journal}</Title></Journal><ArticleTitle>{title}</ArticleTitle>"
        f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>"
        f"<AuthorList>{names}</AuthorList><PublicationTypeList>{kinds}</PublicationTypeList>"
        f"</Article>{f'<CommentsCorrectionsList>{comments}</CommentsCorrectionsList>' if comments else ''}"
        f'</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="entrez">'
        f"<Year>{entrez.year}</Year><Month>{entrez.month}</Month><Day>{entrez.day}</Day>"
        f'</PubMedPubDate></History><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f"{ids}</ArticleIdList></PubmedData></PubmedArticle>"
    ).encode()


MON1, MON2 = WEEK1[0], WEEK2[0]
PREPRINT_DOI = "10.1101/2026.11.02.26300001"
JOURNAL_DOI = "10.5555/jsat.2026.0101"
PREPRINT = pubmed(
    "91000001",
    "Ketamine infusions with mindfulness-based relapse prevention for alcohol use disorder: "
    "a pilot randomised trial",
    MON1,
    journal="medRxiv",
    doi=PREPRINT_DOI,
    types=("Preprint",),
    abstract="Adults with alcohol use disorder received three ketamine infusions during "
    "mindfulness-based relapse prevention; abstinence was higher than with midazolam.",
)
CORRECTED = pubmed(
    "91000002",
    "Esketamine and motivational interviewing for cocaine use disorder: an open-label study",
    MON1,
    authors=("Haddad R", "Ferreira L"),
    abstract="Twenty adults with cocaine use disorder received intranasal esketamine before "
    "four sessions of motivational interviewing; craving fell by half.",
)
RETRACTED = pubmed(
    "91000003",
    "Ketamine before exposure-based sessions for treatment-resistant depression",
    MON1,
    authors=("Novak P", "Sato H"),
    abstract="Patients received ketamine before exposure-based sessions; symptoms improved.",
)
JOURNAL = pubmed(
    "91000011",
    "Ketamine and mindfulness-based relapse prevention in alcohol use disorder: "
    "a randomized controlled pilot",
    MON2,
    authors=("Okafor A", "Lindqvist M", "Chen Y", "Brandt K"),
    doi=JOURNAL_DOI,
    types=("Journal Article", "Randomized Controlled Trial"),
    abstract="Adults with alcohol use disorder received ketamine or midazolam infusions during "
    "mindfulness-based relapse prevention; abstinence was higher with ketamine.",
)
TRIAL = pubmed(
    "91000014",
    "Ketamine with motivational enhancement therapy for heavy drinking: a randomized trial",
    MON2,
    authors=("Ibrahim S", "Kowalski T"),
    types=("Journal Article", "Randomized Controlled Trial"),
    abstract="Heavy drinkers were randomised to ketamine or midazolam with motivational "
    "enhancement therapy; drinking days fell more with ketamine.",
)
ERRATUM = pubmed(
    "91000012", "Erratum.", MON2, types=("Published Erratum",), links=(("ErratumFor", "91000002"),)
)
RETRACTION = pubmed(
    "91000013",
    "Retraction notice to: Ketamine before exposure-based sessions for treatment-resistant "
    "depression",
    MON2,
    authors=("Novak P", "Sato H"),
    types=("Retraction of Publication",),
    links=(("RetractionOf", "91000003"),),
)
NOTICES = {"91000012", "91000013"}


def changed(xml: bytes, kind: str, notice: str, pub_type: str = "") -> bytes:
    """The record as PubMed serves it once a notice is linked to it."""
    link = f'<CommentsCorrections RefType="{kind}"><RefSource>J. 2026</RefSource><PMID>{notice}</PMID></CommentsCorrections>'
    xml = xml.replace(
        b"</Article>",
        f"</Article><CommentsCorrectionsList>{link}</CommentsCorrectionsList>".encode(),
        1,
    )
    if pub_type:
        xml = xml.replace(
            b"</PublicationTypeList>",
            f"<PublicationType>{pub_type}</PublicationType></PublicationTypeList>".encode(),
        )
    return xml


@pytest.fixture
def weeks(tmp_path: Path, database_url: str) -> Iterator[tuple[Running, Settings]]:
    data = FaultyStandIn()
    for pmid, xml, day in (
        ("91000001", PREPRINT, MON1),
        ("91000002", CORRECTED, MON1),
        ("91000003", RETRACTED, MON1),
    ):
        data.add(Article(pmid, day, xml))
    feeds = tmp_path / "feeds.toml"
    feeds.write_text("feeds = []\n", encoding="utf-8")
    with serve(data) as running:
        settings = Settings.from_env(
            {
                "KAPWATCH_HOME": str(tmp_path / "home"),
                "KAPWATCH_DATABASE_URL": database_url,
                "KAPWATCH_EUTILS_URL": running.eutils_url,
                "KAPWATCH_SEEDS_DIR": str(SEEDS_DIR),
                "KAPWATCH_FEEDS_FILE": str(feeds),
                "KAPWATCH_MAIL_TO": "team@example.org",
            }
        )
        yield running, settings


def test_two_weeks_list_each_study_once_and_flag_each_change(
    weeks: tuple[Running, Settings],
) -> None:
    running, settings = weeks
    store = Store(settings.db_url)
    first, _ = run_week(settings, store, WEEK1, send=False)
    assert sorted(s["pmid"] for s in first["studies"]) == ["91000001", "91000002", "91000003"]

    data = running.data
    assert isinstance(data, FaultyStandIn)
    week2 = date(2026, 11, 18)
    data.add(Article("91000011", MON2, JOURNAL))
    data.add(Article("91000014", MON2, TRIAL))
    data.add(Article("91000013", MON2, RETRACTION, modified=week2))  # on the topic
    data.add_notice("91000012", ERRATUM, week2)  # no word of the topic
    data.replace("91000002", changed(CORRECTED, "ErratumIn", "91000012"), modified=week2)
    data.replace(
        "91000003",
        changed(RETRACTED, "RetractionIn", "91000013", "Retracted Publication"),
        modified=week2,
    )
    second, _ = run_week(settings, store, WEEK2, send=False)

    new = [s["pmid"] for s in second["studies"] if s["new"]]
    earlier = {s["pmid"]: s["news"] for s in second["studies"] if not s["new"]}
    assert new == ["91000014"]  # the KAP trial; the journal version is no new study
    assert earlier == {
        "91000001": [f"now_published:{JOURNAL_DOI}"],
        "91000002": ["erratum"],
        "91000003": ["retracted"],
    }
    listed = [s["pmid"] for s in second["studies"]]
    assert len(listed) == len(set(listed)) and not NOTICES & set(listed)
    assert not NOTICES & {s["pmid"] for s in first["studies"]}
    with store.session() as s:
        journal = s.query(Study).filter(Study.pmid == "91000011").one()
    assert journal.flags == [f"published_version_of:{PREPRINT_DOI}"]
