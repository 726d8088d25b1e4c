"""A loopback stand-in for NCBI E-utilities and journal feeds, serving recorded responses.

`kapwatch demo` runs the real pipeline against it, and the end-to-end tests do too. It
answers ESearch by the records' entrez dates (so successive windows see different
studies), serves EFetch through a history server of its own, and serves feed files with
ETag support. Faults (an HTTP status or a raw body per path) can be injected.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from lxml import etree

from kapwatch.sources.pubmed_xml import parse_pubmed
from kapwatch.sources.records import Record
from kapwatch.store.dedupe import fold, normalize_doi

SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "to", "vu", "zel", "an", "bri"]
DESIGNS = [
    "A randomized trial",
    "An open-label study",
    "A cohort study",
    "A pilot trial",
    "A review",
]
DRUGS = ["ketamine", "esketamine", "arketamine"]
THERAPIES = [
    "psychotherapy",
    "cognitive behavioral therapy",
    "mindfulness",
    "exposure therapy",
    "integration sessions",
]
CONDITIONS = [
    "treatment-resistant depression",
    "PTSD",
    "bipolar depression",
    "suicidal ideation",
    "alcohol use disorder",
    "anxiety",
    "OCD",
    "postpartum depression",
    "anorexia",
    "chronic pain",
]
SYNTHETIC = (
    '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
    '<Article PubModel="Print-Electronic"><Journal><JournalIssue CitedMedium="Internet">'
    "<Volume>{n}</Volume><PubDate><Year>{pubyear}</Year><Month>{month:02d}</Month></PubDate>"
    "</JournalIssue><Title>Journal of Synthetic Psychiatry</Title></Journal>"
    "<ArticleTitle>{design} of {drug} with {therapy} for <i>{condition}</i>: "
    "synthetic cohort {n}</ArticleTitle>"
    '<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID><Abstract>'
    '<AbstractText Label="BACKGROUND">Ketamine acts fast; study {n} asks how long.</AbstractText>'
    '<AbstractText Label="METHODS">Adults (n = 40) received ketamine with weekly '
    "psychotherapy.</AbstractText>"
    '<AbstractText Label="CONCLUSIONS">Psychotherapy sustained the response to ketamine'
    "<sup>1</sup>.</AbstractText></Abstract>"
    '<AuthorList CompleteYN="Y">'
    "<Author><LastName>{surname}</LastName><ForeName>Ann</ForeName><Initials>A</Initials></Author>"
    "<Author><LastName>Müller</LastName><ForeName>Jörg</ForeName><Initials>J</Initials></Author>"
    "<Author><CollectiveName>Synthetic Trials Group</CollectiveName></Author></AuthorList>"
    "<Language>eng</Language><PublicationTypeList><PublicationType>Randomized Controlled Trial"
    "</PublicationType></PublicationTypeList></Article></MedlineCitation><PubmedData><History>"
    '<PubMedPubDate PubStatus="entrez"><Year>{year}</Year><Month>{month}</Month><Day>{day}</Day>'
    '</PubMedPubDate></History><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
    "</ArticleIdList></PubmedData></PubmedArticle>"
)
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


@dataclass
class Article:
    pmid: str
    entrez: date | None
    xml: bytes
    listed: bool = True  # False: found by term, citation or id only, never by a date window
    modified: date | None = None  # when PubMed last changed the record (ESearch datetype=mdat)


@dataclass
class Fault:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    times: int = -1  # how many requests it answers before the path behaves again; -1 = always


@dataclass
class StandIn:
    """The data and fault table behind the server; tests change it between runs."""

    articles: list[Article] = field(default_factory=list)
    feeds_dir: Path | None = None
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    histories: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    replay: bool = False  # the demo: every record matches any window, whatever its entrez date
    _records: dict[str, Record] = field(default_factory=dict)  # parsed on demand, for searches

    def load_pubmed(self, path: Path, listed: bool = True) -> None:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for element in tree.getroot():
            pmid = element.findtext(".//PMID") or ""
            stamp = element.find(".//PubMedPubDate[@PubStatus='entrez']")
            entrez = None
            if stamp is not None:
                entrez = date(
                    int(stamp.findtext("Year") or 1900),
                    int(stamp.findtext("Month") or 1),
                    int(stamp.findtext("Day") or 1),
                )
            self.articles.append(Article(pmid, entrez, etree.tostring(element), listed))

    def replace(self, pmid: str, xml: bytes, modified: date | None = None) -> None:
        """A record as PubMed now serves it (e.g. marked retracted since last week)."""
        for article in self.articles:
            if article.pmid == pmid:
                article.xml, article.modified = xml, modified
        self._records.pop(pmid, None)

    def add_notice(self, pmid: str, xml: bytes, modified: date) -> None:
        """An editorial notice (erratum, retraction) entered in PubMed on `modified`."""
        self.articles.append(Article(pmid, modified, xml, listed=False, modified=modified))

    def record(self, article: Article) -> Record:
        if article.pmid not in self._records:
            self._records[article.pmid] = next(
                iter(parse_pubmed(EFETCH_HEAD + article.xml + b"</PubmedArticleSet>"))
            )
        return self._records[article.pmid]

    def term_search(self, term: str, articles: list[Article] | None = None) -> list[str]:
        """ESearch by field-tagged words joined by AND, each clause possibly an OR group:
        [ti], [au], [1au], [dp] (a year or a range), [doi], [pt], [mh], [tiab] (a phrase, a
        trailing * for any ending), or title and abstract words untagged; enough of PubMed's
        syntax for citation look-ups and the topic query. Best match first: the records that
        match most words of the OR groups."""
        clauses = [c.strip() for c in term.split(" AND ") if c.strip()]
        ranked = []
        for article in self.articles if articles is None else articles:
            score = _score(self.record(article), clauses)
            if score:
                ranked.append((-score, article.pmid))
        return [pmid for _score, pmid in sorted(ranked)]

    def ecitmatch(self, bdata: str) -> bytes:
        """ECitMatch: `journal|year|volume|first page|author|key|` lines, the PMID appended."""
        lines = []
        for line in bdata.replace("%0D", "\r").split("\r"):
            parts = line.split("|")
            if len(parts) < 6:
                continue
            journal, year, volume, page, author, key = (p.strip() for p in parts[:6])
            found = [
                a.pmid
                for a in self.articles
                if _cites(self.record(a), journal, year, volume, page, author)
            ]
            answer = found[0] if len(found) == 1 else "AMBIGUOUS" if found else "NOT_FOUND"
            lines.append(f"{journal}|{year}|{volume}|{page}|{author}|{key}|{answer}")
        return ("\n".join(lines) + "\n").encode()

    def add_synthetic(
        self, count: int, start: date, days: int, first_pmid: int = 80_000_000
    ) -> None:
        """Invented PubMed records spread evenly over `days` entrez dates (for load and backfill
        tests): structured abstracts with inline markup and several authors, like real ones."""
        for i in range(count):
            day = start + timedelta(days=i * days // count)
            pmid = str(first_pmid + i)
            xml = SYNTHETIC.format(
                pmid=pmid,
                year=day.year,
                month=day.month,
                day=day.day,
                n=i,
                doi=f"10.5555/syn.{i}",
                pubyear=2016 + i % 11,
                # ~1,000 first authors and 750 title patterns: blocks as a real store has them.
                surname="".join(SYLLABLES[int(d)] for d in f"{i % 997:03d}").title(),
                design=DESIGNS[i % 5],
                drug=DRUGS[i // 5 % 3],
                therapy=THERAPIES[i // 15 % 5],
                condition=CONDITIONS[i // 75 % 10],
            )
            self.articles.append(Article(pmid, day, xml.encode()))

    def fail(
        self,
        path: str,
        status: int = 503,
        body: bytes = b"",
        times: int = -1,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        self.faults[path] = Fault(status, body, content_type, times)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            if fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    del self.faults[path]
            return fault

    def search(self, params: dict[str, str]) -> bytes:
        mindate = _parse_date(params.get("mindate"))
        maxdate = _parse_date(params.get("maxdate"))
        if mindate is None and maxdate is None:
            hits = self.term_search(params.get("term", ""))
        elif params.get("datetype") == "mdat":
            # Records changed in the window that match the term.
            changed = [
                a
                for a in self.articles
                if a.modified is not None
                and (mindate is None or a.modified >= mindate)
                and (maxdate is None or a.modified <= maxdate)
            ]
            hits = self.term_search(params.get("term", ""), changed)
        else:
            hits = [
                a.pmid
                for a in self.articles
                if a.listed
                and (
                    self.replay
                    or (
                        a.entrez is not None
                        and (mindate is None or a.entrez >= mindate)
                        and (maxdate is None or a.entrez <= maxdate)
                    )
                )
            ]
        webenv = f"MCID_{uuid.uuid4().hex}"
        with self.lock:
            self.histories[webenv] = hits
        retmax = int(params.get("retmax", "20"))
        ids = "".join(f"<Id>{p}</Id>" for p in hits[:retmax])
        shown = min(retmax, len(hits))
        return (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(hits)}</Count><RetMax>{shown}"
            f"</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
            f"<IdList>{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(params.get('term', ''))}</QueryTranslation>"
            "</eSearchResult>\n"
        ).encode()

    def fetch(self, params: dict[str, str]) -> bytes:
        if "id" in params:
            wanted = [p for p in params["id"].split(",") if p]
        else:
            history = self.histories.get(params.get("WebEnv", ""))
            if history is None:
                return b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
            start = int(params.get("retstart", "0"))
            wanted = history[start : start + int(params.get("retmax", "20"))]
        by_pmid = {a.pmid: a.xml for a in self.articles}
        body = b"".join(by_pmid[p] + b"\n" for p in wanted if p in by_pmid)
        return EFETCH_HEAD + body + b"</PubmedArticleSet>\n"


_CLAUSE = re.compile(r"^(?P<value>.+?)\[(?P<field>\w+)\]$")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def _surnames(record: Record) -> list[str]:
    return [fold(a.rsplit(" ", 1)[0] if " " in a else a) for a in record.authors]


def _score(record: Record, clauses: list[str]) -> int:
    """How many options of the AND-ed OR groups the record matches; 0 when a group fails."""
    score = 0
    for clause in clauses:
        options = [o.strip().strip("()").strip() for o in clause.split(" OR ")]
        matched = sum(_matches(record, option) for option in options)
        if not matched:
            return 0
        score += matched
    return score


def _phrase(value: str, text: str) -> bool:
    """PubMed's [tiab] phrase: the words in a row, a trailing * matching any ending."""
    words = fold(value.rstrip("*")).split()
    if not words:
        return False
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in words)
    pattern += r"[a-z0-9]*\b" if value.endswith("*") else r"\b"
    return re.search(pattern, fold(text)) is not None


