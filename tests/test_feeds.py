"""Journal feeds against a real HTTP server on 127.0.0.1, in the three formats publishers use."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kapwatch.sources.feeds import (
    Feed,
    FeedError,
    FeedsFileError,
    fetch_feed,
    load_feeds,
    parse_feed,
)

from .conftest import E2E_FIXTURES, SEEDS_DIR

RSS1 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel rdf:about="https://www.example.org/tp.rss"><title>Test Psychiatry</title>
<link>https://www.example.org/tp</link><description>new</description>
<items><rdf:Seq><rdf:li rdf:resource="https://www.example.org/articles/s1"/></rdf:Seq></items></channel>
<item rdf:about="https://www.example.org/articles/s1">
<title><![CDATA[Ketamine <i>in vivo</i>: synaptogenesis after one dose]]></title>
<link>https://www.example.org/articles/s1</link>
<dc:identifier>doi:10.5555/TP.2026.1</dc:identifier>
<dc:creator>Ana Silva</dc:creator><dc:creator>Ben Cohen</dc:creator>
<dc:date>2026-11-17</dc:date>
<prism:publicationName>Test Psychiatry</prism:publicationName><prism:volume>16</prism:volume>
</item></rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Test preprints: psychiatry</title>
<id>urn:test:preprints</id><updated>2026-11-18T00:00:00Z</updated>
<entry><title>Esketamine plus mindfulness for PTSD &lt;script&gt;alert(1)&lt;/script&gt;</title>
<id>urn:test:1</id><link rel="alternate" href="https://doi.org/10.5555/2026.11.18.1"/>
<updated>2026-11-18T09:30:00Z</updated><author><name>Kai Müller</name></author>
<summary type="html">&lt;p&gt;A pilot of esketamine with mindfulness.&lt;/p&gt;</summary></entry>
<entry><id>urn:test:untitled</id><updated>2026-11-18T09:30:00Z</updated></entry>
</feed>""".encode()

EMPTY_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>
<link>https://example.org</link><description>none</description></channel></rss>"""


def feed(server: HTTPServer, path: str = "/feed", kind: str = "journal") -> Feed:
    return Feed("test", server.url_for(path), "Test", kind)


def test_rss2_with_prism_doi_and_several_creators(httpserver: HTTPServer) -> None:
    body = (E2E_FIXTURES / "journal_rss2.xml").read_bytes()
    httpserver.expect_request("/feed").respond_with_data(body, content_type="application/rss+xml")
    with httpx.Client() as client:
        result = fetch_feed(client, feed(httpserver))
    assert result.status == "ok" and len(result.records) == 3
    first = result.records[0]
    assert first.doi == "10.5555/kw.0001"
    assert first.title == (
        "Ketamine-Assisted Psychotherapy for Treatment-Resistant Depression: A Pilot Randomized Trial"
    )
    assert first.authors == ["Adaeze Okafor", "Jörg Müller"]
    assert first.published is not None and first.published.isoformat() == "2026-11-10"
    assert first.journal == ""  # the item names no journal; the feed's title is none


def test_rss1_rdf_with_dc_identifier() -> None:
    (record,) = parse_feed(RSS1, {"content-type": "application/rdf+xml"}, Feed("tp", "http://x/"))
    assert record.doi == "10.5555/tp.2026.1"
    assert record.title == "Ketamine in vivo : synaptogenesis after one dose"
    assert record.authors == ["Ana Silva", "Ben Cohen"]
    assert (record.journal, record.volume, record.year) == ("Test Psychiatry", "16", 2026)


def test_atom_doi_from_link_html_made_inert_and_preprint_kind() -> None:
    records = parse_feed(ATOM, {}, Feed("medrxiv", "http://x/", kind="preprint"))
    (record,) = records  # the entry without a title is skipped
    assert record.doi == "10.5555/2026.11.18.1"
    assert "<script>" not in record.title and "<" not in record.title
    assert record.abstract == "A pilot of esketamine with mindfulness."
    assert record.is_preprint and record.flags == ["preprint"]


def test_conditional_get_uses_the_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/feed").respond_with_data(
        RSS1, headers={"ETag": '"v1"', "Last-Modified": "Tue, 17 Nov 2026 08:00:00 GMT"}
    )
    httpserver.expect_ordered_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    with httpx.Client() as client:
        first = fetch_feed(client, feed(httpserver))
        second = fetch_feed(client, feed(httpserver), first.etag, first.last_modified)
    assert (first.etag, first.last_modified) == ('"v1"', "Tue, 17 Nov 2026 08:00:00 GMT")
    request = httpserver.log[1][0]
    assert request.headers["If-Modified-Since"] == "Tue, 17 Nov 2026 08:00:00 GMT"
    assert second.status == "empty" and second.not_modified and second.etag == '"v1"'


