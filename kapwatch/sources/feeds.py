"""Journal feeds: the feeds file, a conditional GET with httpx, and feedparser on the bytes.

feedparser is never handed a URL (it would fetch with urllib and no timeout) nor a str (it
may take it for a file path). A feed that answers with an HTML page, an error status, an
empty body or nothing recognisable is a failed source, never a quiet week.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import feedparser
import httpx

from kapwatch.settings import Settings
from kapwatch.sources.base import NotModified, Period, Source, SourceError
from kapwatch.sources.records import Record
from kapwatch.sources.retry import GaveUp, Retryable, retrying
from kapwatch.store.dedupe import normalize_doi
from kapwatch.tomlfile import read_toml, tables, unknown_keys

if TYPE_CHECKING:
    from kapwatch.seeds.articles import Seeds
    from kapwatch.seeds.lexicon import Concept

USER_AGENT = "kapwatch/0.1 (literature monitor; +https://pubmed.ncbi.nlm.nih.gov/)"
MAX_BYTES = 20_000_000
ATTEMPTS = 3  # a weekly run tries a feed this many times before reporting it failed
BACKOFF = 1.0  # seconds before the second attempt; doubled each time after
_TAG = re.compile(r"<[^>]+>")
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")


class FeedsFileError(ValueError):
    """The feeds file cannot be used; the message names the file and the entry."""


class FeedError(SourceError):
    """A feed's answer is not a usable feed; the message says why."""


@dataclass(frozen=True)
class Feed:
    name: str
    url: str
    publisher: str = ""
    kind: str = "journal"  # "preprint" marks every item as a preprint


@dataclass
class FeedResult:
    feed: Feed
    status: str  # ok | empty | error
    records: list[Record] = field(default_factory=list)
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass
class FeedSource:
    """A journal's (or preprint server's) feed as a Source: the items it carries now, fetched
    with a conditional GET; only the items that name the drug are kept."""

    feed: Feed
    drugs: tuple[Concept, ...]  # the lexicon's drug concepts (seeds/concepts.toml)
    timeout: float = 30.0
    attempts: int = ATTEMPTS
    etag: str | None = None
    last_modified: str | None = None
    kind: str = "feed"
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.feed.name

    def collect(self, window: Period) -> Iterator[list[Record]]:
        """What the feed carries today (a feed has no dates to ask for; the store dedupes)."""
        with httpx.Client(timeout=self.timeout, follow_redirects=True) as client:
            result = fetch_feed(
                client, self.feed, self.etag, self.last_modified, attempts=self.attempts
            )
        if result.status == "error":
            raise FeedError(result.error or "failed")
        if result.not_modified:
            raise NotModified("not modified since the last run")
        self.etag, self.last_modified = result.etag, result.last_modified
        yield result.records

    def keeps(self, record: Record) -> bool:
        """Whether the item names the drug (title, description or keywords)."""
        text = " ".join([record.title, record.abstract, " ".join(record.keywords)])
        return any(concept.found_in(text) for concept in self.drugs)


def sources(settings: Settings, seeds: Seeds) -> list[Source]:
    """The registry's entry: one source per feed in the feeds file."""
    drugs = tuple(seeds.lexicon.by_role("drug"))
    return [
        FeedSource(feed, drugs, timeout=settings.http_timeout)
        for feed in load_feeds(settings.feeds_path)
    ]


FEED_KEYS = ("name", "url", "publisher", "kind")  # a [[feeds]] table's keys


def load_feeds(path: Path) -> list[Feed]:
    data = read_toml(path, FeedsFileError, "set KAPWATCH_FEEDS_FILE?")
    unknown_keys(data, ("feeds",), path, "the file", FeedsFileError)
    feeds: list[Feed] = []
    entries = tables(data, "feeds", path, FeedsFileError, ("name", "url"))
    for index, (where, entry) in enumerate(entries):
        unknown_keys(entry, FEED_KEYS, path, f"feeds[{index}]", FeedsFileError)
        name, url = entry["name"].strip(), entry["url"].strip()
        if name.lower() == "pubmed":
            raise FeedsFileError(f"{where}: the name 'pubmed' is reserved for the PubMed source")
        if not url.startswith(("http://", "https://")):
            raise FeedsFileError(f"{where} ({name}): url must start with http:// or https://")
        if any(f.name == name for f in feeds):
            raise FeedsFileError(f"{where}: duplicate name {name!r}")
        kind = str(entry.get("kind", "journal"))
        if kind not in ("journal", "preprint"):
            raise FeedsFileError(f"{where} ({name}): kind must be 'journal' or 'preprint'")
        feeds.append(Feed(name, url, str(entry.get("publisher", "")), kind))
    return feeds


def fetch_feed(
    client: httpx.Client,
    feed: Feed,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
    attempts: int = 1,
    backoff: float = BACKOFF,
) -> FeedResult:
    """GET the feed (conditionally) and parse it; problems become an error result, not raised.

    Timeouts, connection errors, 429 and 5xx are tried again up to `attempts` times
    (kapwatch.sources.retry); any other answer is final.
    """
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, "
        "application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        reply = retrying(
            lambda: _get(client, feed, headers, max_bytes),
            what=feed.name,
            attempts=attempts,
            backoff=backoff,
        )
        if reply is None:
            return FeedResult(
                feed, "empty", etag=etag, last_modified=last_modified, not_modified=True
            )
        body, response_headers = reply
        records = parse_feed(body, response_headers, feed)
    except GaveUp as exc:
        tries = f" (gave up after {exc.attempts} attempts)" if exc.attempts > 1 else ""
        return FeedResult(feed, "error", error=_describe(exc.last) + tries)
    except FeedError as exc:
        return FeedResult(feed, "error", error=str(exc))
    return FeedResult(
        feed,
        "ok" if records else "empty",
        records=records,
        etag=response_headers.get("ETag"),
        last_modified=response_headers.get("Last-Modified"),
    )


