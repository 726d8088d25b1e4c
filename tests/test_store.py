from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kapwatch.sources.pubmed_xml import parse_pubmed
from kapwatch.sources.records import Correction, Record
from kapwatch.store import (
    Base,
    Delivery,
    Listing,
    RunLock,
    RunLocked,
    Store,
    Study,
    StudyNews,
    Window,
    migrate,
)
from kapwatch.vocabulary import DeliveryState
from tests.conftest import SHARED_DATA

W1 = (date(2026, 11, 9), date(2026, 11, 16))
W2 = (date(2026, 11, 16), date(2026, 11, 23))


def claimed(store: Store, window_id: int) -> list[Listing]:
    """Take the window's new studies and list them as its digest would."""
    store.take_new_studies(window_id)
    return list(store.window_studies(window_id))


def rec(source: str, title: str, **kw: object) -> Record:
    return Record(source=source, title=title, **kw)  # type: ignore[arg-type]


def test_migration_creates_exactly_the_models(database_url: str) -> None:
    url = database_url
    Store(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
    engine.dispose()
    assert diff == []
    assert version == "0006"
    Store(url)  # a second start finds the schema current and changes nothing


def test_a_database_from_the_first_release_upgrades_and_keeps_its_data(
    database_url: str,
) -> None:
    migrate(database_url, "0001")  # the schema issue 2 shipped
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into windows (label, since, until, started, rendered, delivery, "
                "delivery_error, sources) values ('2026-W46', '2026-11-09', '2026-11-15', "
                "'2026-11-16 07:00:00', '2026-11-16 07:01:00', 'sent', '', '[]')"
            )
        )
    engine.dispose()
    store = Store(database_url)  # upgrades to the newest schema on start
    window = store.last_window()
    assert window is not None and window.label == "2026-W46"
    assert store.deliveries(window.id) == {"email": DeliveryState.SENT}
    assert store.shown_citations(window.id + 1) is None  # no verdicts were shown back then
    store.save_citation_checks({"abc": {"seed": "a.txt", "key": "k", "status": ["verified"]}})
    assert store.citation_checks()["abc"]["status"] == ["verified"]


def test_one_study_per_work_across_sources(store: Store) -> None:
    window = store.open_window(*W1)
    result = store.add_records(
        window.id,
        [
            rec(
                "pubmed",
                "Ketamine plus CBT for TRD.",
                pmid="111",
                doi="10.1000/AB",
                authors=["Li X"],
            ),
            rec("jad", "Ketamine Plus CBT for TRD", doi="https://doi.org/10.1000/ab"),
            rec("medrxiv", "Ketamine plus CBT for TRD", pmid=None, authors=["Li X"], year=None),
            rec("pubmed", "Ketamine plus CBT for TRD.", pmid="111"),  # the same record again
        ],
    )
    assert (result.new, result.merged) == (1, 3)
    (study,) = claimed(store, window.id)
    assert study.sources == ["jad", "medrxiv", "pubmed"]
    assert study.doi == "10.1000/ab" and study.pmid == "111"


def test_pubmed_fills_in_a_feed_first_study(store: Store) -> None:
    window = store.open_window(*W1)
    store.add_records(window.id, [rec("jad", "A trial", doi="10.9999/x", is_preprint=True)])
    store.add_records(
        window.id,
        [
            rec(
                "pubmed",
                "A trial.",
                doi="10.9999/X",
                pmid="42",
                abstract="Full abstract.",
                journal="J Affect Disord",
                precedence=1,
                corrections=[Correction("ErratumIn", "J Affect Disord 2025", "43")],
            )
        ],
    )
    (study,) = claimed(store, window.id)
    ((_, texts),) = store.texts([study.id])
    assert study.pmid == "42" and texts["abstract"] == "Full abstract."
    assert study.flags == ["erratum"]  # a PubMed record is no longer a preprint


def test_different_identifiers_never_merge_on_title(store: Store) -> None:
    window = store.open_window(*W1)
    result = store.add_records(
        window.id,
        [
            rec(
                "pubmed", "Ketamine for depression: a review", pmid="1", year=2020, authors=["A B"]
            ),
            rec(
                "pubmed", "Ketamine for depression: a review", pmid="2", year=2020, authors=["A B"]
            ),
        ],
    )
    assert result.new == 2