@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason"),
    [
        (403, b"Forbidden", "text/plain", "HTTP 403"),
        (404, b"Not found", "text/plain", "HTTP 404"),
        (500, b"oops", "text/plain", "HTTP 500"),
        (200, (E2E_FIXTURES / "captcha.html").read_bytes(), "text/html", "not a feed (HTML page"),
        (200, b"", "application/xml", "empty body"),
        (
            200,
            b"<rss version='2.0'><channel><title>x</title",
            "text/xml",
            "no recognisable feed",
        ),
    ],
)
def test_failures_are_errors_not_quiet_weeks(
    httpserver: HTTPServer, status: int, body: bytes, content_type: str, reason: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        body, status=status, content_type=content_type
    )
    with httpx.Client() as client:
        result = fetch_feed(client, feed(httpserver))
    assert result.status == "error" and result.error is not None
    assert result.error.startswith(reason) and result.records == []


def test_a_valid_empty_feed_is_empty_not_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        EMPTY_RSS, content_type="application/rss+xml"
    )
    with httpx.Client() as client:
        result = fetch_feed(client, feed(httpserver))
    assert (result.status, result.error, result.records) == ("empty", None, [])


def test_timeout_and_oversized_body(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(5)
        return Response(RSS1)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    httpserver.expect_request("/big").respond_with_data(b"<rss>" + b" " * 5000 + b"</rss>")
    try:
        with httpx.Client(timeout=0.2) as client:
            assert fetch_feed(client, feed(httpserver, "/slow")).error == "timed out"
    finally:
        release.set()
        time.sleep(0.2)
    with httpx.Client() as client:
        big = fetch_feed(client, feed(httpserver, "/big"), max_bytes=1000)
    assert big.status == "error" and "larger than 1000 bytes" in (big.error or "")


def test_the_curated_feeds_file_loads() -> None:
    feeds = load_feeds(SEEDS_DIR / "feeds.toml")
    assert len(feeds) >= 8
    assert any(f.kind == "preprint" and "medrxiv" in f.url for f in feeds)
    assert all(f.url.startswith("https://") for f in feeds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[feeds]]\nname = "a"\n', "feeds[0]: missing 'url'"),
        ('[[feeds]]\nurl = "https://x"\n', "feeds[0]: missing 'name'"),
        ('[[feeds]]\nname = "pubmed"\nurl = "https://x"\n', "reserved"),
        ('[[feeds]]\nname = "a"\nurl = "ftp://x"\n', "http:// or https://"),
        (
            '[[feeds]]\nname = "a"\nurl = "https://x"\n[[feeds]]\nname = "a"\nurl = "https://y"\n',
            "duplicate name",
        ),
        ("[[feeds]\n", "invalid TOML"),
    ],
)
def test_bad_feeds_file_names_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedsFileError) as info:
        load_feeds(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_missing_feeds_file(tmp_path: Path) -> None:
    with pytest.raises(FeedsFileError, match="file not found"):
        load_feeds(tmp_path / "nope.toml")


def test_parse_feed_rejects_html_even_when_served_as_xml() -> None:
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(
            b"<!DOCTYPE html><html><title>Validate</title></html>", {}, Feed("x", "http://x/")
        )


def test_wrong_declared_encoding_still_reads() -> None:
    # Declared ISO-8859-1 but sent as UTF-8 (a common publisher mistake): feedparser falls back.
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Ketamine in Zürich: Müller's trial</title></item></channel></rss>"
    ).encode()
    (record,) = parse_feed(
        body, {"content-type": "application/rss+xml; charset=utf-8"}, Feed("x", "http://x/")
    )
    assert record.title.startswith("Ketamine in Z")


def test_entity_expansion_is_not_a_bomb() -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 9))  # 10**8 "lol"s
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">' + lol + "]>"
        '<rss version="2.0"><channel><title>T</title><item><title>&l8;</title></item>'
        "</channel></rss>"
    ).encode()
    started = time.monotonic()
    try:
        records = parse_feed(body, {"content-type": "application/rss+xml"}, Feed("x", "http://x/"))
    except FeedError:
        records = []
    assert time.monotonic() - started < 5
    assert all(len(r.title) < 10_000 for r in records)  # never a billion laughs


ALERT = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel>
<title>Topic alert: ketamine psychotherapy</title><link>http://x/</link><description>d</description>
<item><title>One</title><dc:source>Journal of Affective Disorders, Volume 300, 1 May 2026</dc:source>
<dc:relation>https://doi.org/10.1101/2026.01.02.26300001</dc:relation></item>
<item><title>Two</title><prism:publicationName>JAMA Psychiatry</prism:publicationName></item>
<item><title>Three</title><source url="http://bp/">Biological Psychiatry</source></item>
<item><title>Four</title></item>
</channel></rss>"""


def test_a_feed_items_journal_is_its_own_never_the_feeds_title() -> None:
    records = parse_feed(ALERT, {}, Feed("alert", "http://x/"))
    assert [r.journal for r in records] == [
        "Journal of Affective Disorders",
        "JAMA Psychiatry",
        "Biological Psychiatry",
        "",
    ]
    assert records[0].relations == [("has-preprint", "10.1101/2026.01.02.26300001")]
