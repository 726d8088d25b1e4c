"""A loopback stand-in for NCBI E-utilities and journal feeds, serving recorded PubMed records.

`kapwatch demo` runs the real pipeline against it; the tests and the benchmarks do too. It
answers as E-utilities documents:

- ESearch by date window (`mindate`/`maxdate` with `datetype` edat, pdat or mdat, or a range
  written in the term: `"2026/01/05"[edat] : "2026/01/11"[edat]`), restricted to the
  publication types the term names (`"..."[pt]`); without dates, a look-up by `[doi]`,
  `[pmid]`, `[ti]`, `[au]`, `[1au]`, `[dp]` clauses or words (best match first). `usehistory`
  keeps the hits on a history server (WebEnv/query_key) that, like PubMed's, pages through
  9,999 records at most; `retstart`/`retmax`; XML or `retmode=json`;
- EFetch through the history or by ids (comma-separated or repeated; GET or POST); unknown ids
  are left out; ECitMatch against the loaded records;
- feeds from a folder, with ETags.

`Limits` adds NCBI's pace for load tests: a sliding-window rate limit per client (the api_key,
else the IP address) answered with NCBI's 429, and a latency per call and per record returned.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from lxml import etree

from kapwatch.demo import query
from kapwatch.sources.pubmed_xml import parse_pubmed
from kapwatch.sources.records import Record

EFETCH_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
    '"-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
HISTORY_LIMIT = 9_999  # PubMed's history server and ESearch page through this many at most
RETMAX_LIMIT = 10_000
PAGING_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, "
    "ESearch can only retrieve the first 9,999 records matching the query."
)
XML, JSON, TEXT = "text/xml; charset=UTF-8", "application/json; charset=UTF-8", "text/plain"
# Date fields by their ESearch names and term tags: entrez, publication, modification date.
DATE_FIELDS = {"edat": "edat", "crdt": "edat", "mhda": "edat", "dp": "pdat", "pdat": "pdat"}
DATE_FIELDS |= {"mdat": "mdat", "lr": "mdat"}


@dataclass
class Article:
    pmid: str
    entrez: date | None
    xml: bytes
    listed: bool = True  # False: found by term, citation or id only, never by a date window
    modified: date | None = None  # DateRevised, else the entrez date (ESearch datetype=mdat)
    published: date | None = None  # the date (datetype=pdat)
    types: frozenset[str] = frozenset()  # publication types, lower case

    @classmethod
    def read(cls, element: Any, listed: bool = True) -> Article:
        entrez = _date(element.find(".//PubMedPubDate[@PubStatus='entrez']"))
        types = frozenset(t.text.lower() for t in element.iter("PublicationType") if t.text)
        return cls(
            element.findtext(".//PMID") or "",
            entrez,
            etree.tostring(element, with_tail=False),
            listed,
            modified=_date(element.find(".//DateRevised")) or entrez,
            published=_date(element.find(".//JournalIssue/PubDate")),
            types=types,
        )

    def date(self, kind: str) -> date | None:
        return {"edat": self.entrez, "mdat": self.modified}.get(kind, self.published)


@dataclass(frozen=True)
class Limits:
    """NCBI's rules and pace: `rate` requests in any `window` seconds per client (10 with an
    api_key), refused with HTTP 429; every call takes `latency` plus `per_record` a record."""

    rate: int = 3
    rate_with_key: int = 10
    window: float = 1.0
    latency: float = 0.150
    per_record: float = 20e-6
    refusal_latency: float = 0.010


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = XML
    headers: dict[str, str] = field(default_factory=dict)
    records: int = 0  # records or ids returned (the per-record latency counts them)
    delay: float = 0.0  # seconds from the request's arrival to the reply


@dataclass
class StandIn:
    """The records, feeds and history behind the server; tests change it between runs."""

    articles: list[Article] = field(default_factory=list)
    feeds_dir: Path | None = None
    replay: bool = False  # the demo: every record matches any window, whatever its entrez date
    limits: Limits | None = None
    requests: list[str] = field(default_factory=list)  # the path of every request, in order
    histories: dict[str, list[list[str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _by_pmid: dict[str, Article] = field(default_factory=dict)
    _records: dict[str, Record] = field(default_factory=dict)  # parsed on demand, for look-ups
    _windows: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_pmid.update((a.pmid, a) for a in self.articles)

    def add(self, article: Article) -> None:
        self.articles.append(article)
        self._by_pmid[article.pmid] = article
        self._records.pop(article.pmid, None)

    def load_pubmed(self, source: Path | bytes, listed: bool = True) -> int:
        """The records of an EFetch XML file (or body), read one at a time."""
        stream = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        parser = etree.iterparse(
            stream, tag="PubmedArticle", resolve_entities=False, no_network=True
        )
        count = 0
        for _event, element in parser:
            self.add(Article.read(element, listed))
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # one record in memory at a time
                del element.getparent()[0]
            count += 1
        return count

    def record(self, article: Article) -> Record:
        if article.pmid not in self._records:
            body = EFETCH_HEAD + article.xml + b"</PubmedArticleSet>"
            self._records[article.pmid] = next(iter(parse_pubmed(body)))
        return self._records[article.pmid]

    # --- serving -------------------------------------------------------------------------

    def answer(
        self, path: str, params: dict[str, str], headers: dict[str, str], client: str
    ) -> Reply:
        """A request's reply, the rate limit and latency included (the server waits `delay`)."""
        with self.lock:
            self.requests.append(path)
        limits = self.limits
        if limits is None or not path.startswith("/entrez/"):
            return self.respond(path, params, headers)
        key = params.get("api_key", "")
        limit = limits.rate_with_key if key else limits.rate
        in_window = self._admit(key or client, limit, limits.window)
        if in_window > limit:
            body = {"error": "API rate limit exceeded", "api-key": key or client}
            body |= {"count": str(in_window), "limit": str(limit)}
            text = json.dumps(body, separators=(",", ":")).encode()
            return Reply(429, text, "application/json", delay=limits.refusal_latency)
        reply = self.respond(path, params, headers)
        reply.delay = limits.latency + limits.per_record * reply.records
        return reply

    def _admit(self, client: str, limit: int, window: float) -> int:
        """Requests in the client's sliding window counting this one (refused ones do not stay)."""
        now = time.monotonic()
        with self.lock:
            starts = self._windows.setdefault(client, deque())
            while starts and starts[0] <= now - window:
                starts.popleft()
            if len(starts) < limit:
                starts.append(now)
                return len(starts)
            return len(starts) + 1

    def respond(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        if path.endswith("/esearch.fcgi"):
            return self.search(params)
        if path.endswith("/efetch.fcgi"):
            return self.fetch(params)
        if path.endswith("/ecitmatch.cgi"):
            return self.ecitmatch(params.get("bdata", ""))
        if path.startswith("/feeds/") and self.feeds_dir is not None:
            return self.feed(self.feeds_dir / Path(path).name, headers.get("If-None-Match"))
        return Reply(404, b"<html><body>Not found</body></html>", "text/html")

    def feed(self, file: Path, etag_seen: str | None) -> Reply:
        if not file.is_file():
            return Reply(404, b"<html><body>Not found</body></html>", "text/html")
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if etag_seen == etag:
            return Reply(304, b"", "application/xml", {"ETag": etag})
        kind = "text/html; charset=utf-8" if file.suffix == ".html" else "application/xml"
        if file.name.endswith("atom.xml"):
            kind = "application/atom+xml"
        return Reply(200, body, kind, {"ETag": etag})

    # --- ESearch ---------------------------------------------------------------------------

    def find(
        self, term: str, datetype: str, mindate: date | None, maxdate: date | None
    ) -> list[str]:
        """The PMIDs a search matches: by date window when it has one, else by look-up."""
        if mindate is None and maxdate is None:
            return self.term_search(term)
        kind = DATE_FIELDS.get(datetype.lower(), "pdat")
        low, high = mindate or date.min, maxdate or date.max
        if kind == "mdat":  # records changed in the window that match the term
            changed = [a for a in self.articles if low <= (a.date(kind) or date.min) <= high]
            return self.term_search(term, changed)
        types = {t.lower() for t in re.findall(r'"([^"]+)"\s*\[pt\]', term, re.IGNORECASE)}
        return [
            a.pmid
            for a in self.articles
            if (a.listed or kind == "mdat")
            and (not types or types & a.types)
            and ((self.replay and kind != "mdat") or low <= (a.date(kind) or date.min) <= high)
        ]

    def search(self, params: dict[str, str]) -> Reply:
        term, datetype, mindate, maxdate = _window(params)
        hits = self.find(term, datetype, mindate, maxdate)
        retstart = int(params.get("retstart") or 0)
        retmax = min(int(params.get("retmax") or 20), RETMAX_LIMIT)
        as_json = params.get("retmode", "").lower() == "json"
        if retstart > HISTORY_LIMIT - 1:
            if as_json:
                return Reply(
                    200, json.dumps({"esearchresult": {"ERROR": PAGING_ERROR}}).encode(), JSON
                )
            error = f"<eSearchResult><ERROR>{escape(PAGING_ERROR)}</ERROR></eSearchResult>\n"
            return Reply(200, (ESEARCH_HEAD + error).encode())
        shown = hits[retstart : min(retstart + retmax, HISTORY_LIMIT)]
        webenv, key = "", ""
        if params.get("usehistory", "").lower() == "y":
            with self.lock:
                webenv = params.get("WebEnv") or f"MCID_{uuid.uuid4().hex[:24]}"
                self.histories.setdefault(webenv, []).append(hits)
                key = str(len(self.histories[webenv]))
        if as_json:
            result: dict[str, Any] = {"count": str(len(hits)), "retmax": str(len(shown))}
            result |= {"retstart": str(retstart), "idlist": shown, "querytranslation": term}
            result |= {"querykey": key, "webenv": webenv} if webenv else {}
            body = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}
            return Reply(200, json.dumps(body).encode(), JSON, records=len(shown))
        ids = "".join(f"<Id>{p}</Id>" for p in shown)
        history = f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
        text = (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(hits)}</Count><RetMax>{len(shown)}"
            f"</RetMax><RetStart>{retstart}</RetStart>{history}<IdList>{ids}</IdList>"
            f"<TranslationSet/><QueryTranslation>{escape(term)}</QueryTranslation>"
            "</eSearchResult>\n"
        )
        return Reply(200, text.encode(), records=len(shown))

    def term_search(self, term: str, articles: list[Article] | None = None) -> list[str]:
        """Field-tagged words joined by AND, each clause possibly an OR group: [ti], [au],
        [1au], [dp] (a year or a range), [doi], [pmid], [pt], [mh], [tiab] (a phrase, a
        trailing * for any ending), or title and abstract words untagged; enough of PubMed's
        syntax for citation look-ups and the topic query. Best match first: the records that
        match most words of the OR groups."""
        clauses = [c.strip() for c in term.split(" AND ") if c.strip()]
        ranked = []
        for article in self.articles if articles is None else articles:
            score = query.score(self.record(article), clauses)
            if score:
                ranked.append((-score, article.pmid))
        return [pmid for _score, pmid in sorted(ranked)]

    # --- EFetch and ECitMatch --------------------------------------------------------------

    def fetch(self, params: dict[str, str]) -> Reply:
        if params.get("id"):
            wanted = [p.strip() for p in params["id"].split(",") if p.strip()]
        elif params.get("WebEnv"):
            searches = self.histories.get(params["WebEnv"], [])
            index = int(params.get("query_key") or 1) - 1
            if not 0 <= index < len(searches):
                return _fetch_error(f"Unable to obtain query #{index + 1}")
            start = int(params.get("retstart") or 0)
            if start > HISTORY_LIMIT - 1:
                return _fetch_error(f"Cannot retrieve history data. retstart: {start}")
            retmax = min(int(params.get("retmax") or 20), RETMAX_LIMIT)
            wanted = searches[index][start : min(start + retmax, HISTORY_LIMIT)]
        else:
            return _fetch_error("ID list is empty! Possibly it has no correct IDs.", 400)
        found = [self._by_pmid[p].xml for p in wanted if p in self._by_pmid]
        body = b"\n".join([EFETCH_HEAD, *found, b"</PubmedArticleSet>\n"])
        return Reply(200, body, records=len(found))

    def ecitmatch(self, bdata: str) -> Reply:
        """ECitMatch: `journal|year|volume|first page|author|key|` lines, the PMID appended."""
        lines = []
        for line in bdata.replace("%0D", "\r").replace("\n", "\r").split("\r"):
            parts = line.split("|")
            if len(parts) < 6:
                continue
            journal, year, volume, page, author, key = (p.strip() for p in parts[:6])
            found = [
                a.pmid
                for a in self.articles
                if query.cites(self.record(a), journal, year, volume, page, author)
            ]
            answer = found[0] if len(found) == 1 else "AMBIGUOUS" if found else "NOT_FOUND"
            lines.append(f"{journal}|{year}|{volume}|{page}|{author}|{key}|{answer}")
        return Reply(200, ("\n".join(lines) + "\n").encode(), TEXT, records=len(lines))