def test_a_study_is_new_in_exactly_one_digest(store: Store) -> None:
    first = store.open_window(*W1)
    store.add_records(first.id, [rec("pubmed", "Study one", pmid="1")])
    assert [s.pmid for s in claimed(store, first.id)] == ["1"]
    second = store.open_window(*W2)
    store.add_records(
        second.id,
        [rec("pubmed", "Study one", pmid="1"), rec("jad", "Study two", doi="10.5555/two")],
    )
    assert [s.doi for s in claimed(store, second.id)] == ["10.5555/two"]
    # Re-running a window rebuilds the same digest: nothing lost, nothing repeated.
    assert [s.pmid for s in claimed(store, first.id)] == ["1"]
    assert store.open_window(*W1).id == first.id


def test_window_labels_are_iso_weeks(store: Store) -> None:
    assert store.open_window(date(2026, 11, 16), date(2026, 11, 22)).label == "2026-W47"
    assert store.open_window(date(2026, 11, 20), date(2026, 11, 22)).label == "2026-W47.2"
    assert store.open_window(date(2025, 12, 25), date(2026, 1, 1)).label == "2026-W01"


def test_delivery_state_is_per_channel(store: Store) -> None:
    window = store.open_window(*W1)
    store.open_deliveries(window.id, ["email"])
    assert store.pending_windows("email") == []  # not rendered yet
    store.mark_rendered(window.id, [])
    assert [w.id for w in store.pending_windows("email")] == [window.id]
    store.mark_delivery(window.id, "email", DeliveryState.FAILED, "SMTP down")
    assert [w.id for w in store.pending_windows("email")] == [window.id]
    store.open_deliveries(window.id, ["email", "slack"])  # a failed email stays failed
    assert store.deliveries(window.id) == {"email": "failed", "slack": "pending"}
    store.mark_delivery(window.id, "email", DeliveryState.SENT)
    assert store.pending_windows("email") == []
    assert [w.id for w in store.pending_windows("slack")] == [window.id]
    store.mark_delivery(window.id, "slack", DeliveryState.SENDING)
    assert [(w.id, c) for w, c in store.interrupted_deliveries()] == [(window.id, "slack")]
    assert store.deliveries(window.id) == {"email": "sent", "slack": "sending"}
    assert store.last_window() is not None


def test_a_channel_added_later_starts_with_the_next_digest(store: Store) -> None:
    first = store.open_window(*W1)
    store.mark_rendered(first.id, [])
    store.open_deliveries(first.id, ["email"])
    store.mark_delivery(first.id, "email", DeliveryState.SENT)
    second = store.open_window(*W2)
    store.mark_rendered(second.id, [])
    store.open_deliveries(second.id, ["email", "slack"])
    assert [w.id for w in store.pending_windows("slack")] == [second.id]
    assert [w.id for w in store.pending_windows("email")] == [second.id]


def test_a_window_rendered_but_never_delivered_is_delivered_by_the_next_run(
    store: Store,
) -> None:
    crashed = store.open_window(*W1)  # a run that stopped between render and delivery
    store.mark_rendered(crashed.id, [])
    current = store.open_window(*W2)
    store.mark_rendered(current.id, [])
    store.open_deliveries(current.id, ["email"])
    assert [w.id for w in store.pending_windows("email")] == [crashed.id, current.id]


def test_the_old_schema_with_a_pending_window_moves_each_state_to_the_email_channel(
    database_url: str,
) -> None:
    migrate(database_url, "0003")  # one delivery state per window, in windows
    engine = sa.create_engine(database_url)
    states = [
        ("2026-W45", "outbox", "", "2026-11-09 07:02:00"),
        ("2026-W46", "failed", "SMTP down", None),
    ]
    states += [("2026-W47", "pending", "", None), ("2026-W48", "unknown", "a run stopped", None)]
    with engine.begin() as conn:
        for day, (label, state, error, delivered) in enumerate(states, start=2):
            conn.execute(
                sa.text(
                    "insert into windows (label, since, until, started, rendered, delivery, "
                    "delivered, delivery_error, sources, citations) values (:label, "
                    ":since, :until, :started, :started, :state, :delivered, :error, '[]', '[]')"
                ),
                {
                    "label": label,
                    "since": date(2026, 11, day),
                    "until": date(2026, 11, day + 6),
                    "started": f"2026-11-{day + 7:02d} 07:00:00",
                    "state": state,
                    "delivered": delivered,
                    "error": error,
                },
            )
    engine.dispose()
    store = Store(database_url)
    with store.session() as s:
        ids = {label: id_ for label, id_ in s.execute(sa.select(Window.label, Window.id))}
    assert {label: store.deliveries(ids[label]) for label in ids} == {
        "2026-W45": {"email": "outbox"},
        "2026-W46": {"email": "failed"},
        "2026-W47": {"email": "pending"},
        "2026-W48": {"email": "unknown"},
    }
    # The pending and the failed window go out with the next run; nothing else does.
    store.open_deliveries(ids["2026-W48"], ["email"])
    assert [w.label for w in store.pending_windows("email")] == ["2026-W46", "2026-W47"]
    with store.session() as s:
        detail = s.execute(sa.select(Delivery.detail).where(Delivery.window_id == ids["2026-W46"]))
        assert detail.scalar() == "SMTP down"


