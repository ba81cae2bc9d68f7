"""The book's Sphinx extension renders the Robustness and Performance pages from their JSON files."""

import json
import sys

from ibcore.notebooks import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from ibcore_book import (confirmation_markdown, performance_markdown, robustness_markdown,  # noqa: E402
                         unconfirmed_markdown)


def test_robustness_page_names_the_chapters_not_swept_yet():
    summary = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "failed_runs": [], "claims": [],
               "runs": [{"chapter": "01", "seed": s} for s in range(1, 6)]}
    text = robustness_markdown(summary, None, ["01", "05", "08"])
    assert "**Not swept yet:** chapters 05, 08" in text
    assert "Not swept" not in robustness_markdown(summary, None, ["01"])


def test_performance_page_shows_smoke_times_and_levers(tmp_path):
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    results["targets"].pop("smoke_seconds", None)  # an older file without the smoke target still renders
    results["smoke"] = [{"chapter": "01_x", "scale": "smoke", "seconds": 12.5, "peak_rss_mib": 500.0}]
    results["levers"] = [{"lever": "channels_last", "model": "VAE", "ratio": 1.25, "kept": True}]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    text = performance_markdown(path)
    assert "| chapter 01_x at smoke scale (seconds) | 12.500 | <= 30.0 |" in text
    assert "| lever: channels_last, VAE (kept; step time off / on) | 1.250 | > 1 |" in text


def _row(cid, kind, verdict, evidence=5, counts=None):
    value = {"median": 0.5, "min": 0.1, "max": 0.9, "q05": 0.1, "q95": 0.9}
    return {"chapter": "02", "id": cid, "claim": f"claim {cid}", "kind": kind, "unit": "bits", "n": 5,
            "held": 5, "control_held": 0, "control_n": 5 if kind == "asserted" else 0, "evidence": evidence,
            "seeds_asked": 5, "value": value, "verdict": verdict, "verdict_counts": counts or {}}


def test_confirmation_block_names_fragile_and_changed_claims():
    summary = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "runs": [], "failed_runs": [],
               "claims": [_row("1", "asserted", "robust"), _row("2", "asserted", "fragile", evidence=3),
                          _row("3", "reported", "inconclusive", counts={"supports": 3, "contradicts": 2}),
                          _row("4", "reported", "contradicts", counts={"contradicts": 5}),
                          dict(_row("9", "asserted", "robust"), chapter="05")]}
    record = {"claims": [{"id": "1", "evidence": True}, {"id": "2", "evidence": True},
                         {"id": "3", "verdict": "supports"}, {"id": "4", "verdict": "contradicts"}]}
    text = confirmation_markdown(summary, "02", record)
    assert "**Fragile:** asserted claim 2 held" in text
    assert "**Not kept by the seeds:** reported claim 3 (supports on seed 0, inconclusive over the seeds)" in text
    assert "claim 9" not in text  # another chapter's claim
    assert "| 3: claim 3 | reported | supports 3/5, contradicts 2/5 |" in text
    robust = confirmation_markdown(dict(summary, claims=summary["claims"][:1]), "02", record)
    assert "Every asserted claim of this chapter is **robust**" in robust and "Fragile" not in robust
    assert "No confirmation run of this chapter" in confirmation_markdown(summary, "08", None)
    assert "No confirmation run of this chapter" in confirmation_markdown(None, "02", None)


def test_unconfirmed_list_puts_contradicted_claims_first():
    nb = ROOT / "notebooks" / "02_annealing.ipynb"
    rows = [{"nb": nb, "chapter": "02", "claim": {"id": "1", "slide": "3", "claim": "a"}, "verdict": "holds", "seeds": "5/5"},
            {"nb": nb, "chapter": "02", "claim": {"id": "2", "slide": "3", "claim": "b"}, "verdict": "fragile", "seeds": "2/5"},
            {"nb": nb, "chapter": "06", "claim": {"id": "5", "slide": "11", "claim": "c | d"}, "verdict": "contradicts",
             "seeds": "5/5 contradicts"}]
    text = unconfirmed_markdown(rows).splitlines()
    assert len(text) == 2
    assert text[0].endswith("c \\| d (**contradicts**, seeds 5/5 contradicts)")
    assert text[1].endswith("b (**fragile**, seeds 2/5)")
    assert unconfirmed_markdown(rows[:1]) == "None."
