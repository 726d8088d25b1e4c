"""A loopback NCBI E-utilities stand-in for benchmarks: realistic latency, NCBI's rate limit.

kapwatch.standin serves the demo and the tests; this one is built for load. It serves PubMed
EFetch XML files (bench/generate.py writes them) from memory maps, indexed by PMID and by entrez
and publication date, and behaves as NCBI documents and as we have seen it behave:

- latency: every call takes `latency` (150 ms) plus `per_record` (20 µs) per record or id it
  returns, measured from the request's arrival (the server's own work counts toward it);
- rate limit: at most 3 requests in any sliding 1-second window per client (10 with an
  api_key), the client being the api_key or else the IP address; beyond it HTTP 429 with NCBI's
  JSON body {"error":"API rate limit exceeded","api-key":"<key or IP>","count":"4","limit":"3"}
  and no Retry-After. Refused requests do not count toward the window (`--count-refused` makes
  them count, which punishes a client that retries at once);
- ESearch: term, mindate/maxdate/datetype (edat, pdat, crdt, mdat) or date ranges written in the
  term ("2026/01/05"[edat] : "2026/01/11"[edat], [crdt], [dp]), "Retracted Publication"[pt]
  filters (OR-ed publication types), usehistory (WebEnv/query_key),
  retstart/retmax (retmax at most 10,000; retstart past 9,998 is NCBI's paging error), XML or
  retmode=json (pymed reads JSON). A term without any date is a look-up by [doi], [pmid], [uid],
  [1au], [au], [ti] and [dp] clauses joined by AND; a term with none of those matches every
  listed record (the files hold what the subject query matches);
- EFetch: by WebEnv/query_key with retstart/retmax (the history pages through 9,999 records at
  most, as PubMed's does), or by id list (comma-separated or repeated id parameters; GET or
  POST); ids it does not hold are left out, as NCBI does;
- ECitMatch: journal|year|volume|first page|author|key| lines against the loaded records.

Counters (requests per endpoint, 429s, records returned, bytes, arrival times, the searches
made) are read and reset at /_bench/stats and /_bench/reset.

    .venv/bin/python -m bench.eutils --load bench/.cache/data/weekly-*.xml     # prints READY <url>
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import re
import signal
import subprocess
import sys
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

import httpx

from bench.generate import EFETCH_HEAD, EFETCH_TAIL

ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
    '"-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_ERROR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch '
    '20131226//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)
PAGING_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, "
    "ESearch can only retrieve the first 9,999 records matching the query. To obtain more than "
    "9,999 PubMed records, consider using EDirect that contains additional logic to batch PubMed "
    "search results automatically so that an arbitrary number can be retrieved. For details see "
    "https://www.ncbi.nlm.nih.gov/books/NBK25499/"
)
HISTORY_LIMIT = 9_999  # PubMed's history server and ESearch page through this many at most
RETMAX_LIMIT = 10_000

_ARTICLE = re.compile(rb"<PubmedArticle>")
_END = b"</PubmedArticle>"
_PMID = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")
_ENTREZ = re.compile(
    rb'PubStatus="entrez">\s*<Year>(\d{4})</Year>\s*<Month>(\d{1,2})</Month>\s*<Day>(\d{1,2})</Day>'
)
_REVISED = re.compile(
    rb"<DateRevised>\s*<Year>(\d{4})</Year>\s*<Month>(\d{1,2})</Month>\s*<Day>(\d{1,2})</Day>"
)
_PUBTYPE = re.compile(rb"<PublicationType[^>]*>([^<]+)</PublicationType>")
_PT_CLAUSE = re.compile(r'"([^"]+)"\s*\[pt\]', re.IGNORECASE)
_PUBDATE = re.compile(rb"<PubDate>\s*<Year>(\d{4})</Year>(?:\s*<Month>(\w+)</Month>)?")
_TITLE = re.compile(rb"<ArticleTitle>(.*?)</ArticleTitle>", re.DOTALL)
_DOI = re.compile(rb'<ArticleId IdType="doi">([^<]+)</ArticleId>')
_ISO = re.compile(rb"<ISOAbbreviation>([^<]+)</ISOAbbreviation>")
_VOLUME = re.compile(rb"<Volume>([^<]+)</Volume>")
_PAGE = re.compile(rb"<MedlinePgn>([^<-]+)")
_LASTNAME = re.compile(rb"<LastName>([^<]+)</LastName>")
_TAGS = re.compile(r"<[^>]+>")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE_TAGS = {
    "edat": "edat",
    "crdt": "edat",
    "date - create": "edat",
    "date - entrez": "edat",
    "mhda": "edat",
    "mdat": "mdat",
    "lr": "mdat",
    "dp": "pdat",
    "pdat": "pdat",
    "date - publication": "pdat",
}
_RANGE = re.compile(
    r'\(?\s*"?(\d{4}(?:/\d{1,2}(?:/\d{1,2})?)?)"?\s*\[([\w -]+)\]\s*:\s*'
    r'"?(\d{4}(?:/\d{1,2}(?:/\d{1,2})?)?)"?\s*\[([\w -]+)\]\s*\)?'
)
_CLAUSE = re.compile(r'^\(?\s*"?(?P<value>[^"\[]+?)"?\s*\[(?P<tag>[\w -]+)\]\s*\)?$')
_LOOKUP_TAGS = {"doi", "aid", "pmid", "uid", "1au", "au", "ti", "dp"}


@dataclass(slots=True)
class Entry:
    """One record held by the stand-in: where its XML is, and what searches need of it."""

    pmid: str
    data: mmap.mmap
    start: int
    end: int
    edat: int  # date ordinal
    pdat: int  # date ordinal (first of the month when the day is not given)
    mdat: int  # date ordinal of DateRevised (the entrez date when absent)
    types: frozenset[str]  # publication types, lower case
    listed: bool  # False: only fetchable by id (e.g. the 1M store's old records)

    @property
    def xml(self) -> bytes:
        return self.data[self.start : self.end]

    def field(self, pattern: re.Pattern[bytes]) -> str:
        match = pattern.search(self.data, self.start, self.end)
        return match.group(1).decode("utf-8", "replace") if match else ""


@dataclass
class Limits:
    latency: float = 0.150  # seconds per call
    per_record: float = 20e-6  # seconds per record or id returned
    rate: int = 3  # requests per window without an api_key
    rate_with_key: int = 10
    window: float = 1.0
    count_refused: bool = False
    refusal_latency: float = 0.010  # a 429 comes back fast


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    requests: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    records: int = 0
    bytes_out: int = 0
    arrivals: list[float] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:], strict=False)]
        return {
            "requests": sum(self.requests.values()),
            "by_endpoint": dict(self.requests),
            "refused_429": self.refused,
            "records_returned": self.records,
            "bytes_out": self.bytes_out,
            "first_arrival": self.arrivals[0] if self.arrivals else None,
            "last_arrival": self.arrivals[-1] if self.arrivals else None,
            "min_gap": min(gaps) if gaps else None,
            "searches": self.searches,
        }


class Corpus:
    """The records served, from memory-mapped EFetch XML files (never parsed as a whole)."""

    def __init__(self) -> None:
        self.by_pmid: dict[str, Entry] = {}
        self.listed: list[Entry] = []  # newest first, as PubMed sorts by default
        self._maps: list[mmap.mmap] = []

    def load(self, path: Path, listed: bool = True) -> int:
        with path.open("rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps.append(data)
        count = 0
        for match in _ARTICLE.finditer(data):
            start = match.start()
            end = data.find(_END, start) + len(_END)
            pmid_match = _PMID.search(data, start, end)
            if pmid_match is None:
                continue
            pmid = pmid_match.group(1).decode()
            entrez = _ENTREZ.search(data, start, end)
            edat = date(*(int(g) for g in entrez.groups())).toordinal() if entrez else 0
            pub = _PUBDATE.search(data, start, end)
            pdat = edat
            if pub is not None:
                month = _MONTHS.get((pub.group(2) or b"jan").decode()[:3].lower(), 1)
                pdat = date(int(pub.group(1)), month, 1).toordinal()
            revised = _REVISED.search(data, start, end)
            mdat = date(*(int(g) for g in revised.groups())).toordinal() if revised else edat
            types = frozenset(t.decode().lower() for t in _PUBTYPE.findall(data, start, end))
            entry = Entry(pmid, data, start, end, edat, pdat, mdat, types, listed)
            self.by_pmid[pmid] = entry
            if listed:
                self.listed.append(entry)
            count += 1
        self.listed.sort(key=lambda e: (e.edat, int(e.pmid)), reverse=True)
        return count

    def window(
        self, datetype: str, mindate: date | None, maxdate: date | None, types: set[str]
    ) -> list[str]:
        """Listed records in the date window (entrez, publication or modification date),
        restricted to publication types when the term names some ([pt])."""
        low = mindate.toordinal() if mindate else 0
        high = maxdate.toordinal() if maxdate else 10**7
        kind = _DATE_TAGS.get(datetype.lower(), "pdat")
        return [
            e.pmid
            for e in self.listed
            if low <= (e.edat if kind == "edat" else e.mdat if kind == "mdat" else e.pdat) <= high
            and (not types or types & e.types)
        ]

    def lookup(self, clauses: list[tuple[str, str]]) -> list[str]:
        """Records matching every field-tagged clause (citation look-ups)."""
        hits = []
        for entry in self.by_pmid.values():
            if all(_matches(entry, tag, value) for tag, value in clauses):
                hits.append(entry.pmid)
        return hits

    def citmatch(self, journal: str, year: str, volume: str, page: str, author: str) -> list[str]:
        found = []
        for entry in self.by_pmid.values():
            if (
                entry.field(_ISO).lower() == journal.lower()
                and date.fromordinal(entry.pdat).year == int(year or 0)
                and entry.field(_VOLUME) == volume
                and entry.field(_PAGE).strip() == page
                and entry.field(_LASTNAME).lower().startswith(author.split()[0].lower())
            ):
                found.append(entry.pmid)
        return found


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", _TAGS.sub(" ", text).lower()))


def _matches(entry: Entry, tag: str, value: str) -> bool:
    if tag in ("doi", "aid"):
        return entry.field(_DOI).lower() == value.lower()
    if tag in ("pmid", "uid"):
        return entry.pmid == value
    if tag in ("1au", "au"):
        names = [m.decode().lower() for m in _LASTNAME.findall(entry.data, entry.start, entry.end)]
        names = names[:1] if tag == "1au" else names
        return any(n.startswith(value.split()[0].lower()) for n in names if value.split())
    if tag == "dp":
        return str(date.fromordinal(entry.pdat).year) == value
    if tag == "ti":
        return _words(value) <= _words(entry.field(_TITLE))
    return True


def _parse_date(raw: str | None) -> date | None:
    if not raw:
        return None
    parts = [int(p) for p in re.split(r"[/-]", raw.strip()) if p]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _end_of(raw: str) -> date:
    """The last day a partial date covers: 2025 -> 2025-12-31, 2025/02 -> 2025-02-28."""
    parts = [int(p) for p in re.split(r"[/-]", raw.strip()) if p]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return date(parts[0], 12, 31)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, corpus: Corpus, limits: Limits, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.corpus, self.limits = corpus, limits
        self.lock = threading.Lock()
        self.stats = Stats()
        self.windows: dict[str, deque[float]] = {}
        self.histories: dict[str, list[list[str]]] = {}

    # --- the rate limit ------------------------------------------------------------------

    def admit(self, client: str, limit: int, arrived: float) -> tuple[bool, int]:
        """(allowed, requests in the window counting this one), NCBI-style sliding window."""
        with self.lock:
            window = self.windows.setdefault(client, deque())
            while window and window[0] <= arrived - self.limits.window:
                window.popleft()
            allowed = len(window) < limit
            if allowed or self.limits.count_refused:
                window.append(arrived)
            return allowed, len(window) + (0 if allowed or self.limits.count_refused else 1)

    def count(self, endpoint: str, arrived: float, refused: bool) -> None:
        with self.lock:
            self.stats.requests[endpoint] = self.stats.requests.get(endpoint, 0) + 1
            self.stats.arrivals.append(round(arrived - self.stats.started, 6))
            if refused:
                self.stats.refused += 1

    def sent(self, records: int, size: int) -> None:
        with self.lock:
            self.stats.records += records
            self.stats.bytes_out += size

    # --- E-utilities ---------------------------------------------------------------------

    def esearch(self, params: dict[str, str]) -> tuple[int, bytes, str, int]:
        term = params.get("term", "")
        datetype = params.get("datetype", "pdat")
        mindate, maxdate = _parse_date(params.get("mindate")), _parse_date(params.get("maxdate"))
        if params.get("maxdate"):
            maxdate = _end_of(params["maxdate"])
        ranged = _RANGE.search(term)
        if ranged is not None:
            datetype = ranged.group(2).strip()
            mindate, maxdate = _parse_date(ranged.group(1)), _end_of(ranged.group(3))
            term = (term[: ranged.start()] + term[ranged.end() :]).strip()
        if mindate is not None or maxdate is not None:
            types = {t.lower() for t in _PT_CLAUSE.findall(term)}
            hits = self.corpus.window(datetype, mindate, maxdate, types)
        else:
            clauses = []
            for part in re.split(r"\s+AND\s+", term):
                match = _CLAUSE.match(part.strip())
                if match and match["tag"].strip().lower() in _LOOKUP_TAGS:
                    clauses.append((match["tag"].strip().lower(), match["value"].strip()))
            hits = self.corpus.lookup(clauses) if clauses else [e.pmid for e in self.corpus.listed]
        retstart = int(params.get("retstart") or 0)
        retmax = min(int(params.get("retmax") or 20), RETMAX_LIMIT)
        json_mode = params.get("retmode", "xml").lower() == "json"
        with self.lock:
            self.stats.searches.append(
                {
                    "mindate": mindate.isoformat() if mindate else None,
                    "maxdate": maxdate.isoformat() if maxdate else None,
                    "datetype": datetype,
                    "count": len(hits),
                    "retstart": retstart,
                    "retmax": retmax,
                }
            )
        if retstart > HISTORY_LIMIT - 1:
            if json_mode:
                data = json.dumps({"esearchresult": {"ERROR": PAGING_ERROR}}).encode()
                return 200, data, "application/json; charset=UTF-8", 0
            error = f"{ESEARCH_HEAD}<eSearchResult><ERROR>{escape(PAGING_ERROR)}</ERROR></eSearchResult>\n"
            return 200, error.encode(), "text/xml; charset=UTF-8", 0
        shown = hits[retstart : min(retstart + retmax, HISTORY_LIMIT)]
        webenv, query_key = "", ""
        if params.get("usehistory", "").lower() == "y":
            with self.lock:
                webenv = params.get("WebEnv") or f"MCID_{uuid.uuid4().hex[:24]}"
                keys = self.histories.setdefault(webenv, [])
                keys.append(hits)
                query_key = str(len(keys))
        if json_mode:
            result: dict[str, Any] = {
                "count": str(len(hits)),
                "retmax": str(len(shown)),
                "retstart": str(retstart),
                "idlist": shown,
                "translationset": [],
                "querytranslation": term,
            }
            if webenv:
                result.update(querykey=query_key, webenv=webenv)
            reply = json.dumps(
                {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}
            )
            return 200, reply.encode(), "application/json; charset=UTF-8", len(shown)
        ids = "".join(f"<Id>{p}</Id>" for p in shown)
        history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
        text = (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(hits)}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{history}<IdList>{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(term)}</QueryTranslation></eSearchResult>\n"
        )
        return 200, text.encode(), "text/xml; charset=UTF-8", len(shown)

    def efetch(self, params: dict[str, str]) -> tuple[int, bytes, str, int]:
        if params.get("id"):
            wanted = [p.strip() for p in params["id"].split(",") if p.strip()]
        elif params.get("WebEnv"):
            keys = self.histories.get(params["WebEnv"])
            index = int(params.get("query_key") or 1) - 1
            if keys is None or not 0 <= index < len(keys):
                body = f"{EFETCH_ERROR_HEAD}<eFetchResult><ERROR>Unable to obtain query #{index + 1}</ERROR></eFetchResult>\n"
                return 200, body.encode(), "text/xml; charset=UTF-8", 0
            retstart = int(params.get("retstart") or 0)
            retmax = min(int(params.get("retmax") or 20), RETMAX_LIMIT)
            if retstart > HISTORY_LIMIT - 1:
                body = (
                    f"{EFETCH_ERROR_HEAD}<eFetchResult><ERROR>Cannot retrieve history data. query_key: "
                    f"{index + 1}, WebEnv: {params['WebEnv']}, retstart: {retstart}, retmax: {retmax}</ERROR>"
                    "<ERROR>Can't fetch uids from history because of: NCBI C++ Exception: Error: "
                    'UNK_MODULE(CException::eInvalid) "retstart" out of range</ERROR></eFetchResult>\n'
                )
                return 200, body.encode(), "text/xml; charset=UTF-8", 0
            wanted = keys[index][retstart : min(retstart + retmax, HISTORY_LIMIT)]
        else:
            body = f"{EFETCH_ERROR_HEAD}<eFetchResult><ERROR>ID list is empty! Possibly it has no correct IDs.</ERROR></eFetchResult>\n"
            return 400, body.encode(), "text/xml; charset=UTF-8", 0
        entries = [e for e in (self.corpus.by_pmid.get(p) for p in wanted) if e is not None]
        parts = [EFETCH_HEAD.encode()]
        for entry in entries:
            parts += (entry.xml, b"\n")
        parts.append(EFETCH_TAIL.encode())
        return 200, b"".join(parts), "text/xml; charset=UTF-8", len(entries)

    def ecitmatch(self, params: dict[str, str]) -> tuple[int, bytes, str, int]:
        lines = []
        for line in params.get("bdata", "").replace("%0D", "\r").replace("\n", "\r").split("\r"):
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 6:
                continue
            journal, year, volume, page, author, key = parts[:6]
            found = self.corpus.citmatch(journal, year, volume, page, author) if author else []
            answer = found[0] if len(found) == 1 else "AMBIGUOUS" if found else "NOT_FOUND"
            lines.append(f"{journal}|{year}|{volume}|{page}|{author}|{key}|{answer}")
        return 200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=UTF-8", len(lines)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"  # keep-alive, as NCBI serves

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        arrived = time.monotonic()
        url = urlparse(self.path)
        self._answer(url.path, _params(parse_qs(url.query, keep_blank_values=True)), arrived)

    def do_POST(self) -> None:
        arrived = time.monotonic()
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(url.query, keep_blank_values=True)
        for key, values in parse_qs(
            self.rfile.read(length).decode(), keep_blank_values=True
        ).items():
            form.setdefault(key, []).extend(values)
        self._answer(url.path, _params(form), arrived)

    def _answer(self, path: str, params: dict[str, str], arrived: float) -> None:
        server = self.server
        if path.startswith("/_bench/"):
            self._control(path)
            return
        endpoint = path.rsplit("/", 1)[-1]
        key = params.get("api_key", "")
        client = key or self.client_address[0]
        limit = server.limits.rate_with_key if key else server.limits.rate
        allowed, in_window = server.admit(client, limit, arrived)
        server.count(endpoint, arrived, refused=not allowed)
        if not allowed:
            body = json.dumps(
                {
                    "error": "API rate limit exceeded",
                    "api-key": client,
                    "count": str(in_window),
                    "limit": str(limit),
                },
                separators=(",", ":"),
            ).encode()
            self._reply(429, body, "application/json", arrived + server.limits.refusal_latency)
            return
        if endpoint == "esearch.fcgi":
            status, body, kind, records = server.esearch(params)
        elif endpoint == "efetch.fcgi":
            status, body, kind, records = server.efetch(params)
        elif endpoint == "ecitmatch.cgi":
            status, body, kind, records = server.ecitmatch(params)
        else:
            status, body, kind, records = (
                404,
                b"<html><body>Not found</body></html>",
                "text/html",
                0,
            )
        server.sent(records, len(body))
        due = arrived + server.limits.latency + server.limits.per_record * records
        self._reply(status, body, kind, due)

    def _control(self, path: str) -> None:
        server = self.server
        if path == "/_bench/reset":
            with server.lock:
                server.stats = Stats()
            self._reply(200, b"{}", "application/json", 0)
        elif path == "/_bench/stats":
            with server.lock:
                body = json.dumps(server.stats.as_json()).encode()
            self._reply(200, body, "application/json", 0)
        else:
            self._reply(404, b"{}", "application/json", 0)

    def _reply(self, status: int, body: bytes, kind: str, due: float) -> None:
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _params(query: dict[str, list[str]]) -> dict[str, str]:
    """Last value wins, except id: repeated ids (pymed sends id=1&id=2) are one list."""
    params = {k: v[-1] for k, v in query.items() if v}
    if len(query.get("id", [])) > 1:
        params["id"] = ",".join(query["id"])
    return params


# --- running it in its own process ---------------------------------------------------------


class StandIn:
    """The stand-in in a child process (its own core when there are two): url, stats, reset."""

    def __init__(
        self,
        files: list[tuple[Path, bool]],
        limits: Limits | None = None,
        cpu: int | None = None,
        python: str = sys.executable,
    ) -> None:
        limits = limits or Limits()
        command = [python, "-m", "bench.eutils", "--latency", str(limits.latency)]
        command += ["--per-record", str(limits.per_record), "--rate", str(limits.rate)]
        if limits.count_refused:
            command.append("--count-refused")
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        for path, listed in files:
            command += ["--load" if listed else "--load-unlisted", str(path)]
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(f"the E-utilities stand-in did not start: {line!r}")
        self.url = line.split()[1]
        self.eutils_url = f"{self.url}/entrez/eutils/"
        self._client = httpx.Client(timeout=30)

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self._client.get(f"{self.url}/_bench/stats").json()
        return data

    def reset(self, settle: float = 1.1) -> None:
        """Zero the counters, after a pause that empties every client's rate window."""
        time.sleep(settle)
        self._client.post(f"{self.url}/_bench/reset")

    def stop(self) -> None:
        self._client.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loopback E-utilities stand-in for benchmarks")
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        type=Path,
        help="EFetch XML to serve (listed in searches)",
    )
    parser.add_argument(
        "--load-unlisted",
        action="append",
        default=[],
        type=Path,
        help="EFetch XML served by id only",
    )
    parser.add_argument("--latency", type=float, default=Limits.latency)
    parser.add_argument("--per-record", type=float, default=Limits.per_record)
    parser.add_argument("--rate", type=int, default=Limits.rate)
    parser.add_argument("--count-refused", action="store_true")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    corpus = Corpus()
    for path in args.load:
        corpus.load(path, listed=True)
    for path in args.load_unlisted:
        corpus.load(path, listed=False)
    limits = Limits(args.latency, args.per_record, args.rate, count_refused=args.count_refused)
    server = Server(corpus, limits, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    host, port = server.server_address[:2]
    print(f"READY http://{host!s}:{port} records={len(corpus.by_pmid)}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