def test_source_state_keeps_validators_and_errors(store: Store) -> None:
    store.save_source_state("jad", ok=True, etag='"abc"', last_modified="Mon, 01 Jan 2024")
    store.save_source_state("jad", ok=False, error="HTTP 503")
    state = store.source_state("jad")
    assert state is not None
    assert (state.etag, state.last_error) == ('"abc"', "HTTP 503")


def test_a_later_retraction_is_news_in_the_later_window(store: Store) -> None:
    first = store.open_window(*W1)
    store.add_records(first.id, [rec("pubmed", "Ketamine trial", pmid="7", doi="10.5555/k7")])
    claimed(store, first.id)
    second = store.open_window(*W2)
    retracted = rec(
        "pubmed",
        "Ketamine trial",
        pmid="7",
        pub_types=["Journal Article", "Retracted Publication"],
        corrections=[Correction("RetractionIn", "J Test. 2026", "8")],
    )
    result = store.add_records(second.id, [retracted, retracted])
    assert result.news == 1  # said once, however often the source repeats it
    assert claimed(store, second.id) == []
    ((study, kinds),) = store.news_in(second.id)
    assert study.pmid == "7" and kinds == ["retracted"] and "retracted" in study.flags
    assert store.news_in(first.id) == []


def test_the_journal_version_of_a_preprint_is_linked_not_merged(store: Store) -> None:
    first = store.open_window(*W1)
    title = "Ketamine with written exposure therapy for chronic PTSD: a randomised trial"
    store.add_records(
        first.id,
        [
            rec(
                "medrxiv",
                title,
                doi="10.1101/2026.01.02.12345",
                authors=["Lee K"],
                year=2026,
                is_preprint=True,
            )
        ],
    )
    claimed(store, first.id)
    second = store.open_window(*W2)
    result = store.add_records(
        second.id,
        [
            rec(
                "pubmed",
                title + ".",
                pmid="99",
                doi="10.5555/wet.2026",
                authors=["Lee K"],
                year=2026,
            )
        ],
    )
    assert (result.new, result.news) == (1, 1)
    # Listed once: the preprint again, for its news; the journal version not as new.
    assert claimed(store, second.id) == []
    ((preprint, kinds),) = store.news_in(second.id)
    assert preprint.doi == "10.1101/2026.01.02.12345"
    assert kinds == ["now_published:10.5555/wet.2026"]
    assert "now_published:10.5555/wet.2026" in preprint.flags
    with store.session() as s:
        journal = s.scalars(sa.select(Study).where(Study.pmid == "99")).one()
    assert journal.flags == ["published_version_of:10.1101/2026.01.02.12345"]


def test_one_run_at_a_time(store: Store) -> None:
    with (
        store.exclusive("host-a pid 1"),
        pytest.raises(RunLocked, match=r"another kapwatch run \(host-a pid 1\)"),
        store.exclusive("host-b pid 2"),
    ):
        pass
    with store.exclusive("host-b pid 2"):  # released: the next run goes ahead
        pass


def test_a_lock_left_by_a_crash_is_taken_over(store: Store) -> None:
    from datetime import timedelta

    with store.session() as s:
        s.add(RunLock(name="run", holder="dead pid 9"))
    with pytest.raises(RunLocked), store.exclusive("new pid 10"):
        pass
    with store.exclusive("new pid 10", stale_after=timedelta(0)), store.session() as s:
        assert s.get_one(RunLock, "run").holder == "new pid 10"


def test_duplicates_merge_within_and_across_batches(store: Store) -> None:
    from kapwatch.store import BATCH

    window = store.open_window(*W1)
    works = [
        rec(
            "a",
            f"Ketamine and psychotherapy for depression, cohort number {i} of many",
            year=2025,
            authors=[f"Author{i} A"],
        )
        for i in range(BATCH + 100)
    ]
    # Every work again, worded a little differently, from another source: in the same batch for
    # some, in the next batch for others.
    again = [
        rec("b", w.title.replace("psychotherapy", "psychotherapy,"), year=2025, authors=w.authors)
        for w in works
    ]
    result = store.add_records(window.id, [*works, *again])
    assert (result.new, result.merged) == (len(works), len(works))
    assert {tuple(s.sources) for s in claimed(store, window.id)} == {("a", "b")}


