"""The NCBI E-utilities client: one rate limit per process, a timeout on every call, retries
with backoff (kapwatch.sources.retry), and the api_key kept out of every message.

Who does what, and why:
- httpx carries every request: a configurable base URL, a timeout on each call, and our own
  backoff. Biopython's Entrez has a hard-coded host, no timeout and retries 429/5xx at once.
- Biopython (`Bio.Entrez.read`) reads the small ESearch replies: it checks them against its
  bundled DTD and raises on <ERROR>. It never touches the network here (see `_biopython_reads`).
- EFetch's PubMed XML is read as a stream by kapwatch.sources.pubmed_xml.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx
from lxml import etree

from kapwatch.settings import Settings, redact
from kapwatch.sources.base import SourceError
from kapwatch.sources.records import Record
from kapwatch.sources.retry import GaveUp, Retryable, retrying

log = logging.getLogger(__name__)

# NCBI's large-download examples fetch 500 at a time; bigger batches fail more often (a
# truncated body means refetching it all). 10.4k records: 21 EFetches (pymed: 42, at 250).
BATCH_SIZE = 500
MAX_HITS = 9_999  # the history server will not page EFetch past retstart 9,998
MAX_BYTES = 200_000_000  # a batch of 500 records is ~8 MB; far beyond that something is wrong

_T = TypeVar("_T")

_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]")
_DOCTYPE = re.compile(rb'<!DOCTYPE\s+\w+\s+PUBLIC\s+"[^"]*"\s+"([^"]+)"')
_PAGING_LIMIT = re.compile(r"cannot be larger than", re.IGNORECASE)
_HISTORY_GONE = re.compile(r"history|webenv|query_key|query #|unable to obtain", re.IGNORECASE)
_TRANSIENT = re.compile(r"backend|temporar|unavailable|timed? ?out|try again", re.IGNORECASE)


class EutilsError(SourceError):
    """PubMed could not be read. The message is one line and never carries the API key."""

    def __init__(self, message: str) -> None:
        # NCBI's <ERROR> texts and transport errors may span lines; a log line must not.
        super().__init__(" ".join(message.split()))


class HistoryGone(EutilsError):
    """The history server forgot our search (WebEnv expired): search again."""


class Unreadable(EutilsError, Retryable):
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

        def attempt() -> _T:
            LIMITER.wait(self.rate)
            self.requests += 1
            status, body = self._send(endpoint, params)
            self._check(endpoint, status, body)
            return read(body)

        try:
            return retrying(
                attempt,
                what=endpoint,
                attempts=self.max_attempts,
                backoff=self.backoff,
                clean=self._clean,
            )
        except GaveUp as exc:
            raise EutilsError(self._clean(f"{endpoint}: {exc}")) from None

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
        """Raise unless the reply is worth reading: Unreadable when another attempt may help."""
        if status == 429 or status >= 500:
            raise Unreadable(f"HTTP {status}")
        errors = _errors(body)
        if status >= 300:  # 4xx (and redirects): the request itself is wrong; retrying won't help
            detail = f": {'; '.join(errors)}" if errors else ""
            raise EutilsError(self._clean(f"{endpoint}: HTTP {status}{detail}"))
        head = body[:1024].lstrip().lower()
        if _HTML.search(head):
            raise Unreadable("an HTML page instead of XML")
        if head.startswith(b"{"):  # NCBI's rate-limit JSON, sometimes sent with 200
            raise Unreadable(
                "a JSON reply instead of XML: " + body[:200].decode("utf-8", "replace")
            )
        if errors:
            message = self._clean(f"{endpoint}: {'; '.join(errors)}")
            if _PAGING_LIMIT.search(message):
                raise EutilsError(message)
            if _HISTORY_GONE.search(message):
                raise HistoryGone(message)
            if _TRANSIENT.search(message):
                raise Unreadable(message)
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
    # Imported here: the parser raises this module's errors, so it imports this module.
    from kapwatch.sources.pubmed_xml import parse_pubmed

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
        raise Unreadable(f"esearch.fcgi: unreadable reply ({type(exc).__name__})") from None
    try:
        return SearchResult(
            count=int(reply.get("Count", 0)),
            webenv=str(reply.get("WebEnv", "")),
            query_key=str(reply.get("QueryKey", "")),
            ids=[str(i) for i in reply.get("IdList", [])],
            translation=str(reply.get("QueryTranslation", "")),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise Unreadable(f"esearch.fcgi: unexpected reply ({type(exc).__name__})") from None


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
        raise Unreadable(f"esearch.fcgi: unreadable reply ({exc})") from None
    if root.tag != "eSearchResult":
        raise Unreadable(f"esearch.fcgi: not an ESearch reply (<{root.tag}>)")
    errors = [_inner_text(e) for e in root.iterchildren("ERROR") if _inner_text(e)]
    if errors:
        raise EutilsError(f"esearch.fcgi: {'; '.join(errors)}")
    count = (root.findtext("Count") or "").strip()
    if not count.isdigit():
        raise Unreadable("esearch.fcgi: reply without a Count")
    return SearchResult(
        count=int(count),
        webenv=(root.findtext("WebEnv") or "").strip(),
        query_key=(root.findtext("QueryKey") or "").strip(),
        ids=[(i.text or "").strip() for i in root.iterfind("IdList/Id")],
        translation=_inner_text(root.find("QueryTranslation")),
    )


def _inner_text(element: etree._Element | None) -> str:
    """An element's text, inline markup included, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(str(t) for t in element.itertext()).split())
