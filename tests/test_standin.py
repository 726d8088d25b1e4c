"""The loopback stand-in the demo and the end-to-end tests run against."""

from __future__ import annotations

import httpx

from kapwatch.demo.standin import StandIn, serve

from .conftest import E2E_FIXTURES as FIXTURES


def test_esearch_filters_by_entrez_date_and_efetch_pages_the_history() -> None:
    data = StandIn(feeds_dir=FIXTURES)
    data.load_pubmed(FIXTURES / "pubmed.xml")
    with serve(data) as server, httpx.Client(base_url=server.eutils_url) as client:
        search = client.get(
            "esearch.fcgi", params={"mindate": "2026/11/09", "maxdate": "2026/11/15", "retmax": 0}
        )
        assert "<Count>2</Count>" in search.text and "<IdList></IdList>" in search.text
        webenv = search.text.split("<WebEnv>")[1].split("</WebEnv>")[0]
        page = client.post(
            "efetch.fcgi", data={"WebEnv": webenv, "query_key": "1", "retstart": 1, "retmax": 5}
        )
        assert page.text.count("<PubmedArticle>") == 1 and "90000002" in page.text
        gone = client.post("efetch.fcgi", data={"WebEnv": "MCID_unknown", "query_key": "1"})
        assert "<ERROR>" in gone.text


def test_feeds_carry_an_etag_and_faults_can_be_injected() -> None:
    data = StandIn(feeds_dir=FIXTURES)
    with serve(data) as server, httpx.Client(base_url=server.url) as client:
        first = client.get("/feeds/journal_rss2.xml")
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(
            "/feeds/journal_rss2.xml", headers={"If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304
        data.fail("/feeds/journal_rss2.xml", 503, times=1)
        assert client.get("/feeds/journal_rss2.xml").status_code == 503
        assert client.get("/feeds/journal_rss2.xml").status_code == 200
        assert data.requests.count("/feeds/journal_rss2.xml") == 4