def test_a_batch_of_new_studies_keeps_each_sighting_and_news_with_its_own_study(
    store: Store,
) -> None:
    # New studies go in with one INSERT per batch; their ids are read back, so a sighting or a
    # piece of news on the wrong study would show here as a source or flag under another title.
    first = store.open_window(*W1)
    store.add_records(first.id, [rec("pubmed", "An older stored trial", pmid="1")])
    claimed(store, first.id)
    second = store.open_window(*W2)
    feed = rec("jad", "Ketamine for PTSD: a pilot trial", doi="10.5555/p1")
    retracted = rec(
        "pubmed",
        "Ketamine for PTSD: a pilot trial",
        pmid="3",
        doi="10.5555/p1",
        pub_types=["Journal Article", "Retracted Publication"],
    )
    others = [rec(f"feed{i}", f"Unrelated work number {i} on something else") for i in range(3)]
    result = store.add_records(second.id, [others[0], feed, others[1], retracted, others[2]])
    assert (result.new, result.merged, result.news) == (4, 1, 1)
    listed = {s.title: s for s in claimed(store, second.id)}
    assert sorted(listed) == sorted([feed.title, *(o.title for o in others)])
    assert listed[feed.title].sources == ["jad", "pubmed"]
    assert listed[feed.title].pmid == "3" and "retracted" in listed[feed.title].flags
    for i, other in enumerate(others):
        assert listed[other.title].sources == [f"feed{i}"] and listed[other.title].flags == []
    with store.session() as s:
        news = s.execute(sa.select(StudyNews.kind, Study.title).join(Study)).all()
    assert [tuple(row) for row in news] == [("retracted", feed.title)]
    assert store.news_in(second.id) == []  # new in this window: listed as new, not as news


def test_a_merge_that_replaces_the_title_recomputes_the_blocking_keys(store: Store) -> None:
    from kapwatch.store import dedupe

    window = store.open_window(*W1)
    feed_title = "Ketamine news: a trial in the clinic"
    store.add_records(window.id, [rec("jad", feed_title, doi="10.5555/t1", authors=["Feed X"])])
    title = "Esketamine nasal spray versus placebo for treatment-resistant depression"
    pubmed = rec("pubmed", title + ".", pmid="9", doi="10.5555/T1", authors=["Popova V"])
    store.add_records(window.id, [replace(pubmed, precedence=1)])  # merges by DOI
    with store.session() as s:
        (study,) = s.scalars(sa.select(Study)).all()
        assert study.title == title + "."
        assert study.title_key == dedupe.title_key(title)
        assert study.title_head == dedupe.title_head(dedupe.title_key(title))
        assert study.author_key == dedupe.author_key("Popova V")
    # So a later record with the journal's title and no identifier finds the study by title.
    result = store.add_records(window.id, [rec("other-feed", title)])
    assert (result.new, result.merged) == (0, 1)


def test_a_record_of_default_precedence_only_fills_gaps(store: Store) -> None:
    window = store.open_window(*W1)
    full = rec("pubmed", "A trial.", pmid="5", journal="J One", abstract="", precedence=1)
    store.add_records(window.id, [full])
    store.add_records(
        window.id, [rec("jad", "A trial", pmid="5", journal="J Other", abstract="From the feed.")]
    )
    ((_, texts),) = store.texts([s.id for s in claimed(store, window.id)])
    (study,) = claimed(store, window.id)
    assert (study.title, study.journal) == ("A trial.", "J One")
    assert texts["abstract"] == "From the feed."


def test_every_column_a_record_fills_is_named_once() -> None:
    from kapwatch.store.merge import BLOCKING_KEYS, FILLED

    names = [column.name for column in FILLED]
    assessed = {"relevant", "score", "reason", "design", "n"}
    bookkeeping = {"id", "first_seen", "updated"}
    assert len(names) == len(set(names))
    assert {c.key for c in Study.__table__.columns} == {
        *names,
        *BLOCKING_KEYS,
        *assessed,
        *bookkeeping,
    }


def test_a_notice_is_never_a_study_it_flags_its_target(store: Store) -> None:
    first = store.open_window(*W1)
    title = "Ketamine infusions for treatment-resistant depression: a randomised trial"
    store.add_records(first.id, [rec("pubmed", title, pmid="501", authors=["Ng A"], year=2026)])
    claimed(store, first.id)
    second = store.open_window(*W2)
    notices = [
        rec(
            "pubmed",
            "Erratum.",
            pmid="502",
            pub_types=["Published Erratum"],
            corrections=[Correction("ErratumFor", "J. 2026", pmid="501")],
        ),
        rec("jad", f"Retraction notice to: {title}", doi="10.5555/retract.1"),
    ]
    result = store.add_records(second.id, notices)
    assert (result.new, result.notices, result.news) == (0, 2, 2)
    assert claimed(store, second.id) == []
    ((study, kinds),) = store.news_in(second.id)
    assert study.pmid == "501" and sorted(kinds) == ["erratum", "retracted"]


