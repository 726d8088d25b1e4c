"""Evidence sentences without the publisher's lead-in, on real publisher feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kapwatch.digest.boilerplate import clean_evidence
from kapwatch.sources.feeds import Feed, parse_feed

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "feeds"
LEAD_IN = re.compile(
    r"^(?:[^.]{0,120}Published online|Vol(?:ume|\.) \d|Publication date:|Source:|doi:|"
    r"[^.]{0,200}, Vol\. \d+, Pages)",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "International Journal of Molecular Sciences, Vol. 26, Pages 6673: Ketamine "
            "enhanced plasticity in the prefrontal cortex.",
            "Ketamine enhanced plasticity in the prefrontal cortex.",
        ),
        (
            "Nature Medicine, Published online: 24 June 2024; doi:10.1038/s41591-024-03100-1 "
            "Ketamine reduced symptoms for four weeks.",
            "Ketamine reduced symptoms for four weeks.",
        ),
        ("Volume 67, Issue 4, December 2021, Page 283-289. . Ketamine worked.", "Ketamine worked."),
        ("Ketamine did not sustain the response.", "Ketamine did not sustain the response."),
        ("TAXON, EarlyView.", None),
        (None, None),
    ],
)
def test_lead_ins_go(raw: str | None, clean: str | None) -> None:
    assert clean_evidence(raw) == clean


@pytest.mark.skipif(not FEEDS.is_dir(), reason="the shared publisher feeds are not on this machine")
def test_real_feed_descriptions_lose_their_lead_in() -> None:
    """Every description kapwatch reads from the real feeds (Nature's "Published online",
    ScienceDirect's "Publication date … Source", Taylor & Francis's "Volume … Page") starts
    with its own words once cleaned, and a description without a lead-in is left as it was."""
    cleaned = untouched = 0
    for path in sorted(
        [*FEEDS.glob("nature/*.xml"), *FEEDS.glob("biorss/*.xml"), *FEEDS.glob("misc/*.xml")]
    ):
        feed = Feed(name=path.stem, url=f"https://example.org/{path.name}")
        try:
            records = parse_feed(path.read_bytes(), {"content-type": "application/xml"}, feed)
        except Exception:  # a feed kapwatch refuses (a CAPTCHA page) has no sentences
            continue
        for record in records:
            if not record.abstract:
                continue
            after = clean_evidence(record.abstract)
            if after is None:
                continue  # nothing but a lead-in: no evidence sentence at all
            assert not LEAD_IN.match(after), (path.name, after[:120])
            if after == " ".join(record.abstract.split()):
                untouched += 1
            else:
                cleaned += 1
    assert cleaned >= 50 and untouched >= 50, (cleaned, untouched)
