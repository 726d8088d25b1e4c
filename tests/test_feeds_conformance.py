"""Every real feed sample in ../shared/data parses into records or fails with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapwatch.sources.feeds import Feed, FeedError, parse_feed

from .conftest import SHARED_DATA

FEEDS = SHARED_DATA / "feeds"
FILES = sorted(p for p in FEEDS.rglob("*") if p.is_file()) if FEEDS.is_dir() else []
FEED = Feed("sample", "https://example.org/feed")


def name(path: Path) -> str:
    return str(path.relative_to(FEEDS))


@pytest.mark.skipif(not FILES, reason="../shared/data not present")
@pytest.mark.parametrize("path", FILES, ids=name)
def test_parses_or_fails_with_a_reason(path: Path) -> None:
    try:
        records = parse_feed(path.read_bytes(), {}, FEED)
    except FeedError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return
    for record in records:
        assert record.title.strip() and record.source == "sample"
        assert "\ufeff" not in record.title
        assert record.doi is None or record.doi.startswith("10.")


@pytest.mark.skipif(not FILES, reason="../shared/data not present")
def test_known_samples() -> None:
    nature = parse_feed((FEEDS / "nature" / "nature_rss_2024-07-04.rdf.xml").read_bytes(), {}, FEED)
    assert len(nature) == 75 and sum(1 for r in nature if r.doi) >= 70
    assert all("<" not in r.title for r in nature)
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(
            (FEEDS / "biorss" / "oup_captcha_validate_user_2021-11-24.html").read_bytes(), {}, FEED
        )
    assert parse_feed((FEEDS / "biorss" / "jstage_empty_atom.xml").read_bytes(), {}, FEED) == []
    wiley = parse_feed((FEEDS / "biorss" / "wiley_taxon_2021-12-21.xml").read_bytes(), {}, FEED)
    assert wiley and all(r.doi for r in wiley)
