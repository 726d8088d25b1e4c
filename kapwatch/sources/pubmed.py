"""PubMed through NCBI E-utilities: ESearch with the history server, then EFetch in batches.

Who does what, and why:
- httpx carries every request: a configurable base URL, a timeout on each call, and our own
  backoff. Biopython's Entrez has a hard-coded host, no timeout and retries 429/5xx at once.
- Biopython (`Bio.Entrez.read`) reads the small ESearch replies: it checks them against its
  bundled DTD and raises on <ERROR>. It never touches the network here (see `_biopython_reads`).
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
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlparse

import httpx
from lxml import etree

from kapwatch.settings import Settings, redact
from kapwatch.sources.records import Correction, Record
from kapwatch.store.dedupe import normalize_doi

log = logging.getLogger(__name__)

# NCBI's large-download examples fetch 500 at a time; bigger batches fail more often (a
# truncated body means refetching it all). 10.4k records: 21 EFetches (pymed: 42, at 250).
BATCH_SIZE = 500
MAX_HITS = 9_999  # the history server will not page EFetch past retstart 9,998
MAX_BYTES = 200_000_000  # a batch of 500 records is ~8 MB; far beyond that something is wrong
MAX_DELAY = 60.0  # cap on one backoff pause, seconds

_T = TypeVar("_T")
_Element = etree._Element

_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]")
_DOCTYPE = re.compile(rb'<!DOCTYPE\s+\w+\s+PUBLIC\s+"[^"]*"\s+"([^"]+)"')
_PAGING_LIMIT = re.compile(r"cannot be larger than", re.IGNORECASE)
_HISTORY_GONE = re.compile(r"history|webenv|query_key|query #|unable to obtain", re.IGNORECASE)
_TRANSIENT = re.compile(r"backend|temporar|unavailable|timed? ?out|try again", re.IGNORECASE)
_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]+))?")  # "1998 Dec-1999 Jan", "2000 Spring"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}


class EutilsError(Exception):
    """PubMed could not be read. The message is one line and never carries the API key."""

    def __init__(self, message: str) -> None:
        # NCBI's <ERROR> texts and transport errors may span lines; a log line must not.
        super().__init__(" ".join(message.split()))


class HistoryGone(EutilsError):
    """The history server forgot our search (WebEnv expired): search again."""


class _Retryable(EutilsError):
    """A reply that another attempt may fix: 429/5xx, truncated or unreadable, a backend hiccup."""


class RateLimiter:
    """At most `rate` request starts per second across every thread of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, rate: float) -> None:
        # Reserve the next slot under the lock, sleep outside it: threads queue in order.
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            # A few per cent over the bare interval: requests arrive with jitter, and NCBI
            # counts arrivals in any one-second window (measured: 0.328 s gaps drew 429s).
            self._next = start + SPACING / rate
        if start > now:
            time.sleep(start - now)


