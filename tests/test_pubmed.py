"""The E-utilities client against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import threading
import time
from datetime import date
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kapwatch.pubmed import Eutils, EutilsError, HistoryGone, search_window
from kapwatch.settings import Settings

from .conftest import E2E_FIXTURES

EFETCH = (E2E_FIXTURES / "pubmed.xml").read_bytes()
KEY = "k3y-that-must-not-leak"


def esearch_body(count: int, webenv: str = "MCID_test") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD '
        'esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult><Count>{count}</Count><RetMax>0</RetMax><RetStart>0</RetStart>"
        f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv><IdList></IdList><TranslationSet/>"
        "<QueryTranslation>ketamine[tiab]</QueryTranslation></eSearchResult>\n"
    )


def client(server: HTTPServer, **kw: object) -> Eutils:
    options: dict = {"email": "me@example.org", "backoff": 0.01, "timeout": 2.0, **kw}
    return Eutils(server.url_for("/eutils/"), **options)


def form(request: Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.get_data(as_text=True)).items()}


def test_esearch_sends_the_window_and_history_parameters(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(3))
    result = client(httpserver, api_key=KEY).esearch(
        "ketamine", date(2026, 11, 9), date(2026, 11, 15)
    )
    assert (result.count, result.webenv, result.query_key) == (3, "MCID_test", "1")
    ((request, _),) = httpserver.log
    args = request.args
    assert args["datetype"] == "edat" and args["usehistory"] == "y"
    assert (args["mindate"], args["maxdate"]) == ("2026/11/09", "2026/11/15")
    assert (args["tool"], args["email"], args["api_key"], args["db"]) == (
        "kapwatch",
        "me@example.org",
        KEY,
        "pubmed",
    )


def test_fetch_pages_through_the_history_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(450))
    httpserver.expect_request("/eutils/efetch.fcgi", method="POST").respond_with_data(EFETCH)
    eutils = client(httpserver)
    search = eutils.esearch("ketamine", date(2026, 11, 1), date(2026, 11, 8))
    seen: list[tuple[int, int]] = []
    records = list(eutils.fetch(search, batch_size=200, progress=lambda d, t: seen.append((d, t))))
    posts = [form(r) for r, _ in httpserver.log if r.path.endswith("efetch.fcgi")]
    assert [p["retstart"] for p in posts] == ["0", "200", "400"]
    assert {(p["WebEnv"], p["query_key"], p["retmax"]) for p in posts} == {
        ("MCID_test", "1", "200")
    }
    assert seen == [(200, 450), (400, 450), (450, 450)]
    assert len(records) == 9 and eutils.requests == 4


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_statuses_are_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        '{"error":"API rate limit exceeded","count":"4","limit":"3"}', status=status
    )
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(1))
    eutils = client(httpserver)
    assert eutils.esearch("k", date(2026, 1, 1), date(2026, 1, 2)).count == 1
    assert eutils.requests == 2


def test_persistent_failure_gives_up_without_leaking_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data("busy", status=503)
    eutils = client(httpserver, api_key=KEY, max_attempts=3)
    with pytest.raises(EutilsError) as info:
        eutils.esearch("k", date(2026, 1, 1), date(2026, 1, 2))
    assert "HTTP 503" in str(info.value) and "3 attempts" in str(info.value)
    assert KEY not in str(info.value) and eutils.requests == 3


def test_a_server_that_never_answers_times_out_and_is_retried(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(5)  # holds the connection open well past the client's timeout
        return Response(esearch_body(1))

    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(slow)
    eutils = client(httpserver, timeout=0.2, max_attempts=2)
    try:
        with pytest.raises(EutilsError, match="timed out"):
            eutils.esearch("k", date(2026, 1, 1), date(2026, 1, 2))
    finally:
        release.set()
        time.sleep(0.2)  # let the server finish the abandoned requests before the next test
    assert eutils.requests == 2


@pytest.mark.parametrize(
    "body",
    [
        EFETCH[: len(EFETCH) // 2],  # truncated
        b"<!DOCTYPE html><html><body>Service unavailable</body></html>",  # HTML with 200
        b'{"error":"API rate limit exceeded","count":"11"}',  # 429 reported as 200
    ],
)
def test_unusable_200_bodies_are_retried(httpserver: HTTPServer, body: bytes) -> None:
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(body)
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    eutils = client(httpserver)
    assert len(list(eutils.fetch_ids(["90000001"]))) == 3 and eutils.requests == 2


def test_error_element_in_a_200_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        "<eFetchResult><ERROR>ID list is empty! Possibly it has no correct IDs.</ERROR></eFetchResult>"
    )
    eutils = client(httpserver)
    with pytest.raises(EutilsError, match="ID list is empty"):
        list(eutils.fetch_ids(["x"]))
    assert eutils.requests == 1  # retrying would not fix it


def test_expired_history_searches_again(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(2, "MCID_old")
    )
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(
        "<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
    )
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(2, "MCID_new")
    )
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    eutils = client(httpserver)
    with pytest.raises(HistoryGone):
        list(eutils.fetch(eutils.esearch("k", date(2026, 1, 1), date(2026, 1, 2))))
    settings = Settings.from_env({"KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils/")})
    httpserver.clear_log()
    records, (search,) = search_window(
        settings, "k", date(2026, 1, 1), date(2026, 1, 2), client=eutils
    )
    assert search.webenv == "MCID_new" and len(records) == 3


def test_zero_hits_is_an_empty_result(httpserver: HTTPServer) -> None:
    body = esearch_body(0).replace(
        "<TranslationSet/>",
        "<TranslationSet/><ErrorList><PhraseNotFound>zzz</PhraseNotFound></ErrorList>"
        "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>",
    )
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(body)
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data("unexpected", status=500)
    settings = Settings.from_env({"KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils/")})
    records, (search,) = search_window(
        settings, "zzz", date(2026, 1, 1), date(2026, 1, 2), client=client(httpserver)
    )
    assert records == [] and search.count == 0


def test_rate_limit_spaces_requests_across_the_process(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(0))
    eutils = client(httpserver)
    started = time.monotonic()
    for _ in range(7):
        eutils.esearch("k", date(2026, 1, 1), date(2026, 1, 2))
    assert time.monotonic() - started >= 1.9  # 3/s: seven requests need two full seconds
    keyed = client(httpserver, api_key=KEY)
    started = time.monotonic()
    for _ in range(7):
        keyed.esearch("k", date(2026, 1, 1), date(2026, 1, 2))
    assert 0.55 <= time.monotonic() - started < 1.9  # 10/s with a key


def test_an_oversized_response_is_refused_not_held(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(EFETCH * 4)
    eutils = client(httpserver, max_bytes=len(EFETCH))
    with pytest.raises(EutilsError, match="larger than"):
        list(eutils.fetch_ids(["90000001"]))
    assert eutils.requests == 1
