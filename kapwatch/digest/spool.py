"""The window's studies, read from the store once: build_context's pass writes each study as
the JSON lists it (one line, the JSON contract's own) to a temporary file, with its card's rank.
The full digest's cards, the JSON and the exports read that file instead of the store, so a
study is read and its readers' verdicts applied once per digest, not once per rank and file;
memory holds a byte per study, never the window's studies."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

NOT_CARD = 255  # the rank of a study the full digest does not show as a card


class Spool:
    """Lines written once (add, then close), then read as often as needed, each reader with
    its own handle; the file goes with the spool (its folder is removed when it is collected)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="kapwatch-digest-")
        self.path = Path(self._folder.name) / "studies.jsonl"
        self._out = self._open("w")
        self.ranks = bytearray()  # per line: its card's rank (cards.priority), or NOT_CARD

    def _open(self, mode: Literal["r", "w"]) -> TextIO:
        # surrogatepass: a string the JSON cannot encode fails where it is written, as before.
        return self.path.open(mode, encoding="utf-8", errors="surrogatepass", newline="\n")

    def add(self, item: dict[str, Any], rank: int | None) -> None:
        self._out.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.ranks.append(NOT_CARD if rank is None else rank)

    def close(self) -> None:
        self._out.close()

    def lines(self) -> Iterator[tuple[int, str]]:
        """(rank, the study's JSON line without its newline), in the order they were added."""
        with self._open("r") as handle:
            for rank, line in zip(self.ranks, handle, strict=True):
                yield rank, line[:-1]

    def items(self) -> Iterator[dict[str, Any]]:
        for _rank, line in self.lines():
            yield json.loads(line)

    def cards(self, rank: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """(card number, study) of the cards of this rank, numbered among all the cards."""
        number = 0
        for found, line in self.lines():
            if found != NOT_CARD:
                number += 1
                if found == rank:
                    yield number, json.loads(line)