SPACING = 1.04  # × the interval NCBI's rate allows
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

    def add(self, other: ParseStats) -> None:
        self.articles += other.articles
        self.skipped.extend(other.skipped)


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
        self.max_attempts, self.backoff, self.max_bytes = max(1, max_attempts), backoff, max_bytes
        self.rate = 10.0 if api_key else 3.0  # NCBI's published limits
        # No redirects: a redirected GET would carry the api_key to wherever it points.
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.requests = 0  # every HTTP request made, retries included
        self.stats = ParseStats()  # articles read and skipped over this client's life

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

    def __enter__(self) -> Eutils:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------

    def _params(self, params: dict[str, Any]) -> dict[str, str]:
        full = {"db": "pubmed", "tool": self.tool, **{k: str(v) for k, v in params.items()}}
        if self.email:
            full["email"] = self.email
        if self.api_key:
            full["api_key"] = self.api_key
        return full

    def _request(self, endpoint: str, params: dict[str, Any], read: Callable[[bytes], _T]) -> _T:
        """One E-utility call, read by `read`, with backoff over everything retrying may fix."""
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            LIMITER.wait(self.rate)
            self.requests += 1
            try:
                status, body = self._send(endpoint, params)
                self._check(endpoint, status, body)
                return read(body)
            except httpx.TimeoutException as exc:
                reason = f"timed out ({type(exc).__name__})"
            except httpx.RequestError as exc:  # refused, reset, cut off mid-body, bad gzip
                reason = f"{type(exc).__name__}: {exc}"
            except _Retryable as exc:
                reason = str(exc).removeprefix(f"{endpoint}: ")
            if attempt < self.max_attempts:
                # Exponential backoff with jitter: NCBI's 429 carries no Retry-After.
                delay = min(self.backoff * 2 ** (attempt - 1), MAX_DELAY)
                delay *= 1 + random.random() / 4
                log.info("%s: %s; retrying in %.2f s", endpoint, self._clean(reason), delay)
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

    def _check(self, endpoint: str, status: int, body: bytes) -> None:
        """Raise unless the reply is worth reading: _Retryable when another attempt may help."""
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}")
        errors = _errors(body)
        if status >= 300:  # 4xx (and redirects): the request itself is wrong; retrying won't help
            detail = f": {'; '.join(errors)}" if errors else ""
            raise EutilsError(self._clean(f"{endpoint}: HTTP {status}{detail}"))
        head = body[:1024].lstrip().lower()
        if _HTML.search(head):
            raise _Retryable("an HTML page instead of XML")
        if head.startswith(b"{"):  # NCBI's rate-limit JSON, sometimes sent with 200
            raise _Retryable(
                "a JSON reply instead of XML: " + body[:200].decode("utf-8", "replace")
            )
        if errors:
            message = self._clean(f"{endpoint}: {'; '.join(errors)}")
            if _PAGING_LIMIT.search(message):
                raise EutilsError(message)
            if _HISTORY_GONE.search(message):
                raise HistoryGone(message)
            if _TRANSIENT.search(message):
                raise _Retryable(message)
            raise EutilsError(message)

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
        return self._request("esearch.fcgi", params, parse_esearch)

    def search_ids(self, term: str, retmax: int = 20) -> SearchResult:
        """The first `retmax` PMIDs for a term, best match first (citation look-ups)."""
        params = {"term": term, "retmax": retmax, "sort": "relevance"}
        return self._request("esearch.fcgi", params, parse_esearch)

    def ecitmatch(self, lines: list[str]) -> dict[str, str]:
        """PMIDs for citations in ECitMatch's `journal|year|volume|page|author|key|` form,
        all in one request; keys NCBI cannot match are left out."""
        if not lines:
            return {}
        params = {"retmode": "xml", "bdata": "\r".join(lines)}
        return self._request("ecitmatch.cgi", params, parse_ecitmatch)

    def fetch(
        self,
        search: SearchResult,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        stats: ParseStats | None = None,
    ) -> Iterator[Record]:
        """Every record of a search, through the history server, a batch per request."""
        for _done, batch in self.fetch_batches(search, 0, batch_size, progress, stats):
            yield from batch

    def fetch_batches(
        self,
        search: SearchResult,
        start: int = 0,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        stats: ParseStats | None = None,
    ) -> Iterator[tuple[int, list[Record]]]:
        """(position reached, records) per EFetch from `start` on: a caller can resume there."""
        if search.count and not (search.webenv and search.query_key):
            raise EutilsError("efetch.fcgi: the search carries no WebEnv/query_key to fetch from")
        if search.count > MAX_HITS:
            raise EutilsError(
                f"efetch.fcgi: {search.count} hits; the history server pages through at most "
                f"{MAX_HITS}: narrow the query or the date window"
            )
        for offset in range(start, search.count, batch_size):
            params = {
                "query_key": search.query_key,
                "WebEnv": search.webenv,
                "retstart": offset,
                "retmax": batch_size,
                "retmode": "xml",
                "rettype": "abstract",
            }
            batch = self._efetch(params, stats)
            done = min(offset + batch_size, search.count)
            log.info("PubMed: fetched %d of %d records", done, search.count)
            if progress is not None:
                progress(done, search.count)
            yield done, batch

    def fetch_ids(
        self, ids: list[str], batch_size: int = BATCH_SIZE, stats: ParseStats | None = None
    ) -> Iterator[Record]:
        """Records by PMID, `batch_size` ids per request."""
        for start in range(0, len(ids), batch_size):
            params = {
                "id": ",".join(ids[start : start + batch_size]),
                "retmode": "xml",
                "rettype": "abstract",
            }
            yield from self._efetch(params, stats)

    def _efetch(self, params: dict[str, Any], stats: ParseStats | None) -> list[Record]:
        # The batch is read inside the retry loop, so a body that is cut short or malformed is
        # fetched again instead of surfacing as an lxml error halfway through a run.
        records, batch_stats = self._request("efetch.fcgi", params, _read_batch)
        self.stats.add(batch_stats)
        if stats is not None and stats is not self.stats:
            stats.add(batch_stats)
        return records


