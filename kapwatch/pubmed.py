"""PubMed through NCBI E-utilities: ESearch with the history server, then EFetch in batches.

Who does what, and why:
- httpx carries every request: a configurable base URL, a timeout on each call, and our own
  backoff. Biopython's Entrez has a hard-coded host, no timeout and retries 429/5xx at once.
- Biopython (`Bio.Entrez.read`) reads the small ESearch replies: it checks them against its
  bundled DTD and raises on <ERROR>. It never touches the network here.
- lxml's iterparse reads EFetch's PubMed XML as a stream, one article at a time, so a batch
  never sits in memory as a tree (Entrez.read is ~6x slower and holds the whole document).
"""

from __future__ import annotations

import io
import logging
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

import httpx
from Bio import Entrez
from lxml import etree

from kapwatch.dedupe import normalize_doi
from kapwatch.records import Correction, Record
from kapwatch.settings import Settings, redact

log = logging.getLogger(__name__)

# Entrez.read may cache DTDs it does not bundle; keep that out of the user's home.
Entrez.local_cache = tempfile.mkdtemp(prefix="kapwatch-entrez-")  # type: ignore[assignment]

BATCH_SIZE = 200  # NCBI asks for "a few hundred" records per EFetch
MAX_HITS = 9_999  # the history server will not page EFetch past retstart 9,998
MAX_BYTES = 200_000_000  # a batch of 200 records is ~5 MB; far beyond that something is wrong
_ERROR = re.compile(rb"<ERROR>\s*([^<]*?)\s*</ERROR>")
_HISTORY_GONE = re.compile(r"history|webenv|query_key|query #|unable to obtain", re.IGNORECASE)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


class EutilsError(Exception):
    """PubMed could not be read; one line, never carrying the API key."""


class HistoryGone(EutilsError):
    """The history server forgot our search (WebEnv expired): search again."""