def _matches(record: Record, clause: str) -> bool:
    match = _CLAUSE.match(clause)
    value, tag = (match["value"], match["field"].lower()) if match else (clause, "")
    value = value.strip().strip('"')
    if tag == "tiab":
        return _phrase(value, f"{record.title} {record.abstract}")
    if tag == "pt":
        return value.lower() in {t.lower() for t in record.pub_types}
    if tag == "mh":
        return value.lower() in {m.lower() for m in record.mesh}
    if tag == "ti":
        return _words(value) <= _words(record.title)
    if tag in ("au", "1au"):
        names = _surnames(record)[:1] if tag == "1au" else _surnames(record)
        return any(n.startswith(fold(value)) for n in names)
    if tag == "dp":
        first, _, last = value.partition(":")
        return record.year is not None and int(first) <= record.year <= int(last or first)
    if tag in ("doi", "aid"):
        return (record.doi or "") == normalize_doi(value)
    return _words(value) <= _words(f"{record.title} {record.abstract}")


def _cites(record: Record, journal: str, year: str, volume: str, page: str, author: str) -> bool:
    names = {fold(record.journal), fold(record.journal_abbrev)}
    first_page = re.split(r"[-–]", record.pages)[0] if record.pages else ""
    return (
        fold(journal) in names
        and str(record.year) == year
        and record.volume == volume
        and first_page == page
        and any(n.startswith(fold(author).split()[0]) for n in _surnames(record)[:1])
    )