_RANGE = re.compile(
    r'\(?\s*"?(\d{4}(?:/\d{1,2}){0,2})"?\s*\[([\w -]+)\]\s*:\s*'
    r'"?(\d{4}(?:/\d{1,2}){0,2})"?\s*\[[\w -]+\]\s*\)?'
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}


def _window(params: dict[str, str]) -> tuple[str, str, date | None, date | None]:
    """(term, datetype, first day, last day): from the parameters or a range in the term."""
    term, datetype = params.get("term", ""), params.get("datetype", "pdat")
    first, last = params.get("mindate"), params.get("maxdate")
    ranged = _RANGE.search(term)
    if ranged is not None:
        first, datetype, last = ranged.group(1), ranged.group(2).strip(), ranged.group(3)
        term = (term[: ranged.start()] + term[ranged.end() :]).strip()
    return term, datetype, _parse_date(first), _parse_date(last, end=True)


def _parse_date(raw: str | None, end: bool = False) -> date | None:
    """A date in E-utilities' YYYY[/MM[/DD]] form; `end`: the last day a partial date covers."""
    if not raw:
        return None
    parts = [int(p) for p in re.split(r"[/-]", raw.strip()) if p]
    if len(parts) == 3:
        return date(*parts)
    if not end:
        return date(parts[0], parts[1] if len(parts) > 1 else 1, 1)
    if len(parts) == 1 or parts[1] == 12:
        return date(parts[0], 12, 31)
    return date.fromordinal(date(parts[0], parts[1] + 1, 1).toordinal() - 1)


