"""Put new labelled studies into the dev and test splits, and lock the test split.

    python -m tests.eval.split NEW.toml [...]   # each study to dev/ or test/ by its PMID
    python -m tests.eval.split --lock           # write tests/eval/LOCK (the test split's hash)

A study keeps its TOML text exactly as written; the file's opening comments go to both halves.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tomllib
from pathlib import Path

from tests.eval.data import HERE, in_test_split

LOCK = HERE / "LOCK"
_STUDY = re.compile(r"^\[\[study\]\]\s*$", re.MULTILINE)


def locked_digest(folder: Path = HERE) -> str:
    digest = hashlib.sha256()
    for path in sorted((folder / "test").glob("*.toml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def known_pmids(folder: Path = HERE) -> set[str]:
    pmids = set()
    for path in folder.glob("*/*.toml"):
        pmids |= {str(s["pmid"]) for s in tomllib.loads(path.read_text()).get("study", [])}
    return pmids


def distribute(path: Path, folder: Path = HERE) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in _STUDY.finditer(text)]
    head = text[: starts[0]] if starts else text
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    known = known_pmids(folder)
    halves: dict[str, list[str]] = {"dev": [], "test": []}
    for chunk in chunks:
        pmid = str(tomllib.loads(chunk)["study"][0]["pmid"])
        if pmid in known:
            raise SystemExit(f"{path}: PMID {pmid} is already in tests/eval")
        known.add(pmid)
        halves["test" if in_test_split(pmid) else "dev"].append(chunk.rstrip() + "\n\n")
    for split, part in halves.items():
        if part:
            out = folder / split / path.name
            out.write_text(head + "".join(part).rstrip() + "\n", encoding="utf-8")
    return len(halves["dev"]), len(halves["test"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--lock", action="store_true", help="write LOCK from test/")
    args = parser.parse_args(argv)
    for path in args.files:
        dev, test = distribute(path)
        print(f"{path.name}: {dev} to dev, {test} to test")
    if args.lock:
        LOCK.write_text(locked_digest() + "\n", encoding="utf-8")
        print(f"test split locked: {LOCK.read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