class RateLimiter:
    """At most `rate` request starts per second across every thread of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, rate: float) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + 1.0 / rate
        if start > now:
            time.sleep(start - now)


LIMITER = RateLimiter()  # shared: NCBI counts requests per IP/key, not per client


@dataclass
class SearchResult:
    count: int
    webenv: str
    query_key: str
    ids: list[str] = field(default_factory=list)
    translation: str = ""


@dataclass
class ParseStats:
    articles: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per article that could not be read


class Eutils:
    def __init__(
        self,
        base_url: str,
        *,
        email: str = "",
        tool: str = "kapwatch",
        api_key: str = "",
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_bytes: int = MAX_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.email, self.tool, self.api_key = email, tool, api_key
        self.max_attempts, self.backoff, self.max_bytes = max_attempts, backoff, max_bytes
        self.rate = 10.0 if api_key else 3.0
        self.client = client or httpx.Client(timeout=timeout)
        self.requests = 0  # every HTTP request made, retries included

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Eutils:
        options: dict[str, Any] = {
            "email": settings.ncbi_email,
            "tool": settings.ncbi_tool,
            "api_key": settings.ncbi_api_key,
            "timeout": settings.http_timeout,
        }
        options.update(overrides)
        return cls(settings.eutils_url, **options)

    def close(self) -> None:
        self.client.close()

    # --- transport --------------------------------------------------------------------------

    def _params(self, params: dict[str, Any]) -> dict[str, str]:
        full = {"db": "pubmed", "tool": self.tool, **{k: str(v) for k, v in params.items()}}
        if self.email:
            full["email"] = self.email
        if self.api_key:
            full["api_key"] = self.api_key
        return full

    def _request(self, endpoint: str, params: dict[str, Any], closing: bytes) -> bytes:
        """One E-utility call with backoff; `closing` is the root's end tag (truncation check)."""
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            LIMITER.wait(self.rate)
            self.requests += 1
            try:
                status, body = self._send(endpoint, params)
            except httpx.TimeoutException:
                reason = "timed out"
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if status == 429 or status >= 500:
                    reason = f"HTTP {status}"
                elif status >= 400:
                    raise EutilsError(self._clean(f"{endpoint}: HTTP {status}"))
                else:
                    reason = self._problem(endpoint, body, closing)
                    if not reason:
                        return body
            if attempt < self.max_attempts:
                # Exponential backoff with jitter: NCBI's 429 carries no Retry-After.
                delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
                log.info("%s: %s; retrying in %.1f s", endpoint, self._clean(reason), delay)
                time.sleep(delay)
        raise EutilsError(
            self._clean(f"{endpoint}: {reason} (gave up after {self.max_attempts} attempts)")
        )

    def _send(self, endpoint: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """(status, body), reading at most max_bytes: a runaway response is refused, not held."""
        if endpoint == "efetch.fcgi":  # POST: long id lists and WebEnvs stay out of URLs
            request = self.client.build_request(
                "POST", self.base_url + endpoint, data=self._params(params)
            )
        else:
            request = self.client.build_request(
                "GET", self.base_url + endpoint, params=self._params(params)
            )
        response = self.client.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise EutilsError(
                        f"{endpoint}: response larger than {self.max_bytes} bytes; refused"
                    )
            return response.status_code, bytes(body)
        finally:
            response.close()

    def _problem(self, endpoint: str, body: bytes, closing: bytes) -> str:
        """Why a 200 body is unusable ('' when it is fine); raises for what retrying won't fix."""
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            return "an HTML page instead of XML"
        if head.startswith(b"{"):
            return "a JSON error instead of XML: " + body[:200].decode("utf-8", "replace")
        errors = [m.decode("utf-8", "replace") for m in _ERROR.findall(body) if m.strip()]
        if errors:
            message = "; ".join(errors)
            if _HISTORY_GONE.search(message):
                raise HistoryGone(self._clean(f"{endpoint}: {message}"))
            if "backend" not in message.lower():  # "Search Backend failed" passes; others won't
                raise EutilsError(self._clean(f"{endpoint}: {message}"))
            return message
        if closing not in body[-200:]:
            return "truncated response"
        return ""

    def _clean(self, text: str) -> str:
        return redact(text, (self.api_key,))

    # --- E-utilities ------------------------------------------------------------------------

    def esearch(
        self, term: str, mindate: date, maxdate: date, datetype: str = "edat", retmax: int = 0
    ) -> SearchResult:
        params = {
            "term": term,
            "datetype": datetype,
            "mindate": mindate.strftime("%Y/%m/%d"),
            "maxdate": maxdate.strftime("%Y/%m/%d"),
            "usehistory": "y",
            "retmax": retmax,
        }
        body = self._request("esearch.fcgi", params, b"</eSearchResult>")
        return parse_esearch(body)

    def fetch(
        self,
        search: SearchResult,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        stats: ParseStats | None = None,
    ) -> Iterator[Record]:
        """Every record of a search, through the history server, a batch per request."""
        for start in range(0, search.count, batch_size):
            params = {
                "query_key": search.query_key,
                "WebEnv": search.webenv,
                "retstart": start,
                "retmax": batch_size,
                "retmode": "xml",
                "rettype": "abstract",
            }
            body = self._request("efetch.fcgi", params, b"</PubmedArticleSet>")
            yield from parse_pubmed(body, stats)
            done = min(start + batch_size, search.count)
            log.info("PubMed: fetched %d of %d records", done, search.count)
            if progress is not None:
                progress(done, search.count)

    def fetch_ids(self, ids: list[str], batch_size: int = BATCH_SIZE) -> Iterator[Record]:
        for start in range(0, len(ids), batch_size):
            params = {
                "id": ",".join(ids[start : start + batch_size]),
                "retmode": "xml",
                "rettype": "abstract",
            }
            yield from parse_pubmed(self._request("efetch.fcgi", params, b"</PubmedArticleSet>"))


def parse_esearch(body: bytes) -> SearchResult:
    try:
        reply = Entrez.read(io.BytesIO(body))
    except RuntimeError as exc:  # Biopython's way of reporting an <ERROR> element
        raise EutilsError(f"esearch.fcgi: {exc}") from None
    except Exception as exc:  # a reply Biopython cannot read at all
        raise EutilsError(f"esearch.fcgi: unreadable reply ({type(exc).__name__})") from None
    return SearchResult(
        count=int(reply.get("Count", 0)),
        webenv=str(reply.get("WebEnv", "")),
        query_key=str(reply.get("QueryKey", "")),
        ids=[str(i) for i in reply.get("IdList", [])],
        translation=str(reply.get("QueryTranslation", "")),
    )


def search_window(
    settings: Settings,
    term: str,
    since: date,
    until: date,
    progress: Callable[[int, int], None] | None = None,
    client: Eutils | None = None,
) -> tuple[list[Record], list[SearchResult]]:
    """Records entered in PubMed between since and until (inclusive) that match the term.

    A window with more hits than the history server can page through is split in halves by
    date until each part fits, so a ten-year backfill needs no special handling.
    """
    eutils = client or Eutils.from_settings(settings)
    records: list[Record] = []
    searches: list[SearchResult] = []
    pending = [(since, until)]
    try:
        while pending:
            start, end = pending.pop(0)
            search = eutils.esearch(term, start, end)
            if search.count > MAX_HITS and start < end:
                middle = start + (end - start) // 2
                pending[:0] = [(start, middle), (middle + timedelta(days=1), end)]
                continue
            log.info(
                "PubMed: %d records entered %s to %s match the query", search.count, start, end
            )
            try:
                records.extend(eutils.fetch(search, progress=progress))
            except HistoryGone:
                log.info("PubMed history expired; searching again")
                search = eutils.esearch(term, start, end)
                records.extend(eutils.fetch(search, progress=progress))
            searches.append(search)
    finally:
        if client is None:
            eutils.close()
    return records, searches


# --- PubMed XML ---------------------------------------------------------------------------


def parse_pubmed(data: bytes | IO[bytes], stats: ParseStats | None = None) -> Iterator[Record]:
    """Stream Records out of EFetch XML (PubmedArticle and PubmedBookArticle)."""
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
    for _event, element in events:
        try:
            record = _article(element) if element.tag == "PubmedArticle" else _book(element)
        except (ValueError, TypeError, AttributeError) as exc:
            pmid = element.findtext(".//PMID") or "?"
            if stats is not None:
                stats.skipped.append(f"PMID {pmid}: {type(exc).__name__}: {exc}")
            record = None
        finally:
            # Free what has been read: the document never grows in memory.
            element.clear()
            while element.getprevious() is not None:
                parent = element.getparent()
                if parent is None:
                    break
                del parent[0]
        if record is not None:
            if stats is not None:
                stats.articles += 1
            yield record


def _text(element: Any) -> str:
    """All text inside an element, inline markup (<i>, <sup>, MathML) included."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _abstract(parent: Any) -> tuple[str, list[tuple[str, str]]]:
    abstract = parent.find("Abstract")
    if abstract is None:  # no main abstract: an English OtherAbstract will do
        others = [o for o in parent.findall("OtherAbstract") if o.get("Language", "eng") == "eng"]
        abstract = others[0] if others else None
    if abstract is None:
        return "", []
    sections = []
    for part in abstract.findall("AbstractText"):
        label = part.get("Label") or part.get("NlmCategory") or ""
        text = _text(part)
        if text:
            sections.append((label, text))
    labelled = any(label for label, _ in sections)
    joined = " ".join(f"{label}: {text}" if label else text for label, text in sections)
    return joined, sections if labelled else []


def _authors(parent: Any) -> list[str]:
    names = []
    for author_list in parent.findall("AuthorList"):
        if author_list.get("Type") == "editors":
            continue
        for author in author_list.findall("Author"):
            collective = _text(author.find("CollectiveName"))
            last = author.findtext("LastName")
            if last:
                first = author.findtext("Initials") or author.findtext("ForeName") or ""
                names.append(f"{last} {first}".strip())
            elif collective:
                names.append(collective)
    return names


def _month(raw: str | None) -> int | None:
    if not raw:
        return None
    raw = raw.strip().lower()
    if raw.isdigit():
        return int(raw) if 1 <= int(raw) <= 12 else None
    return _MONTHS.get(raw[:3])


def _date(element: Any) -> tuple[date | None, int | None]:
    """(best date, year) from a PubDate/ArticleDate/History element."""
    if element is None:
        return None, None
    year_text = element.findtext("Year")
    month = _month(element.findtext("Month"))
    if year_text is None:
        medline = element.findtext("MedlineDate") or ""  # e.g. "1998 Dec-1999 Jan"
        match = re.match(r"\s*(\d{4})\s*([A-Za-z]{3})?", medline)
        if not match:
            return None, None
        year_text, month = match.group(1), _month(match.group(2))
    year = int(year_text)
    season = (element.findtext("Season") or "").strip().lower()
    month = month or _SEASONS.get(season)
    day_text = element.findtext("Day")
    day = int(day_text) if day_text and day_text.isdigit() else 1
    try:
        return date(year, month or 1, day), year
    except ValueError:
        return date(year, month or 1, 1), year


def _ids(article_ids: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    if article_ids is None:
        return found
    for item in article_ids.findall("ArticleId"):
        kind, value = item.get("IdType", ""), (item.text or "").strip()
        if value and kind not in found:
            found[kind] = value
    return found


def _corrections(citation: Any) -> list[Correction]:
    result = []
    for item in citation.findall("CommentsCorrectionsList/CommentsCorrections"):
        result.append(
            Correction(
                kind=item.get("RefType", ""),
                ref=_text(item.find("RefSource")),
                pmid=(item.findtext("PMID") or "").strip() or None,
            )
        )
    return result


def _article(element: Any) -> Record:
    citation = element.find("MedlineCitation")
    article = citation.find("Article")
    pmid = (citation.findtext("PMID") or "").strip() or None
    ids = _ids(element.find("PubmedData/ArticleIdList"))
    doi = normalize_doi(ids.get("doi"))
    if doi is None:
        for location in article.findall("ELocationID"):
            if location.get("EIdType") == "doi":
                doi = normalize_doi(location.text)
                break
    abstract, sections = _abstract(article)
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    issue_date, year = _date(issue.find("PubDate") if issue is not None else None)
    electronic, _ = _date(article.find("ArticleDate"))
    pages = article.findtext("Pagination/MedlinePgn") or ""
    if not pages:
        start, end = (
            article.findtext("Pagination/StartPage"),
            article.findtext("Pagination/EndPage"),
        )
        pages = f"{start}-{end}" if start and end else start or ""
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    return Record(
        source="pubmed",
        title=title,
        pmid=pmid,
        doi=doi,
        pmcid=ids.get("pmc"),
        abstract=abstract,
        sections=sections,
        authors=_authors(article),
        journal=(
            _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
            if journal is not None
            else ""
        )
        or (citation.findtext("MedlineJournalInfo/MedlineTA") or ""),
        volume=(issue.findtext("Volume") or "") if issue is not None else "",
        issue=(issue.findtext("Issue") or "") if issue is not None else "",
        pages=pages,
        published=electronic or issue_date,
        year=year or (electronic.year if electronic else None),
        pub_types=[_text(t) for t in article.findall("PublicationTypeList/PublicationType")],
        mesh=[_text(d) for d in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")],
        keywords=[_text(k) for k in citation.findall("KeywordList/Keyword") if _text(k)],
        language=article.findtext("Language") or "",
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
        corrections=_corrections(citation),
    )


def _book(element: Any) -> Record:
    document = element.find("BookDocument")
    pmid = (document.findtext("PMID") or "").strip() or None
    ids = _ids(document.find("ArticleIdList"))
    book = document.find("Book")
    title = _text(document.find("ArticleTitle")) or _text(
        book.find("BookTitle") if book is not None else None
    )
    abstract, sections = _abstract(document)
    published, year = _date(book.find("PubDate") if book is not None else None)
    authors = _authors(document) or (_authors(book) if book is not None else [])
    publisher = _text(book.find("Publisher/PublisherName")) if book is not None else ""
    return Record(
        source="pubmed",
        title=title,
        pmid=pmid,
        doi=normalize_doi(ids.get("doi")),
        abstract=abstract,
        sections=sections,
        authors=authors,
        journal=publisher,
        published=published,
        year=year,
        pub_types=[_text(t) for t in document.findall("PublicationType")],
        keywords=[_text(k) for k in document.findall("KeywordList/Keyword") if _text(k)],
        language=document.findtext("Language") or "",
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
        is_book=True,
    )