def _date(element: Any) -> date | None:
    """A PubMed date element (Year, Month as a number or a name, Day), or None."""
    if element is None or not (element.findtext("Year") or "").isdigit():
        return None
    month = (element.findtext("Month") or "1").strip()
    number = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower(), 1)
    return date(int(element.findtext("Year")), number, int(element.findtext("Day") or 1))


def _fetch_error(message: str, status: int = 200) -> Reply:
    return Reply(
        status, f"<eFetchResult><ERROR>{escape(message)}</ERROR></eFetchResult>\n".encode()
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as NCBI serves

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the demo prints its own progress

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self._answer(url.path, parse_qs(url.query, keep_blank_values=True))

    def do_POST(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        for key, values in parse_qs(self.rfile.read(length).decode(), True).items():
            query.setdefault(key, []).extend(values)
        self._answer(url.path, query)

    def _answer(self, path: str, query: dict[str, list[str]]) -> None:
        arrived = time.monotonic()
        params = {k: v[-1] for k, v in query.items() if v}
        if len(query.get("id", [])) > 1:  # repeated ids (id=1&id=2) are one list
            params["id"] = ",".join(query["id"])
        headers = {k: v for k, v in self.headers.items()}
        reply = self.server.data.answer(path, params, headers, self.client_address[0])
        wait = arrived + reply.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, data: StandIn, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.data = data


class Running:
    """A started stand-in: `url` is its root; use as a context manager to stop it."""

    def __init__(self, data: StandIn, port: int = 0) -> None:
        self.data = data
        self._server = _Server(data, port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def eutils_url(self) -> str:
        return f"{self.url}/entrez/eutils/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve(data: StandIn, port: int = 0) -> Running:
    return Running(data, port)
