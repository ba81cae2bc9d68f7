"""The book's Sphinx extension renders the Robustness and Performance pages from their JSON files."""

import json
import sys

from ibcore.notebooks import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from ibcore_book import performance_markdown, robustness_markdown  # noqa: E402


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
