"""The streaming PubMed XML parser: EFetch's PubmedArticle and PubmedBookArticle as Records.

lxml's iterparse reads the XML as a stream, one article at a time, clearing what it has read,
so a batch never sits in memory as a tree (Entrez.read is ~6x slower and holds the whole
document). It reads bytes or a file and never touches the network.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import IO

from lxml import etree

from kapwatch.sources.eutils import ParseStats, Unreadable
from kapwatch.sources.records import Correction, Record
from kapwatch.store.dedupe import normalize_doi

log = logging.getLogger(__name__)

_Element = etree._Element

_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]+))?")  # "1998 Dec-1999 Jan", "2000 Spring"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


def parse_pubmed(data: bytes | IO[bytes], stats: ParseStats | None = None) -> Iterator[Record]:
    """Stream Records out of EFetch XML (PubmedArticle and PubmedBookArticle).

    An article whose fields cannot be read is skipped and noted in `stats`; XML that is not
    well-formed raises EutilsError (the fetch retries it).
    """
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    events = etree.iterparse(
        source,
        events=("end",),
        tag=("PubmedArticle", "PubmedBookArticle"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for _event, element in events:
            record = _extract(element, stats)
            _release(element)
            if record is not None:
                yield record
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"efetch.fcgi: unreadable PubMed XML ({exc})") from None


def _extract(element: _Element, stats: ParseStats | None) -> Record | None:
    try:
        record = _article(element) if element.tag == "PubmedArticle" else _book(element)
    except Exception as exc:  # one odd article must not cost the other 199 of its batch
        pmid = element.findtext(".//PMID") or "?"
        line = f"PMID {pmid}: {type(exc).__name__}: {exc}"
        log.warning("PubMed: skipped an article that could not be read: %s", line)
        if stats is not None:
            stats.skipped.append(" ".join(line.split()))
        return None
    if stats is not None:
        stats.articles += 1
    return record


def _release(element: _Element) -> None:
    """Free what has been read, so the document never grows in memory."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _text(element: _Element | None) -> str:
    """All text inside an element, inline markup (<i>, <sup>, MathML) included."""
    if element is None:
        return ""
    # Most elements (names, MeSH headings, dates) hold no markup: their .text is all of it.
    raw = "".join(str(t) for t in element.itertext()) if len(element) else element.text or ""
    return " ".join(raw.split())


def _texts(elements: list[_Element]) -> list[str]:
    """Non-empty texts, each once, in document order (keyword lists repeat themselves)."""
    return list(dict.fromkeys(t for t in (_text(e) for e in elements) if t))


def _abstract(parent: _Element, others: _Element) -> tuple[str, list[tuple[str, str]]]:
    """(text, labelled sections); English OtherAbstracts stand in when there is no Abstract.

    `others` holds the OtherAbstracts: MedlineCitation for an article (not Article, which
    holds the Abstract), the BookDocument itself for a book.
    """
    main = parent.find("Abstract")
    if main is not None:
        sources = [main]
    else:  # Language defaults to "eng" in the DTD, which we do not load
        sources = [o for o in others.findall("OtherAbstract") if o.get("Language", "eng") == "eng"]
    sections: list[tuple[str, str]] = []
    for source in sources:
        for part in source.findall("AbstractText"):
            label = part.get("Label") or part.get("NlmCategory") or ""
            text = _text(part)
            if text:
                sections.append((label, text))
    joined = " ".join(f"{label}: {text}" if label else text for label, text in sections)
    labelled = any(label for label, _ in sections)
    return joined, sections if labelled else []


def _authors(parent: _Element) -> list[str]:
    names = []
    for author_list in parent.findall("AuthorList"):
        if author_list.get("Type") == "editors":
            continue
        for author in author_list.findall("Author"):
            last = _text(author.find("LastName"))
            if last:
                first = _text(author.find("Initials")) or _text(author.find("ForeName"))
                names.append(f"{last} {first}".strip())
            elif collective := _text(author.find("CollectiveName")):
                names.append(collective)
    return names


def _month(raw: str | None) -> int | None:
    """'Jan', 'January', '01', 'Jan-Mar' -> 1; 'Spring' -> 3 (a season is a month too)."""
    raw = (raw or "").strip().lower()
    if not raw:
        return None
    if raw.isdigit():
        return int(raw) if 1 <= int(raw) <= 12 else None
    return _MONTHS.get(raw[:3]) or _SEASONS.get(raw.split("-")[0])


def _date(element: _Element | None) -> tuple[date | None, int | None]:
    """(date, year) from a PubDate or ArticleDate; month and day default to 1 when absent."""
    if element is None:
        return None, None
    year_text = (element.findtext("Year") or "").strip()
    month = _month(element.findtext("Month")) or _month(element.findtext("Season"))
    if not year_text:
        match = _MEDLINE_DATE.search(element.findtext("MedlineDate") or "")
        if match is None:
            return None, None
        year_text, month = match.group(1), _month(match.group(2))
    if not year_text.isdigit() or not 1 <= int(year_text) <= 9999:
        return None, None
    year = int(year_text)
    day_text = (element.findtext("Day") or "").strip()
    day = int(day_text) if day_text.isdigit() else 1
    for candidate in (day, 1):  # "Feb 30" happens; keep the month at least
        try:
            return date(year, month or 1, candidate), year
        except ValueError:
            continue
    return None, year


def _article_date(article: _Element) -> _Element | None:
    dates = article.findall("ArticleDate")
    electronic = [d for d in dates if d.get("DateType", "Electronic") == "Electronic"]
    chosen = electronic or dates
    return chosen[0] if chosen else None