def test_feed_titles_that_only_look_like_notices_stay_studies() -> None:
    assert rec("jad", "Correction of hyponatraemia with ketamine").notice is None
    assert rec("jad", "Erratum to: Ketamine and CBT").notice == "erratum"
    assert rec("jad", "Expression of concern: Ketamine for PTSD").notice == (
        "expression_of_concern"
    )


def test_a_preprint_and_its_journal_version_in_one_week_are_listed_once(store: Store) -> None:
    window = store.open_window(*W1)
    authors = ["Lee K", "Osei A"]
    preprint = rec(
        "medrxiv",
        "Ketamine with written exposure therapy for chronic PTSD: a pilot trial",
        doi="10.1101/2026.01.02.12345",
        authors=authors,
        year=2026,
        is_preprint=True,
    )
    journal = rec(
        "pubmed",
        "Ketamine with written exposure therapy for chronic PTSD: a randomized clinical trial",
        pmid="98",
        doi="10.5555/wet.2026",
        authors=authors,
        year=2026,
    )
    store.add_records(window.id, [preprint])
    store.add_records(window.id, [journal])
    (listed,) = claimed(store, window.id)
    assert listed.pmid == "98" and listed.flags == ["published_version_of:10.1101/2026.01.02.12345"]
    assert store.news_in(window.id) == []


def test_a_journal_version_named_by_a_relation_is_linked_whatever_its_title(
    store: Store,
) -> None:
    first = store.open_window(*W1)
    store.add_records(
        first.id,
        [
            rec(
                "pubmed",
                "Preprint one on ketamine",
                pmid="301",
                doi="10.1101/2026.01.05.1",
                pub_types=["Preprint"],
                authors=["Ito K"],
                year=2026,
            ),
            rec(
                "medrxiv",
                "Preprint two on ketamine",
                doi="10.1101/2026.01.06.2",
                authors=["Ruiz M"],
                year=2026,
                is_preprint=True,
            ),
        ],
    )
    claimed(store, first.id)
    second = store.open_window(*W2)
    result = store.add_records(
        second.id,
        [
            rec(
                "pubmed",
                "An unrelated-looking title",
                pmid="302",
                doi="10.5555/j.1",
                authors=["Someone Else"],
                year=2026,
                corrections=[Correction("UpdateOf", "medRxiv. 2026.", pmid="301")],
            ),
            rec(
                "jad",
                "Another reworded title",
                doi="10.5555/j.2",
                authors=["Other P"],
                year=2026,
                relations=[("has-preprint", "10.1101/2026.01.06.2")],
            ),
        ],
    )
    assert (result.new, result.news) == (2, 2)
    assert claimed(store, second.id) == []
    news = {study.doi: kinds for study, kinds in store.news_in(second.id)}
    assert news == {
        "10.1101/2026.01.05.1": ["now_published:10.5555/j.1"],
        "10.1101/2026.01.06.2": ["now_published:10.5555/j.2"],
    }


def test_a_real_pubmed_journal_record_names_its_medrxiv_preprint(store: Store) -> None:
    """PMID 39345789 (JAMIA Open, 2024) as PubMed serves it: CommentsCorrections UpdateOf the
    medRxiv preprint 36993193, doi:10.1101/2023.03.21.23286947. The preprint stands in here
    with only its identifiers (its record is not among the recordings)."""
    path = SHARED_DATA / "ncbi" / "metapub" / "39345789.xml"
    (journal,) = parse_pubmed(path.read_bytes())
    assert journal.relations == [("has-preprint", "10.1101/2023.03.21.23286947")]
    first = store.open_window(*W1)
    preprint = rec(
        "pubmed",
        "The medRxiv preprint of PMID 39345789",
        pmid="36993193",
        doi="10.1101/2023.03.21.23286947",
        pub_types=["Preprint"],
        is_preprint=True,
        year=2023,
    )
    store.add_records(first.id, [preprint])
    claimed(store, first.id)
    second = store.open_window(*W2)
    assert store.add_records(second.id, [journal]).news == 1
    ((study, kinds),) = store.news_in(second.id)
    assert study.pmid == "36993193" and kinds == ["now_published:10.1093/jamiaopen/ooae099"]