def _parse_date(raw: str | None) -> date | None:
    if not raw:
        return None
    parts = [int(p) for p in raw.replace("-", "/").split("/")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the demo prints its own progress

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self._answer(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        params.update({k: v[-1] for k, v in form.items()})
        self._answer(url.path, params)

    def _answer(self, path: str, params: dict[str, str]) -> None:
        data = self.server.data
        with data.lock:
            data.requests.append(path)
        fault = data.take_fault(path)
        if fault is not None:
            self._send(fault.status, fault.body, fault.content_type)
        elif path.endswith("/esearch.fcgi"):
            self._send(200, data.search(params), "text/xml; charset=UTF-8")
        elif path.endswith("/ecitmatch.cgi"):
            self._send(200, data.ecitmatch(params.get("bdata", "")), "text/plain; charset=UTF-8")
        elif path.endswith("/efetch.fcgi"):
            self._send(200, data.fetch(params), "text/xml; charset=UTF-8")
        elif path.startswith("/feeds/") and data.feeds_dir is not None:
            self._serve_feed(data.feeds_dir / Path(path).name)
        else:
            self._send(404, b"<html><body>Not found</body></html>", "text/html")

    def _serve_feed(self, file: Path) -> None:
        if not file.is_file():
            self._send(404, b"<html><body>Not found</body></html>", "text/html")
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        kind = "text/html; charset=utf-8" if file.suffix == ".html" else "application/xml"
        if file.name.endswith("atom.xml"):
            kind = "application/atom+xml"
        self._send(200, body, kind, {"ETag": etag})

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: StandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data


class Running:
    """A started stand-in: `url` is its root; use as a context manager to stop it."""

    def __init__(self, data: StandIn) -> None:
        self.data = data
        self._server = _Server(data)
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


def serve(data: StandIn) -> Running:
    return Running(data)
