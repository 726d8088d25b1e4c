"""The email never clipped: its parts hold as many of the strongest studies (challenges first)
as fit the size budget, and say how many more the full digest holds.

Gmail clips a message past about 102 KB. The budget is measured on the encoded MIME parts, as
delivery/email.py builds them: the HTML part at most HTML_BUDGET bytes, the whole message at
most MESSAGE_BUDGET with HEADER_ALLOWANCE kept for the headers. The HTML is sent as ASCII with
lines under 78 characters, so it travels as 7bit and costs its own size (quoted-printable
would triple every "=" of its inline styles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment

HTML_BUDGET = 90_000
MESSAGE_BUDGET = 100_000
HEADER_ALLOWANCE = 3_000  # Subject, From, a few recipients, Date, Message-ID
LINE = 76


@dataclass(frozen=True)
class Email:
    cards: list[dict[str, Any]]  # the studies it lists, in its order
    text: str
    html: str


def mime_sizes(text: str, html: str) -> tuple[int, int]:
    """(the HTML part's size, the body's size) once encoded as the email sends them."""
    message = EmailMessage()
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_body(("html",))
    assert html_part is not None
    return len(bytes(html_part)), len(bytes(message))


def fits(email: Email) -> bool:
    html, whole = mime_sizes(email.text, email.html)
    return html <= HTML_BUDGET and whole + HEADER_ALLOWANCE <= MESSAGE_BUDGET


def compose(env: Environment, base: dict[str, Any], cards: list[dict[str, Any]]) -> Email:
    """The email's two parts listing these cards."""
    from kapwatch.digest.render import index_rows

    present = {c["number"] for c in cards}
    parts = {
        "mode": "email",
        "index": index_rows(base, present),
        "linked": [c for c in cards if c["groups"]],
        "others": [c for c in cards if not c["groups"]],
        "more_cards": base["cards"] - len(cards),
    }
    html = env.get_template("digest.html.j2").render(**base, **parts)
    text = env.get_template("digest.txt.j2").render(**base, **parts)
    return Email(cards, text, seven_bit(html))


def fit_email(env: Environment, base: dict[str, Any], candidates: list[dict[str, Any]]) -> Email:
    """The email with the most candidates (in their order) that fits the budget."""
    whole = compose(env, base, candidates)
    if fits(whole):
        return whole
    low, high = 0, len(candidates) - 1  # compose(low) is assumed to fit; compose(high+1) not
    best = compose(env, base, [])
    while low < high:
        middle = (low + high + 1) // 2
        email = compose(env, base, candidates[:middle])
        if fits(email):
            low, best = middle, email
        else:
            high = middle - 1
    return best if len(best.cards) == low else compose(env, base, candidates[:low])


def seven_bit(html: str) -> str:
    """ASCII (character references for the rest) in lines of at most LINE characters, broken
    at spaces or after a ';' of an inline style: the HTML reads the same and travels as 7bit."""
    html = html.encode("ascii", "xmlcharrefreplace").decode("ascii")
    lines = []
    for line in html.splitlines():
        while len(line) > LINE:
            cut = _break(line)
            if cut < 0:
                break
            if line[cut] == " ":
                lines.append(line[:cut])
            else:  # after a style's ';'
                lines.append(line[: cut + 1])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines) + "\n"


STYLE_BREAK = re.compile(r"(?<![&#\w])(?:[a-z-]+:[^;\"<>]*);")  # 'color:#fff;', not '&middot;'


def _break(line: str) -> int:
    """Where to break a long line: the last space or style ';' within LINE, else the first."""
    candidates = [line.rfind(" ", 0, LINE)]
    candidates += [m.end() - 1 for m in STYLE_BREAK.finditer(line, 0, LINE) if m.end() <= LINE]
    best = max(candidates)
    if best > 0:
        return best
    later = [i for i in (line.find(" ", LINE),) if i > 0]
    later += [m.end() - 1 for m in STYLE_BREAK.finditer(line, LINE)][:1]
    return min(later) if later else -1