def _ids(article_ids: _Element | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if article_ids is None:
        return found
    for item in article_ids.findall("ArticleId"):
        kind, value = item.get("IdType", ""), (item.text or "").strip()
        if value and kind not in found:
            found[kind] = value
    return found


def _doi(ids: dict[str, str], parent: _Element) -> str | None:
    doi = normalize_doi(ids.get("doi"))
    for location in parent.findall("ELocationID"):
        if doi is None and location.get("EIdType") == "doi":
            doi = normalize_doi(location.text)
    return doi


def _corrections(citation: _Element) -> list[Correction]:
    # "Cites" links are the article's reference list (dozens per record since NLM moved
    # references there), not editorial events; every other RefType is kept.
    return [
        Correction(
            kind=item.get("RefType", ""),
            ref=_text(item.find("RefSource")),
            pmid=(item.findtext("PMID") or "").strip() or None,
        )
        for item in citation.iterfind("CommentsCorrectionsList/CommentsCorrections")
        if item.get("RefType") != "Cites"
    ]


_REF_DOI = re.compile(r"doi:\s*(10\.\d{4,9}/\S+?)\.?(?:\s|$)", re.IGNORECASE)
# PubMed links a preprint and its journal version both ways: UpdateOf on the journal version
# (its RefSource cites the preprint, DOI included), UpdateIn on the preprint.
_VERSION_LINKS = {"UpdateOf": "has-preprint", "UpdateIn": "is-preprint-of"}


def _relations(corrections: list[Correction]) -> list[tuple[str, str]]:
    """Crossref-style version relations from UpdateOf/UpdateIn links that cite a DOI."""
    found = []
    for correction in corrections:
        kind = _VERSION_LINKS.get(correction.kind)
        cited = _REF_DOI.search(correction.ref) if kind else None
        doi = normalize_doi(cited.group(1)) if cited else None
        if kind and doi:
            found.append((kind, doi))
    return found


def _pages(article: _Element) -> str:
    pages = _text(article.find("Pagination/MedlinePgn"))
    if pages:
        return pages
    start, end = (
        _text(article.find("Pagination/StartPage")),
        _text(article.find("Pagination/EndPage")),
    )
    return f"{start}-{end}" if start and end else start


def _required(parent: _Element, path: str) -> _Element:
    found = parent.find(path)
    if found is None:
        raise ValueError(f"no <{path}>")
    return found


def _pmid(parent: _Element) -> str | None:
    return (parent.findtext("PMID") or "").strip() or None


def _url(pmid: str | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None


def _article(element: _Element) -> Record:
    citation = _required(element, "MedlineCitation")
    article = _required(citation, "Article")
    pmid = _pmid(citation)
    ids = _ids(element.find("PubmedData/ArticleIdList"))
    abstract, sections = _abstract(article, citation)
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    issue_date, year = _date(issue.find("PubDate") if issue is not None else None)
    electronic, _ = _date(_article_date(article))
    journal_title = ""
    if journal is not None:
        journal_title = _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
    return Record(
        source="pubmed",
        precedence=1,  # the full record: its columns win over a feed's
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        pmid=pmid,
        doi=_doi(ids, article),
        pmcid=ids.get("pmc"),
        abstract=abstract,
        sections=sections,
        authors=_authors(article),
        journal=journal_title or _text(citation.find("MedlineJournalInfo/MedlineTA")),
        journal_abbrev=_text(journal.find("ISOAbbreviation")) if journal is not None else "",
        volume=_text(issue.find("Volume")) if issue is not None else "",
        issue=_text(issue.find("Issue")) if issue is not None else "",
        pages=_pages(article),
        published=electronic or issue_date,
        # The citation year is the issue's; an online-first record without one uses its own.
        year=year or (electronic.year if electronic else None),
        pub_types=(pub_types := _texts(article.findall("PublicationTypeList/PublicationType"))),
        mesh=_texts(citation.findall("MeshHeadingList/MeshHeading/DescriptorName")),
        keywords=_texts(citation.findall("KeywordList/Keyword")),
        language=_text(article.find("Language")),
        url=_url(pmid),
        corrections=(corrections := _corrections(citation)),
        relations=_relations(corrections),
        is_preprint="preprint" in {t.lower() for t in pub_types},
    )


def _book(element: _Element) -> Record:
    document = _required(element, "BookDocument")
    pmid = _pmid(document)
    ids = _ids(document.find("ArticleIdList"))
    book = document.find("Book")
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    chapter = _text(document.find("ArticleTitle"))
    publisher = _text(book.find("Publisher/PublisherName")) if book is not None else ""
    abstract, sections = _abstract(document, document)
    published, year = _date(book.find("PubDate") if book is not None else None)
    authors = _authors(document) or (_authors(book) if book is not None else [])
    return Record(
        source="pubmed",
        precedence=1,  # the full record: its columns win over a feed's
        title=chapter or book_title,
        pmid=pmid,
        doi=_doi(ids, document),
        pmcid=ids.get("pmc"),
        abstract=abstract,
        sections=sections,
        authors=authors,
        # Where a reader would look it up: the book for a chapter, the publisher for a book.
        journal=(book_title if chapter else publisher) or publisher,
        published=published,
        year=year,
        pub_types=_texts(document.findall("PublicationType")),
        keywords=_texts(document.findall("KeywordList/Keyword")),
        language=_text(document.find("Language")),
        url=_url(pmid),
        corrections=_corrections(document),
        is_book=True,
    )
