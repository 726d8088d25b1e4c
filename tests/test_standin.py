"""The loopback stand-in the demo and the end-to-end tests run against."""

from __future__ import annotations

import time

import httpx

from kapwatch.demo.standin import Limits, StandIn, serve
from tests.faults import FaultyStandIn

from .conftest import E2E_FIXTURES as FIXTURES


def test_esearch_filters_by_entrez_date_and_efetch_pages_the_history() -> None:
    data = StandIn(feeds_dir=FIXTURES)
    data.load_pubmed(FIXTURES / "pubmed.xml")
    with serve(data) as server, httpx.Client(base_url=server.eutils_url) as client:
        search = client.get(
            "esearch.fcgi",
            params={
                "mindate": "2026/11/09",
                "maxdate": "2026/11/15",
                "retmax": 0,
                "datetype": "edat",
                "usehistory": "y",
            },
        )
        assert "<Count>2</Count>" in search.text and "<IdList></IdList>" in search.text
        webenv = search.text.split("<WebEnv>")[1].split("</WebEnv>")[0]
        page = client.post(
            "efetch.fcgi", data={"WebEnv": webenv, "query_key": "1", "retstart": 1, "retmax": 5}
        )
        assert page.text.count("<PubmedArticle>") == 1 and "90000002" in page.text
        gone = client.post("efetch.fcgi", data={"WebEnv": "MCID_unknown", "query_key": "1"})
        assert "<ERROR>" in gone.text


def test_limits_answer_past_the_rate_with_ncbis_429() -> None:
    data = StandIn(limits=Limits(rate=2, latency=0.05, per_record=0))
    with serve(data) as server, httpx.Client(base_url=server.eutils_url) as client:
        started = time.monotonic()
        codes = [client.get("esearch.fcgi", params={"term": "x"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429] and time.monotonic() - started >= 0.1
        refused = client.get("efetch.fcgi", params={"id": "1"})
        assert refused.json() == {
            "error": "API rate limit exceeded",
            "api-key": "127.0.0.1",
            "count": "3",
            "limit": "2",
        }
        assert client.get("efetch.fcgi", params={"id": "1", "api_key": "k"}).status_code == 200


def test_feeds_carry_an_etag_and_faults_can_be_injected() -> None:
    data = FaultyStandIn(feeds_dir=FIXTURES)
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
