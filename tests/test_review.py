"""Readers' verdicts: the store, the digest, the ledger, the CLI and the review page's guards."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from kapwatch import pipeline
from kapwatch.cli import app
from kapwatch.review.app import UnsafeBind, check_bind, make_app
from kapwatch.review.judge import record, resolve_claims
from kapwatch.seeds.articles import Seeds
from kapwatch.settings import Settings
from kapwatch.store import Store, VerdictError
from kapwatch.vocabulary import VERDICTS, NotRelated, Stance

from .helpers import WEEK1, WEEK2, run_week

runner = CliRunner()


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "KAPWATCH_HOME": str(settings.home),
        "KAPWATCH_DATABASE_URL": settings.database_url,
        "KAPWATCH_SEEDS_DIR": str(settings.seeds_dir),
        "KAPWATCH_REVIEWER": "ana",
    }


def test_the_verdict_vocabulary_is_the_stances_and_not_related() -> None:
    assert (*(str(s) for s in Stance), "none") == VERDICTS
    assert NotRelated.NONE == "none"


def judge_four(store: Store, seeds: Seeds) -> dict[str, tuple[int, str, str]]:
    """Confirm one suggested link, change one, reject one and add one: {what: (study, claim,
    stance as it now stands or "none")}."""
    queue = store.review_queue()
    links = [(s.id, link) for s in queue for link in s.links]
    assert len(links) >= 3
    (a, first), (b, second), (c, third) = links[:3]
    changed = next(st for st in ("challenges", "supports") if st != second.stance)
    record(store, seeds, a, first.claim_id, first.stance, "ana")
    record(store, seeds, b, second.claim_id, changed, "ana", note="the primary outcome was null")
    record(store, seeds, c, third.claim_id, "none", "ana")
    linked = {link.claim_id for link in queue[0].links}
    missing = next(cl.id for cl in seeds.claims if cl.id not in linked and cl.linkable)
    record(store, seeds, queue[0].id, missing, "extends", "ana", note="another population")
    return {
        "confirmed": (a, first.claim_id, first.stance),
        "changed": (b, second.claim_id, changed),
        "rejected": (c, third.claim_id, "none"),
        "added": (queue[0].id, missing, "extends"),
    }


def test_verdicts_override_the_engine_in_the_digest_and_the_ledger(
    settings: Settings, seeds: Seeds
) -> None:
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1)
    pending = store.pending_reviews()
    judged = judge_four(store, seeds)
    assert store.pending_reviews() == pending - 3
    # The week's digest made again: each pair as the reader left it, marked reviewed.
    setup = pipeline.prepare(settings)
    week1 = store.last_window()
    assert week1 is not None
    files = pipeline.render_window(
        settings, store, week1, store.window_studies(week1.id), [], setup
    )
    digest = json.loads(files.json.read_text(encoding="utf-8"))
    by_pair = {
        (s["pmid"] or s["doi"], link["claim_id"]): link
        for s in digest["studies"]
        for link in s["claims"]
    }
    ids = {row[0]: row for row in _ids(store, [x[0] for x in judged.values()])}
    for what, (study_id, claim_id, stance) in judged.items():
        key = (ids[study_id][1], claim_id)
        if what == "rejected":
            assert key not in by_pair
            continue
        link = by_pair[key]
        assert (link["stance"], link["reviewed"], link["reviewed_by"]) == (stance, True, "ana")
        assert link["reviewed_at"]
    unreviewed = [x for x in by_pair.values() if not x["reviewed"]]
    assert unreviewed and all(x["reviewed_by"] is None for x in unreviewed)
    text = files.text.read_text(encoding="utf-8")
    assert "(reviewed by ana)" in text
    assert f"{pending - 3} suggested links await review: run `kapwatch review`" in text
    # The next week's ledger counts the reader's links as confirmed, the rest as suggested.
    week2, _ = run_week(settings, store, WEEK2)
    ledger = {c["id"]: c["ledger"] for c in week2["claims"]}
    for what in ("confirmed", "changed", "added"):
        _, claim_id, stance = judged[what]
        assert ledger[claim_id]["confirmed"]["stances"].get(stance, 0) >= 1
    for entry in ledger.values():
        for stance, n in entry["stances"].items():
            parts = entry["confirmed"]["stances"].get(stance, 0)
            assert n == parts + entry["suggested"]["stances"].get(stance, 0)


def _ids(store: Store, study_ids: list[int]) -> list[tuple[int, str]]:
    return [(s.id, s.pmid or s.doi or "") for s in store.review_queue(study_ids=study_ids)]


def test_review_url_links_each_study_in_the_email(settings: Settings) -> None:
    settings = replace(settings, review_url="http://127.0.0.1:8470")
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1)
    html = next(settings.digests_dir.glob("*.html")).read_text(encoding="utf-8")
    assert 'href="http://127.0.0.1:8470/study?ref=' in html
    assert "suggested links await review" in html


def test_a_family_verdict_applies_to_the_linked_members_or_to_all(seeds: Seeds) -> None:
    family = next(f for f in seeds.families if len(f.members) > 1)
    assert resolve_claims(seeds, family.id, [family.members[1]]) == [family.members[1]]
    assert resolve_claims(seeds, family.id, []) == list(family.members)
    assert resolve_claims(seeds, seeds.claims[0].id) == [seeds.claims[0].id]
    with pytest.raises(VerdictError, match="no claim or claim family"):
        resolve_claims(seeds, "no-such-claim")


def test_cli_verdict_claims_and_export(settings: Settings) -> None:
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1)
    study = store.review_queue()[0]
    ref = study.pmid or study.doi or ""
    claim = study.links[0].claim_id
    env = cli_env(settings)
    result = runner.invoke(
        app, ["verdict", ref, claim, "challenges", "--note", "null at 6 months"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "by ana" in result.output
    bad = runner.invoke(app, ["verdict", ref, claim, "refutes"], env=env)
    assert bad.exit_code == 2 and "expected one of supports" in bad.output
    unknown = runner.invoke(app, ["verdict", "99999999", claim, "supports"], env=env)
    assert unknown.exit_code == 2 and "no study" in unknown.output
    claims = json.loads(runner.invoke(app, ["claims", "--json"], env=env).output)
    entry = next(c for c in claims if c["id"] == claim)
    assert entry["ledger"]["confirmed"]["stances"] == {"challenges": 1}
    definition = next(c for c in claims if c["id"] == "kap-trd-01")
    assert entry["linkable"] is True and definition["linkable"] is False
    table = runner.invoke(app, ["claims"], env=env).output
    assert "(not linked)" in table
    out = settings.home / "verdicts.toml"
    result = runner.invoke(app, ["review", "--export", str(out)], env=env)
    assert result.exit_code == 0, result.output
    exported = tomllib.loads(out.read_text(encoding="utf-8"))["study"]
    assert exported[0]["links"] == [
        {"claim": claim, "stance": "challenges", "reason": "null at 6 months"}
    ]
    assert exported[0]["relevant"] is True and exported[0]["title"] == study.title


def test_a_post_without_the_csrf_token_is_refused(store: Store, seeds: Seeds) -> None:
    web, state = make_app(store, seeds, "ana")
    client = TestClient(web)
    form = {"study_id": "1", "claim": seeds.claims[0].id, "stance": "supports"}
    assert client.post("/verdict", data=form).status_code == 403
    assert client.post("/verdict", data={**form, "csrf": "guess"}).status_code == 403
    page = client.get("/")
    assert page.status_code == 200
    assert f'<meta name="csrf-token" content="{state.csrf}">' in page.text


def test_an_access_token_guards_every_page(store: Store, seeds: Seeds) -> None:
    web, _ = make_app(store, seeds, "ana", token="t0ken")
    client = TestClient(web)
    assert client.get("/").status_code == 401
    assert client.get("/?token=t0ken").status_code == 200
    assert client.get("/claims").status_code == 200  # the cookie set by the first visit


def test_a_non_loopback_bind_needs_a_token(settings: Settings) -> None:
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "t0ken")
    with pytest.raises(UnsafeBind):
        check_bind("0.0.0.0", None)
    result = runner.invoke(app, ["review", "--host", "0.0.0.0"], env=cli_env(settings))
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without an access token" in result.output


def test_the_pages_show_the_queue_a_study_and_a_claim_over_the_weeks(
    settings: Settings, seeds: Seeds
) -> None:
    store = Store(settings.db_url)
    run_week(settings, store, WEEK1)
    queue = store.review_queue()
    study, link = queue[0], queue[0].links[0]
    web, state = make_app(store, seeds, "ana")
    client = TestClient(web)
    page = client.get("/").text
    assert page.index(f'id="study-{queue[0].id}"') < page.index(f'id="study-{queue[-1].id}"')
    assert study.title in page and 'class="engine"' in page and link.evidence[:40] in page
    form = {"csrf": state.csrf, "study_id": str(study.id), "claim": link.claim_id}
    saved = client.post("/verdict", data={**form, "stance": "challenges"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/#study-{study.id}"
    one = client.get(f"/study?ref={study.pmid or study.doi}")
    assert one.status_code == 200 and "reviewed: challenges by ana" in one.text
    assert client.get("/study?ref=00000000").status_code == 404
    claim = client.get(f"/claims/{link.claim_id}").text
    assert "confirmed by ana" in claim
    assert "Week by week" in claim and study.title in claim
    assert client.get("/claims/no-such-claim").status_code == 404
    assert link.claim_id in client.get("/claims").text
    bad = client.post("/verdict", data={**form, "stance": "refutes"})
    assert bad.status_code == 400 and "expected one of" in bad.text
