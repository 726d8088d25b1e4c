"""The E-utilities client against a real HTTP server on 127.0.0.1 (pytest-httpserver).

Bodies are written here in NCBI's ESearch/EFetch formats (the EFetch one is the end-to-end
recording in fixtures/e2e); real NCBI responses are read from ../shared/data/ncbi in place.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kapwatch.settings import Settings
from kapwatch.sources.eutils import (
    Eutils,
    EutilsError,
    HistoryGone,
    ParseStats,
    RateLimiter,
    SearchResult,
    _entrez,
    parse_esearch,
)
from kapwatch.sources.pubmed import search_window
from kapwatch.sources.pubmed_xml import parse_pubmed

from .conftest import E2E_FIXTURES, SHARED_DATA

EFETCH = (E2E_FIXTURES / "pubmed.xml").read_bytes()  # three articles
KEY = "k3y-that-must-not-leak"
NCBI = SHARED_DATA / "ncbi"
ESEARCH_DOCTYPE = (
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">'
)
DAY = date(2026, 1, 1), date(2026, 1, 2)


def esearch_body(count: int, webenv: str = "MCID_test", doctype: str = ESEARCH_DOCTYPE) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" ?>\n{doctype}\n'
        f"<eSearchResult><Count>{count}</Count><RetMax>0</RetMax><RetStart>0</RetStart>"
        f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv><IdList></IdList><TranslationSet/>"
        "<QueryTranslation>ketamine[tiab]</QueryTranslation></eSearchResult>\n"
    )


def efetch_error(*messages: str) -> str:
    errors = "".join(f"<ERROR>{m}</ERROR>" for m in messages)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD '
        'efetch 20131226//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
        f"<eFetchResult>{errors}</eFetchResult>\n"
    )


def client(server: HTTPServer, **kw: object) -> Eutils:
    # With a key by default (10 requests/s instead of 3) so the suite stays quick.
    options: dict = {"email": "me@example.org", "api_key": KEY, "backoff": 0.01, "timeout": 2.0}
    options.update(kw)
    return Eutils(server.url_for("/eutils/"), **options)


def form(request: Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.get_data(as_text=True)).items()}


def real(path: str) -> bytes:
    file = NCBI / path
    if not file.is_file():
        pytest.skip(f"{file} not present")
    return file.read_bytes()


# --- what is sent -------------------------------------------------------------------------


def test_esearch_sends_the_window_and_history_parameters(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi", method="GET").respond_with_data(
        esearch_body(3)
    )
    result = client(httpserver).esearch("ketamine", date(2026, 11, 9), date(2026, 11, 15))
    assert (result.count, result.webenv, result.query_key) == (3, "MCID_test", "1")
    assert result.translation == "ketamine[tiab]"
    ((request, _),) = httpserver.log
    args = request.args
    assert args["term"] == "ketamine" and args["retmax"] == "0"
    assert args["datetype"] == "edat" and args["usehistory"] == "y"
    assert (args["mindate"], args["maxdate"]) == ("2026/11/09", "2026/11/15")
    assert (args["tool"], args["email"], args["api_key"], args["db"]) == (
        "kapwatch",
        "me@example.org",
        KEY,
        "pubmed",
    )


def test_from_settings_and_no_key_sent_when_there_is_none(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(0))
    settings = Settings.from_env(
        {
            "KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils"),  # no trailing slash
            "KAPWATCH_NCBI_EMAIL": "lab@example.org",
            "KAPWATCH_NCBI_TOOL": "kapwatch-test",
        }
    )
    with Eutils.from_settings(settings) as eutils:
        eutils.esearch("k", *DAY)
    ((request, _),) = httpserver.log
    assert request.path == "/eutils/esearch.fcgi" and "api_key" not in request.args
    assert (request.args["tool"], request.args["email"]) == ("kapwatch-test", "lab@example.org")


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
    assert {(p["db"], p["retmode"], p["rettype"], p["tool"], p["api_key"]) for p in posts} == {
        ("pubmed", "xml", "abstract", "kapwatch", KEY)
    }
    assert seen == [(200, 450), (400, 450), (450, 450)]
    assert len(records) == 9 and eutils.requests == 4
    assert eutils.stats.articles == 9 and eutils.stats.skipped == []


def test_fetch_ids_posts_comma_lists(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi", method="POST").respond_with_data(EFETCH)
    eutils = client(httpserver)
    ids = [str(90000001 + i) for i in range(5)]
    assert len(list(eutils.fetch_ids(ids, batch_size=3))) == 6
    assert [form(r)["id"] for r, _ in httpserver.log] == [
        "90000001,90000002,90000003",
        "90000004,90000005",
    ]


def test_zero_hits_is_an_empty_result(httpserver: HTTPServer) -> None:
    body = esearch_body(0).replace(
        "<TranslationSet/>",
        "<TranslationSet/><ErrorList><PhraseNotFound>zzz</PhraseNotFound></ErrorList>"
        "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>",
    )
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(body)
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data("unexpected", status=500)
    settings = Settings.from_env({"KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils/")})
    records, (search,) = search_window(settings, "zzz", *DAY, client=client(httpserver))
    assert records == [] and search.count == 0
    assert [r.path for r, _ in httpserver.log] == ["/eutils/esearch.fcgi"]


# --- failures and retries -----------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_statuses_are_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        '{"error":"API rate limit exceeded","count":"4","limit":"3"}', status=status
    )
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(1))
    eutils = client(httpserver)
    assert eutils.esearch("k", *DAY).count == 1
    assert eutils.requests == 2


def test_persistent_failure_gives_up_without_leaking_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data("busy", status=503)
    eutils = client(httpserver, max_attempts=3)
    with pytest.raises(EutilsError) as info:
        eutils.esearch("k", *DAY)
    message = str(info.value)
    assert "HTTP 503" in message and "3 attempts" in message
    assert KEY not in message and "\n" not in message and eutils.requests == 3


def test_a_server_that_never_answers_times_out_and_is_retried(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(5)  # holds the connection open well past the client's timeout
        return Response(esearch_body(1))

    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(slow)
    eutils = client(httpserver, timeout=0.3, max_attempts=2)
    started = time.monotonic()
    try:
        with pytest.raises(EutilsError, match="timed out") as info:
            eutils.esearch("k", *DAY)
    finally:
        release.set()
        time.sleep(0.2)  # let the server finish the abandoned requests before the next test
    assert eutils.requests == 2 and KEY not in str(info.value)
    assert time.monotonic() - started < 4  # bounded by the timeout, not by the server


def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    eutils = Eutils(f"http://127.0.0.1:{port}/eutils/", api_key=KEY, backoff=0.01, max_attempts=2)
    with pytest.raises(EutilsError, match="ConnectError") as info:
        eutils.esearch("k", *DAY)
    assert eutils.requests == 2 and KEY not in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        EFETCH[: len(EFETCH) // 2],  # truncated
        EFETCH.replace(b"</ArticleTitle>", b"</ArticleTitel>", 1),  # complete but malformed
        b"",  # empty
        b"<!DOCTYPE html><html><body>Service unavailable</body></html>",  # HTML with 200
        b'{"error":"API rate limit exceeded","count":"11"}',  # 429 reported as 200
        efetch_error("Search Backend failed: Database is not available"),  # a passing hiccup
    ],
    ids=["truncated", "malformed", "empty", "html", "json", "backend"],
)
def test_unusable_200_bodies_are_retried(httpserver: HTTPServer, body: bytes | str) -> None:
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(body)
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    eutils = client(httpserver)
    assert len(list(eutils.fetch_ids(["90000001"]))) == 3 and eutils.requests == 2


def test_an_html_page_every_time_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(
        "<!DOCTYPE html>\n<html><head><title>NCBI - WWW Error Blocked Diagnostic</title></head>"
        "<body>Your access is blocked.</body></html>",
        content_type="text/html",
    )
    eutils = client(httpserver, max_attempts=2)
    with pytest.raises(EutilsError, match="HTML page") as info:
        eutils.esearch("k", *DAY)
    assert eutils.requests == 2 and KEY not in str(info.value)


def test_an_error_element_in_a_200_body_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error("ID list is empty!\n\tPossibly it has no correct IDs.")
    )
    eutils = client(httpserver)
    with pytest.raises(EutilsError) as info:
        list(eutils.fetch_ids(["x"]))
    assert str(info.value) == (
        "efetch.fcgi: ID list is empty! Possibly it has no correct IDs."  # one line
    )
    assert eutils.requests == 1  # retrying would not fix it


def test_a_4xx_names_ncbis_reason(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error("ID list is empty! Possibly it has no correct IDs."), status=400
    )
    eutils = client(httpserver)
    with pytest.raises(EutilsError, match=r"HTTP 400: ID list is empty"):
        list(eutils.fetch_ids(["x"]))
    assert eutils.requests == 1


def test_an_empty_error_element_is_no_error(httpserver: HTTPServer) -> None:
    body = esearch_body(2).replace("<IdList>", "<ERROR/><IdList>")
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(body)
    assert client(httpserver).esearch("k", *DAY).count == 2


def test_an_esearch_error_element_is_reported(httpserver: HTTPServer) -> None:
    body = esearch_body(0).replace("<IdList>", "<ERROR>Invalid query syntax</ERROR><IdList>")
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(body)
    eutils = client(httpserver)
    with pytest.raises(EutilsError, match=r"esearch\.fcgi: Invalid query syntax"):
        eutils.esearch("k[", *DAY)
    assert eutils.requests == 1


def test_a_forgotten_history_is_its_own_error(httpserver: HTTPServer) -> None:
    # The form NCBI sends when a WebEnv has expired (quoted in shared/data/MANIFEST.md).
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error(
            "Cannot retrieve history data. query_key: 1, WebEnv: MCID_1, retstart: 0, retmax: 200",
            "Can't fetch uids from history because of: NCBI C++ Exception:\n    Error: x",
        )
    )
    eutils = client(httpserver)
    with pytest.raises(HistoryGone, match="Cannot retrieve history data") as info:
        list(eutils.fetch(SearchResult(2, "MCID_1", "1")))
    assert "\n" not in str(info.value) and eutils.requests == 1


def test_the_paging_limit_is_not_taken_for_an_expired_history(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error(
            "Search backend cannot retrieve history data. Reason: Exception: 'retstart' cannot "
            "be larger than 9998."
        )
    )
    eutils = client(httpserver)
    with pytest.raises(EutilsError, match="9998") as info:
        list(eutils.fetch_ids(["1"]))
    assert not isinstance(info.value, HistoryGone) and eutils.requests == 1


def test_expired_history_searches_again(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(2, "MCID_old")
    )
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error("Unable to obtain query #1")
    )
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(2, "MCID_new")
    )
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    eutils = client(httpserver)
    with pytest.raises(HistoryGone):
        list(eutils.fetch(eutils.esearch("k", *DAY)))
    settings = Settings.from_env({"KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils/")})
    httpserver.clear_log()
    records, (search,) = search_window(settings, "k", *DAY, client=eutils)
    assert search.webenv == "MCID_new" and len(records) == 3


def test_history_lost_midway_resumes_without_duplicates(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(1200, "MCID_old")
    )
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(
        efetch_error("Unable to obtain query #1")
    )
    httpserver.expect_ordered_request("/eutils/esearch.fcgi").respond_with_data(
        esearch_body(1200, "MCID_new")
    )
    for _ in range(2):  # the second and third batches, resumed at retstart 500
        httpserver.expect_ordered_request("/eutils/efetch.fcgi").respond_with_data(EFETCH)
    eutils = client(httpserver)
    settings = Settings.from_env({"KAPWATCH_EUTILS_URL": httpserver.url_for("/eutils/")})
    records, (search,) = search_window(settings, "k", *DAY, client=eutils)
    assert search.webenv == "MCID_new"
    assert len(records) == 9  # three batches of three, the first batch not read twice
    assert eutils.requests == 6  # fetching resumed after the first batch
    resumed = [r for r, _ in httpserver.log if r.path.endswith("efetch.fcgi")][-2]
    assert resumed.form["retstart"] == "500" and resumed.form["WebEnv"] == "MCID_new"


def test_an_oversized_response_is_refused_not_held(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(EFETCH * 4)
    eutils = client(httpserver, max_bytes=len(EFETCH))
    with pytest.raises(EutilsError, match="larger than"):
        list(eutils.fetch_ids(["90000001"]))
    assert eutils.requests == 1


def test_a_broken_article_costs_only_itself(httpserver: HTTPServer) -> None:
    broken = EFETCH.replace(b"<Article PubModel", b"<NotArticle PubModel", 1).replace(
        b"</Article>", b"</NotArticle>", 1
    )
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(broken)
    eutils = client(httpserver)
    stats = ParseStats()
    records = list(eutils.fetch_ids(["90000001", "90000002", "90000003"], stats=stats))
    assert [r.pmid for r in records] == ["90000002", "90000003"]
    assert stats.articles == 2 and stats.skipped[0].startswith("PMID 90000001:")
    assert eutils.stats.skipped == stats.skipped and eutils.requests == 1


# --- rate limit ---------------------------------------------------------------------------


def test_rate_limit_spaces_requests_across_clients(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_data(esearch_body(0))
    # Two clients, one process-wide limit: NCBI counts per IP, not per client object.
    first, second = client(httpserver, api_key=""), client(httpserver, api_key="")
    started = time.monotonic()
    for i in range(7):
        (first if i % 2 else second).esearch("k", *DAY)
    assert time.monotonic() - started >= 1.9  # 3/s: seven requests need two full seconds
    keyed = client(httpserver)
    started = time.monotonic()
    for _ in range(7):
        keyed.esearch("k", *DAY)
    assert 0.55 <= time.monotonic() - started < 1.9  # 10/s with a key


def test_rate_limiter_is_thread_safe() -> None:
    limiter = RateLimiter()
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            limiter.wait(20.0)
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 12 and min(gaps) >= 0.045  # 1/20 s apart, whichever thread


def test_no_four_requests_start_within_one_second_at_three_per_second() -> None:
    """NCBI counts arrivals in any one-second window; exact 1/3 s spacing let jitter put a
    fourth request inside it (429s measured in bench/). The limiter keeps a margin."""
    limiter = RateLimiter()
    starts = []
    for _ in range(7):
        limiter.wait(3.0)
        starts.append(time.monotonic())
    assert min(b - a for a, b in zip(starts, starts[3:], strict=False)) > 1.02


# --- Biopython reads ESearch, offline -----------------------------------------------------


@pytest.fixture
def no_biopython_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tripwire: Biopython fetches DTDs it does not bundle with urllib (no timeout)."""
    _entrez()  # first: importing Bio.Entrez.Parser unprepared writes ~/.config/biopython
    import Bio.Entrez.Parser

    def refuse(*args: object, **kw: object) -> None:
        raise AssertionError(f"Biopython tried the network: {args}")

    monkeypatch.setattr(Bio.Entrez.Parser, "urlopen", refuse)