def _errors(body: bytes) -> list[str]:
    """Non-empty <ERROR> texts of a reply (an empty <ERROR/> is no error)."""
    found = (m.decode("utf-8", "replace") for m in _ERROR.findall(body[:65536]))
    return [" ".join(text.split()) for text in found if text.strip()]


def _read_batch(body: bytes) -> tuple[list[Record], ParseStats]:
    stats = ParseStats()
    return list(parse_pubmed(body, stats)), stats


# --- ESearch ------------------------------------------------------------------------------

_entrez_lock = threading.Lock()
_entrez_module: Any = None


def _entrez() -> Any:
    """Bio.Entrez, its DTD cache pointed at a private temp dir before first use."""
    global _entrez_module
    with _entrez_lock:
        if _entrez_module is None:
            from Bio import Entrez

            cache = tempfile.mkdtemp(prefix="kapwatch-entrez-")
            # Read once, when Bio.Entrez.Parser is first imported...
            Entrez.local_cache = cache  # type: ignore[assignment]
            from Bio.Entrez.Parser import DataHandler

            DataHandler.directory = cache  # ...so also set here, in case it already was
            _entrez_module = Entrez
    return _entrez_module


def _biopython_reads(body: bytes) -> bool:
    """Whether Entrez.read can read this reply offline, from the DTDs Biopython bundles.

    Measured on Biopython 1.88: it looks the DOCTYPE's DTD up by file name among its bundled
    DTDs and, failing that, downloads it with urllib and no timeout -- network I/O we must never
    do. It refuses an http:// DTD URL (older ESearch replies) with ValueError, and a reply with
    no XML declaration with NotXMLError. Such replies are read with lxml instead.
    """
    if not body.lstrip().startswith(b"<?xml"):
        return False
    match = _DOCTYPE.search(body[:2048])
    if match is None:
        return False
    url = urlparse(match.group(1).decode("ascii", "replace"))
    if url.scheme != "https" or not (url.hostname or "").endswith(".nlm.nih.gov"):
        return False
    _entrez()  # importing Bio.Entrez.Parser before that would create ~/.config/biopython
    from Bio.Entrez.Parser import DataHandler

    return (Path(DataHandler.global_dtd_dir) / Path(url.path).name).is_file()


