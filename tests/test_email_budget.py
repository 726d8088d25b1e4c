"""The email is never clipped: weeks of 50 and 300 relevant studies fit Gmail's limit, the
email says how many more the full digest holds, and the full digest keeps every study."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from kapwatch.delivery.deliverer import Message
from kapwatch.delivery.email import build_message
from kapwatch.digest.cards import priority
from kapwatch.digest.render import build_context, render
from kapwatch.seeds.articles import Seeds
from kapwatch.settings import Settings
from kapwatch.vocabulary import RESULT_MARK

EVIDENCE = (
    "In this randomized trial, ketamine combined with a structured psychotherapy protocol "
    "produced a {0} change in depressive symptoms that persisted to the twelve-week follow-up "
    "visit, with Müller–Åsberg scores improving in most participants ({1})."
)


def study(n: int, claims: list[str]) -> SimpleNamespace:
    """A relevant study as the store lists it, with long fields and four claim links; every
    seventh challenges its claims."""
    stance = "challenges" if n % 7 == 0 else ("supports", "extends", "mixed")[n % 3]
    links = [
        SimpleNamespace(
            claim_id=claims[(n + k) % len(claims)],
            stance=stance,
            evidence=EVIDENCE.format("sustained" if k % 2 else "no lasting", n),
            confidence=0.4 + (n % 5) / 10,
        )
        for k in range(4)
    ]
    return SimpleNamespace(
        pmid=str(40000000 + n),
        doi=f"10.1000/very.long.doi.suffix.{n:06d}",
        pmcid=f"PMC{11000000 + n}",
        title=f"Ketamine-assisted psychotherapy for treatment-resistant depression: a multicentre "
        f"randomized controlled trial of durability, site {n} — résumé",
        journal="The American Journal of Psychiatry and Clinical Neurosciences",
        volume="181",
        issue="12",
        pages="1001-1012",
        published=date(2025, 1 + n % 12, 1 + n % 28),
        year=2025,
        authors=[f"Østergård-Nielsen{n} K", "da Silva URL", "Doe J", "Roe R"],
        design="randomized controlled trial",
        n=120 + n,
        sources=["pubmed", "psychiatry-latest"],
        relevant=True,
        score=0.9,
        reason="ketamine; psychotherapy; depression",
        url=f"https://pubmed.ncbi.nlm.nih.gov/{40000000 + n}/",
        links=links,
        flags=[],
    )


def week(seeds: Seeds, count: int) -> dict:
    claims = [c.id for c in seeds.claims]
    window = SimpleNamespace(label="2026-W47", since=date(2026, 11, 16), until=date(2026, 11, 22))
    studies = [study(n, claims) for n in range(1, count + 1)]
    return build_context(window, studies, [], seeds, seeds.query(), [])  # type: ignore[arg-type]


def sizes(settings: Settings, files) -> tuple[int, int, str, str]:  # type: ignore[no-untyped-def]
    message = Message.read(files.html.parent, files.label)
    email = build_message(settings, message)
    html_part = email.get_payload()[1]  # type: ignore[index]
    # The email's HTML is wrapped in short lines: compare its text with whitespace collapsed.
    return len(bytes(html_part)), len(bytes(email)), " ".join(message.html.split()), message.text


@pytest.mark.parametrize("count", [50, 300])
def test_a_big_week_fits_and_says_where_the_rest_is(
    seeds: Seeds, tmp_path: Path, count: int
) -> None:
    settings = Settings(mail_from="kapwatch@example.org", mail_to=("a@example.org",) * 3)
    public = "https://example.org/kap"
    files = render(week(seeds, count), tmp_path, public_url=public)
    html_size, whole, html, text = sizes(settings, files)
    print(f"{count} studies: HTML part {html_size:,} B, message {whole:,} B")
    assert html_size <= 90_000 and whole <= 100_000
    listed = len(files.listed)
    assert 10 <= listed < count
    more = count - listed
    assert f"The full digest holds {more} more" in html and f"{public}/2026-W47.html" in html
    assert f"The full digest holds {more} more: {public}/2026-W47.html" in text
    # Challenges first, then the strongest; no study twice.
    tops = [c["top"] for c in files.listed]
    assert tops[: tops.count("challenges")] == ["challenges"] * tops.count("challenges")
    assert tops.count("challenges") == min(count // 7, listed)
    numbers = re.findall(r'<div id="s(\d+)"', html)
    assert len(numbers) == len(set(numbers)) == listed
    # The full digest on disk keeps every study, once.
    full = files.html.read_text(encoding="utf-8")
    assert len(re.findall(r'<div id="s(\d+)"', full)) == count
    assert f"site {count} " in full and "holds" not in full.split("Claims with new evidence")[0]


def test_a_small_week_is_whole_in_the_email(seeds: Seeds, tmp_path: Path) -> None:
    files = render(week(seeds, 8), tmp_path)
    _, whole, html, _ = sizes(Settings(), files)
    assert whole <= 100_000 and len(files.listed) == 8 and "The full digest holds" not in html
    # Without a public URL the email names the file (nothing to link to).
    assert 'href="#s1"' in html and "https://example.org" not in html
    # Old studies new to PubMed this week (the demo's replayed recordings) are said to be so.
    assert "8 of them were published more than a year earlier" in html
    assert "published 2025-" in html


def test_the_headline_leads_with_challenges(seeds: Seeds) -> None:
    context = week(seeds, 14)
    headline = context["summary"]["headline"]
    assert re.match(r"\d+ new stud(y challenges|ies challenge) '", headline)
    assert "New supporting or extending evidence for '" in headline
    assert headline.endswith("14 relevant of 14 new studies.")
    assert context["summary"]["challenges"] == sum(
        n for row in context["claim_index"] for s, n in row["stances"] if s == "challenges"
    )


def test_the_email_html_travels_as_7bit() -> None:
    from kapwatch.digest.budget import LINE, mime_sizes, seven_bit

    html = (
        '<div style="max-width:680px;margin:0 auto;padding:16px;font-family:Helvetica,Arial,'
        'sans-serif;color:#1f2328;background:#fff">Müller &middot; “quoted” '
        + "word " * 40
        + "</div>"
    )
    wrapped = seven_bit(html)
    assert wrapped.isascii() and max(len(x) for x in wrapped.splitlines()) <= LINE
    assert "&#252;" in wrapped and "&middot;" in wrapped  # entities are never cut
    assert " ".join(wrapped.split()).replace("; ", ";") == " ".join(
        html.encode("ascii", "xmlcharrefreplace").decode().split()
    ).replace("; ", ";")
    html_size, _ = mime_sizes("text", wrapped)
    assert html_size < len(wrapped) + 200  # 7bit: no quoted-printable or base64 overhead


def test_a_study_tied_to_no_claim_comes_first_among_them_when_its_result_goes_against() -> None:
    plain = {"top": None, "reason": "ketamine (ketamine); condition: depression", "number": 1}
    null = {
        "top": None,
        "reason": f"ketamine (ketamine){RESULT_MARK}no better than control, or worse",
        "number": 2,
    }
    linked = {"top": "supports", "reason": "ketamine (ketamine)", "number": 3}
    challenged = {"top": "challenges", "reason": "ketamine (ketamine)", "number": 4}
    order = sorted([plain, null, linked, challenged], key=priority)
    assert [c["number"] for c in order] == [4, 3, 2, 1]