@pytest.mark.usefixtures("no_biopython_downloads")
@pytest.mark.parametrize(
    "doctype",
    [
        ESEARCH_DOCTYPE,  # bundled: Biopython validates it
        ESEARCH_DOCTYPE.replace("20060628", "20991231").replace("esearch.dtd", "esearch2.dtd"),
        ESEARCH_DOCTYPE.replace("https://", "http://"),  # Biopython refuses http DTD URLs
        "",  # no DOCTYPE at all
    ],
    ids=["bundled", "unknown-dtd", "http-dtd", "none"],
)
def test_esearch_replies_never_make_biopython_go_online(doctype: str) -> None:
    result = parse_esearch(esearch_body(7, doctype=doctype).encode())
    assert (result.count, result.webenv, result.query_key) == (7, "MCID_test", "1")


@pytest.mark.usefixtures("no_biopython_downloads")
def test_an_element_newer_than_biopythons_dtd_is_still_read() -> None:
    body = esearch_body(4).replace("<IdList>", "<NewThing>x</NewThing><IdList>")
    assert parse_esearch(body.encode()).count == 4


def test_biopython_cache_is_kept_out_of_the_home_directory(tmp_path: Path) -> None:
    # A fresh process with its own HOME: Biopython creates ~/.config/biopython when its parser
    # module is first imported, unless Entrez.local_cache was set before.
    script = (
        "import sys; from kapwatch.sources.eutils import parse_esearch; "
        "print(parse_esearch(sys.stdin.buffer.read()).count)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=esearch_body(5).encode(),
        capture_output=True,
        env={**os.environ, "HOME": str(tmp_path)},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == b"5"
    assert not (tmp_path / ".config").exists()


@pytest.mark.usefixtures("no_biopython_downloads")
def test_real_esearch_replies() -> None:
    zero = parse_esearch(real("biopython/esearch8.xml"))  # PhraseNotFound, "No items found."
    assert zero.count == 0 and zero.ids == []
    history = parse_esearch(real("biopython/esearch2.xml"))
    assert history.count == 42249 and history.query_key == "1"
    assert history.webenv.startswith("MCID_") and len(history.ids) == 100
    old = parse_esearch(real("biopython/old_2026-01/esearch1.xml"))  # http:// DTD, via lxml
    assert old.count == 5 and len(old.ids) == 5


def test_unreadable_esearch_is_an_eutils_error() -> None:
    with pytest.raises(EutilsError, match=r"^esearch\.fcgi: "):
        parse_esearch(esearch_body(1).encode()[:150])


def test_eutils_error_is_one_line() -> None:
    assert str(EutilsError("a\n  b\r\n\tc ")) == "a b c"


# --- the PubMed XML parser on real records ------------------------------------------------


def test_real_book_chapter() -> None:
    (book,) = parse_pubmed(real("metapub/sample_article_20301577.xml"))
    assert book.is_book and book.source == "pubmed" and book.pmid == "20301577"
    assert book.title == "CACNA1C-Related Disorders"  # the <i> gene name kept
    assert book.journal == "GeneReviews®" and book.year == 1993
    assert book.authors == ["Napolitano C", "Priori SG"]  # the book's editors left out
    assert [label for label, _ in book.sections][:2] == [
        "CLINICAL CHARACTERISTICS",
        "DIAGNOSIS/TESTING",
    ]
    assert book.pub_types == ["Review"] and book.keywords.count("Timothy Syndrome") == 1
    assert book.url == "https://pubmed.ncbi.nlm.nih.gov/20301577/"


def test_real_record_without_a_pmid() -> None:
    (record,) = parse_pubmed(real("fatcat/pubmedsample_no_pmid_2019.xml"))
    assert record.pmid is None and record.url is None
    assert record.title == "Hospital debt management and cost reimbursement."
    assert record.published == date(1976, 9, 1)  # <Season>Fall</Season>


def test_real_title_with_markup_is_whole() -> None:
    (record,) = parse_pubmed(real("biopython/pubmed6.xml"))
    assert record.title == (
        'A "Blood Relationship" Between the Overlooked Minimum Lactate Equivalent and Maximal '
        "Lactate Steady State in Trained Runners. Back to the Old Days?"
    )


def test_real_structured_abstract_ids_and_dates() -> None:
    (record,) = parse_pubmed(real("biopython/pubmed4.xml"))
    assert record.doi == "10.1136/gutjnl-2016-312510" and record.pmcid == "PMC5442267"
    assert [label for label, _ in record.sections] == [
        "OBJECTIVE",
        "DESIGN",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert record.abstract.startswith("OBJECTIVE: Telomere shortening")
    assert " DESIGN: " in record.abstract
    assert (record.journal, record.volume, record.issue, record.pages) == (
        "Gut",
        "66",
        "6",
        "1116-1122",
    )
    assert record.published == date(2016, 10, 21) and record.year == 2017  # e-pub, issue year
    # References ("Cites") are not corrections; the comment link is.
    assert [(c.kind, c.pmid) for c in record.corrections] == [("CommentIn", "27920200")]


def test_real_medline_date_season_and_collective_names() -> None:
    records = {r.pmid: r for r in parse_pubmed(real("fatcat/pubmedsample_2019.xml"))}
    assert len(records) == 176
    assert records["10188493"].published == date(1998, 12, 1)  # "1998 Dec-1999 Jan"
    assert records["21007460"].year == 1944  # "1944-1945"
    genome = records["11237011"]
    assert genome.authors[0] == "Lander ES"
    assert genome.authors[-1] == "International Human Genome Sequencing Consortium"
    (trial,) = parse_pubmed(real("metapub/sample_article_23435529.xml"))
    assert "TAX 325 Study Group" in trial.authors


def test_real_non_ascii_authors_and_corrections() -> None:
    (burns,) = parse_pubmed(real("metapub/36987902.xml"))
    assert burns.authors[:3] == ["Bruserud Ø", "Arnes K", "Kjørsvik CR"]
    (erratum,) = parse_pubmed(real("metapub/35649368.xml"))
    assert [(c.kind, c.pmid) for c in erratum.corrections] == [("ErratumIn", "35767954")]
    assert erratum.corrections[0].ref.startswith("Cell Rep")
    assert "erratum" in erratum.flags


def test_synthetic_dates_other_abstract_and_fallbacks() -> None:
    xml = """<?xml version="1.0"?>
<PubmedArticleSet>
<PubmedArticle><MedlineCitation><PMID Version="1">1</PMID><Article>
<Journal><JournalIssue><Volume>3</Volume><PubDate><Year>2019</Year><Season>Jan-Mar</Season></PubDate>
</JournalIssue><ISOAbbreviation>J Ket</ISOAbbreviation></Journal>
<ArticleTitle>[Ketamine and <sub>x</sub>2: a <b>note</b>]</ArticleTitle>
<Pagination><StartPage>e12</StartPage><EndPage>e19</EndPage></Pagination>
<ELocationID EIdType="doi">https://doi.org/10.5555/KW.OTHER</ELocationID>
<AuthorList><Author><LastName>Ødegård</LastName><ForeName>Åse</ForeName></Author></AuthorList>
<Language>nor</Language></Article>
<OtherAbstract Type="Publisher" Language="nor"><AbstractText>Norsk tekst.</AbstractText></OtherAbstract>
<OtherAbstract Type="Publisher" Language="eng"><AbstractText>English text.</AbstractText></OtherAbstract>
</MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID Version="1">2</PMID><Article>
<Journal><JournalIssue><PubDate><Year>2020</Year><Month>02</Month><Day>30</Day></PubDate></JournalIssue></Journal>
<ArticleTitle>Bad day</ArticleTitle></Article>
<MedlineJournalInfo><MedlineTA>Ket Rep</MedlineTA></MedlineJournalInfo></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""
    other, bad_day = parse_pubmed(xml.encode())
    assert other.title == "[Ketamine and x2: a note]" and other.pages == "e12-e19"
    assert other.doi == "10.5555/kw.other" and other.journal == "J Ket"
    assert other.authors == ["Ødegård Åse"] and other.language == "nor"
    assert other.abstract == "English text." and other.published == date(2019, 1, 1)
    assert bad_day.published == date(2020, 2, 1) and bad_day.journal == "Ket Rep"


def test_parse_streams_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "batch.xml"
    path.write_bytes(EFETCH)
    with path.open("rb") as handle:
        assert [r.pmid for r in parse_pubmed(handle)] == ["90000001", "90000002", "90000003"]


def test_malformed_xml_is_an_eutils_error_after_the_good_records() -> None:
    first_end = EFETCH.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    records = parse_pubmed(EFETCH[:first_end] + b"<Pubmed")
    assert next(records).pmid == "90000001"  # yielded before the bad part is reached
    with pytest.raises(EutilsError, match="unreadable PubMed XML"):
        list(records)