def parse_esearch(body: bytes) -> SearchResult:
    """An ESearch reply; zero hits (ErrorList/PhraseNotFound) is a count of 0, not an error."""
    if not _biopython_reads(body):
        log.debug("esearch.fcgi: reply with an unbundled or missing DTD; reading it with lxml")
        return _esearch_lxml(body)
    entrez = _entrez()
    try:
        reply = entrez.read(io.BytesIO(body))
    except RuntimeError as exc:  # Biopython's way of reporting an <ERROR> element
        raise EutilsError(f"esearch.fcgi: {exc}") from None
    except Exception as exc:
        if type(exc).__name__ == "ValidationError":
            # An element newer than the bundled DTD: well-formed, just not in Biopython's list.
            log.warning("esearch.fcgi: %s; reading the reply with lxml", exc)
            return _esearch_lxml(body)
        raise _Retryable(f"esearch.fcgi: unreadable reply ({type(exc).__name__})") from None
    try:
        return SearchResult(
            count=int(reply.get("Count", 0)),
            webenv=str(reply.get("WebEnv", "")),
            query_key=str(reply.get("QueryKey", "")),
            ids=[str(i) for i in reply.get("IdList", [])],
            translation=str(reply.get("QueryTranslation", "")),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise _Retryable(f"esearch.fcgi: unexpected reply ({type(exc).__name__})") from None


def parse_ecitmatch(body: bytes) -> dict[str, str]:
    """key -> PMID from ECitMatch's reply lines (`...|key|PMID`; NOT_FOUND/AMBIGUOUS dropped)."""
    found = {}
    for line in body.decode("utf-8", "replace").splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 7 and parts[6].strip().isdigit():
            found[parts[5].strip()] = parts[6].strip()
    return found


def _esearch_lxml(body: bytes) -> SearchResult:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise _Retryable(f"esearch.fcgi: unreadable reply ({exc})") from None
    if root.tag != "eSearchResult":
        raise _Retryable(f"esearch.fcgi: not an ESearch reply (<{root.tag}>)")
    errors = [_text(e) for e in root.iterchildren("ERROR") if _text(e)]
    if errors:
        raise EutilsError(f"esearch.fcgi: {'; '.join(errors)}")
    count = (root.findtext("Count") or "").strip()
    if not count.isdigit():
        raise _Retryable("esearch.fcgi: reply without a Count")
    return SearchResult(
        count=int(count),
        webenv=(root.findtext("WebEnv") or "").strip(),
        query_key=(root.findtext("QueryKey") or "").strip(),
        ids=[(i.text or "").strip() for i in root.iterfind("IdList/Id")],
        translation=_text(root.find("QueryTranslation")),
    )


# --- one window, end to end ---------------------------------------------------------------


def window_batches(
    settings: Settings,
    term: str,
    since: date,
    until: date,
    progress: Callable[[int, int], None] | None = None,
    client: Eutils | None = None,
    searches: list[SearchResult] | None = None,
) -> Iterator[list[Record]]:
    """Records entered in PubMed between since and until (inclusive) that match the term, one
    EFetch batch at a time: a caller stores each batch and never holds the whole window.

    A window with more hits than the history server can page through is split in halves by
    date until each part fits, so a ten-year backfill needs no special handling. Each search
    actually fetched is appended to `searches`. If the history expires midway, the part is
    searched again and fetching resumes where it stopped (no batch is read twice).
    """
    eutils = client or Eutils.from_settings(settings)
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
            done = 0
            while True:
                try:
                    resume_at = done
                    for reached, batch in eutils.fetch_batches(
                        search, resume_at, progress=progress
                    ):
                        done = reached
                        yield batch
                    break
                except HistoryGone:
                    log.info("PubMed history expired after %d records; searching again", done)
                    search = eutils.esearch(term, start, end)
            if searches is not None:
                searches.append(search)
    finally:
        if client is None:
            eutils.close()


# Editorial notices, and what each says about the article it points to.
NOTICE_TYPES = (
    "Retracted Publication",
    "Retraction of Publication",
    "Published Erratum",
    "Expression of Concern",
)
NOTICE_TARGETS = {
    "RetractionOf": "retracted",
    "ErratumFor": "erratum",
    "ExpressionOfConcernFor": "expression_of_concern",
}


def editorial_news(eutils: Eutils, query: str, since: date, until: date) -> dict[str, set[str]]:
    """PMID -> editorial flags (retracted, erratum, expression_of_concern) for articles on the
    topic whose PubMed record changed in the window: one ESearch by modification date for
    retracted articles and for notices, then one EFetch of the few it finds. Its cost does
    not grow with the number of studies already sent."""
    types = " OR ".join(f'"{t}"[pt]' for t in NOTICE_TYPES)
    search = eutils.esearch(f"({query}) AND ({types})", since, until, datetype="mdat")
    flags: dict[str, set[str]] = {}
    for record in eutils.fetch(search):
        if record.pmid and "retracted" in record.flags:
            flags.setdefault(record.pmid, set()).add("retracted")
        for correction in record.corrections:
            flag = NOTICE_TARGETS.get(correction.kind)
            if flag and correction.pmid:
                flags.setdefault(correction.pmid, set()).add(flag)
    return flags


def search_window(
    settings: Settings,
    term: str,
    since: date,
    until: date,
    progress: Callable[[int, int], None] | None = None,
    client: Eutils | None = None,
) -> tuple[list[Record], list[SearchResult]]:
    """The whole window at once (small windows and tests): records, and the searches made."""
    searches: list[SearchResult] = []
    batches = window_batches(settings, term, since, until, progress, client, searches)
    records = [record for batch in batches for record in batch]
    return records, searches


# --- PubMed XML ---------------------------------------------------------------------------


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
        raise _Retryable(f"efetch.fcgi: unreadable PubMed XML ({exc})") from None


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
        pub_types=_texts(article.findall("PublicationTypeList/PublicationType")),
        mesh=_texts(citation.findall("MeshHeadingList/MeshHeading/DescriptorName")),
        keywords=_texts(citation.findall("KeywordList/Keyword")),
        language=_text(article.find("Language")),
        url=_url(pmid),
        corrections=_corrections(citation),
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