def _get(
    client: httpx.Client, feed: Feed, headers: dict[str, str], max_bytes: int
) -> tuple[bytes, httpx.Headers] | None:
    """One GET: (body, headers), or None when the feed is not modified (HTTP 304)."""
    with client.stream("GET", feed.url, headers=headers, follow_redirects=True) as response:
        if response.status_code == 304:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            raise Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FeedError(f"HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FeedError(f"response larger than {max_bytes} bytes")
        return bytes(body), response.headers


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return str(exc)


def parse_feed(body: bytes, headers: Mapping[str, str], feed: Feed) -> list[Record]:
    if not body.strip():
        raise FeedError("empty body")
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    head = body[:2048].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        raise FeedError(f"not a feed (HTML page{_page_title(body)})")
    parsed = feedparser.parse(
        body,
        response_headers={
            "content-type": content_type or "application/xml",
            "content-location": feed.url,
        },
    )
    problem = parsed.get("bozo_exception")
    if not parsed.entries and (problem is not None or not parsed.get("version")):
        # Nothing usable came out: a broken or unknown document is a failure, not a quiet week.
        detail = " ".join(str(problem).split())[:160] if problem is not None else ""
        raise FeedError(f"no recognisable feed ({detail})" if detail else "no recognisable feed")
    records = []
    for entry in parsed.entries:
        record = _record(entry, feed)
        if record is not None:
            records.append(record)
    return records


def _record(entry: Any, feed: Feed) -> Record | None:
    title = _text(entry.get("title", ""))
    if not title:
        return None
    published = _date(entry.get("published_parsed") or entry.get("updated_parsed"))
    authors = [_text(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")]
    return Record(
        source=feed.name,
        title=title,
        doi=_doi(entry),
        abstract=_text(entry.get("summary", "")),
        authors=[a for a in authors if a],
        journal=_journal(entry),
        volume=str(entry.get("prism_volume", "")),
        issue=str(entry.get("prism_number", "")),
        pages=_pages(entry),
        published=published,
        year=published.year if published else None,
        url=entry.get("link"),
        is_preprint=feed.kind == "preprint",
        relations=_relations(entry, feed),
    )


_VOLUME_TAIL = re.compile(r",\s*(?:volume|vol\.|issue|in press|available online)\b.*$", re.I)


def _journal(entry: Any) -> str:
    """The item's own journal: prism:publicationName, dc:source, or an RSS <source>; blank
    when the item names none (the feed's title, "Topic alert: ...", is no journal)."""
    source = entry.get("source")
    for raw in (
        entry.get("prism_publicationname"),
        entry.get("dc_source"),
        source.get("title") if isinstance(source, dict) else None,
    ):
        name = _VOLUME_TAIL.sub("", _text(str(raw or "")))
        if name:
            return name
    return ""


_VERSION_RELS = ("is-preprint-of", "has-preprint")


def _relations(entry: Any, feed: Feed) -> list[tuple[str, str]]:
    """Crossref-style links to the other version of the work: <link rel="is-preprint-of">
    (or has-preprint), and a dc:relation DOI (a preprint feed's journal version, a journal
    feed's preprint)."""
    found = []
    for link in entry.get("links", []):
        doi = normalize_doi(link.get("href"))
        if link.get("rel") in _VERSION_RELS and doi:
            found.append((str(link["rel"]), doi))
    related = normalize_doi(str(entry.get("dc_relation") or ""))
    if related:
        found.append(("is-preprint-of" if feed.kind == "preprint" else "has-preprint", related))
    return found


def _doi(entry: Any) -> str | None:
    candidates = [entry.get("prism_doi"), entry.get("dc_identifier"), entry.get("id")]
    candidates += [link.get("href") for link in entry.get("links", [])]
    candidates.append(entry.get("link"))
    for raw in candidates:
        if not raw:
            continue
        doi = normalize_doi(raw)
        if doi is None and "doi" in str(raw).lower():
            match = _DOI_IN_TEXT.search(str(raw))
            doi = normalize_doi(match.group(0)) if match else None
        if doi:
            return doi
    return None


def _pages(entry: Any) -> str:
    start, end = entry.get("prism_startingpage"), entry.get("prism_endingpage")
    if start and end:
        return f"{start}-{end}"
    return str(start or "")


def _text(value: str) -> str:
    """Plain text from feed HTML: tags dropped, entities decoded, whitespace collapsed."""
    text = html.unescape(_TAG.sub(" ", value))
    text = _TAG.sub(" ", text)  # entity-escaped markup ("&lt;i&gt;") shows up only after unescape
    return " ".join(text.replace("\ufeff", " ").replace("\u200b", " ").split())


def _date(parsed: time.struct_time | None) -> date | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date()
    except (OverflowError, ValueError):
        return None


def _page_title(body: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:20000], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    title = " ".join(match.group(1).decode("utf-8", "replace").split())[:80]
    return f': "{title}"' if title else ""
