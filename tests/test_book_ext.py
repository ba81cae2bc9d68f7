"""The book's Sphinx extension renders the Robustness and Performance pages from their JSON files."""

import json
import sys

from ibcore.notebooks import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from ibcore_book import (board_verdict, confirmation_markdown, performance_markdown,  # noqa: E402
                         robustness_markdown, unconfirmed_markdown)


def test_robustness_page_names_the_chapters_not_swept_yet():
    summary = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "failed_runs": [], "claims": [],
               "runs": [{"chapter": "01", "seed": s} for s in range(1, 6)]}
    text = robustness_markdown(summary, None, ["01", "05", "08"])
    assert "**Not swept yet:** chapters 05, 08" in text
    assert "Not swept" not in robustness_markdown(summary, None, ["01"])
    failed = dict(summary, failed_runs=[{"chapter": "05", "seed": 1, "error": "E"}])
    text = robustness_markdown(failed, None, ["01", "05", "08"])
    assert "**Not swept yet:** chapter 08:" in text and "**Every run failed:** chapter 05" in text


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
            "op": ">", "threshold": 0.0,
            "held": 5, "control_held": 0, "control_n": 5 if kind == "asserted" else 0, "evidence": evidence,
            "seeds_asked": 5, "value": value, "verdict": verdict, "verdict_counts": counts or {}}


def test_confirmation_block_names_fragile_and_changed_claims():
    summary = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "runs": [], "failed_runs": [],
               "claims": [_row("1", "asserted", "robust"), _row("2", "asserted", "fragile", evidence=3),
                          _row("3", "reported", "inconclusive", counts={"supports": 3, "contradicts": 2}),
                          _row("4", "reported", "contradicts", counts={"contradicts": 5}),
                          dict(_row("9", "asserted", "robust"), chapter="05")]}
    record = {"claims": [{"id": "1", "kind": "asserted", "evidence": True},
                         {"id": "2", "kind": "asserted", "evidence": True},
                         {"id": "3", "kind": "reported", "verdict": "supports"},
                         {"id": "4", "kind": "reported", "verdict": "contradicts"}]}
    text = confirmation_markdown(summary, "02", record)
    assert "**Fragile:** asserted claim 2 held" in text
    assert "**Not kept by the seeds:** reported claim 3 (supports on seed 0, inconclusive over the seeds)" in text
    assert "claim 9" not in text  # another chapter's claim
    assert "| 3 (reported): claim 3 (predicted: > 0) | held 5/5; supports 3/5, contradicts 2/5 |" in text
    assert "| 2 (asserted): claim 2 (predicted: > 0) | held 5/5, control held 0/5, evidence 3/5 |" in text
    assert "**The rule:** r." in text
    record1 = {"claims": record["claims"][:1]}
    robust = confirmation_markdown(dict(summary, claims=summary["claims"][:1]), "02", record1)
    assert "Every asserted claim of this chapter is **robust**" in robust and "Fragile" not in robust
    assert "No confirmation run of this chapter" in confirmation_markdown(summary, "08", None)
    assert "No confirmation run of this chapter" in confirmation_markdown(None, "02", None)


def test_unconfirmed_list_puts_contradicted_claims_first():
    nb = ROOT / "notebooks" / "02_annealing.ipynb"
    rows = [{"nb": nb, "chapter": "02", "claim": {"id": "1", "slide": "3", "claim": "a"}, "verdict": "holds", "seeds": "5/5"},
            {"nb": nb, "chapter": "02", "claim": {"id": "2", "slide": "3", "claim": "b"}, "verdict": "fragile", "seeds": "2/5"},
            {"nb": nb, "chapter": "06", "claim": {"id": "5", "slide": "11", "claim": "c | d"}, "verdict": "contradicts",
             "seeds": "5/5 contradicts"}]
    text = [ln for ln in unconfirmed_markdown(rows).splitlines() if ln]
    assert text[0] == "**Contradicted** (1):" and text[2] == "**Fragile over the confirmation seeds** (1):"
    assert len(text) == 4
    assert text[1].endswith("claim 5: c \\| d (seeds 1-5: 5/5 contradicts)")
    assert text[3].endswith("claim 2: b (seeds 1-5: 2/5)")
    seed0 = dict(rows[1], seeds="")
    assert unconfirmed_markdown([seed0]).endswith("b (seed 0 only)")
    partial = dict(rows[1], seeds="2/3 (3 of 5 seeds run)")
    assert "b (seed 0 only, seeds 1-5: 2/3 (3 of 5 seeds run))" in unconfirmed_markdown([partial])
    failing = dict(rows[1], verdict="fails (control holds)", seeds="")
    assert "(**fails (control holds)**; seed 0 only)" in unconfirmed_markdown([failing])
    assert unconfirmed_markdown(rows[:1]) == "None."


def test_confirmation_block_says_robust_only_when_every_asserted_claim_is():
    """Incomplete, missing from the sweep, or not evidence on seed 0: never "every asserted claim is robust"."""
    base = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "runs": [], "failed_runs": []}
    rec = {"scale": "book", "claims": [{"id": "1", "kind": "asserted", "evidence": True},
                                       {"id": "2", "kind": "asserted", "evidence": True}]}
    incomplete = dict(_row("2", "asserted", "incomplete", evidence=3), n=3)
    text = confirmation_markdown(dict(base, claims=[_row("1", "asserted", "robust"), incomplete]), "02", rec)
    assert "Every asserted claim" not in text
    assert "*Incomplete:* claim 2 lacks" in text and "(3 of 5 seeds run)" in text
    missing = confirmation_markdown(dict(base, claims=[_row("1", "asserted", "robust")]), "02", rec)
    assert "Every asserted claim" not in missing and "*Not in the sweep:* claim 2 of seed 0" in missing
    seed0_fails = {"claims": [{"id": "1", "kind": "asserted", "evidence": False, "verdict": "control holds"}]}
    text = confirmation_markdown(dict(base, claims=[_row("1", "asserted", "robust")]), "02", seed0_fails)
    assert "Every asserted claim" not in text and "**Not evidence on seed 0:** asserted claim 1 (control holds" in text
    extra = confirmation_markdown(dict(base, claims=[_row("1", "asserted", "robust"), _row("3", "asserted", "robust")]),
                                  "02", {"claims": rec["claims"][:1]})
    assert "*Not on seed 0:* claim 3" in extra and "| (not on seed 0) → **robust** |" in extra


def test_confirmation_block_names_failed_runs_and_escapes_cells():
    error = "Traceback (most recent call last):\n  ...\n\x1b[0;31mRuntimeError\x1b[0m: bad `x` | y\n"
    base = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "runs": [],
            "failed_runs": [{"chapter": "02", "seed": 3, "error": error}]}
    text = confirmation_markdown(dict(base, claims=[]), "02", None)
    assert "No confirmation run" in text and "**Failed run:** seed 3: `RuntimeError: bad 'x' / y`" in text
    row = dict(_row("1", "asserted", "robust"), unit="bits of H(y|z)", claim="a | b")
    text = confirmation_markdown(dict(base, claims=[row]), "02", None)
    assert "| 1 (asserted): a \\| b (predicted: > 0) |" in text and "H(y\\|z) |" in text and "seed 3" in text
    page = robustness_markdown(dict(base, claims=[row]), None)
    assert "H(y\\|z) |" in page and "`RuntimeError: bad 'x' / y`" in page and "\x1b" not in page


def test_board_verdict_shows_every_seed_verdict_and_incomplete_sweeps():
    reported = {"kind": "reported", "verdict": "contradicts"}
    split = dict(_row("6", "reported", "inconclusive", counts={"contradicts": 3, "inconclusive": 2}))
    assert board_verdict(reported, split) == ("inconclusive", "contradicts 3/5, inconclusive 2/5")
    partial = dict(_row("6", "reported", "incomplete", counts={"contradicts": 3}), n=3)
    assert board_verdict(reported, partial) == ("contradicts", "contradicts 3/3 (3 of 5 seeds run)")
    asserted = {"kind": "asserted", "evidence": True, "verdict": "holds"}
    assert board_verdict(asserted, dict(_row("1", "asserted", "incomplete", evidence=3), n=3)) == \
        ("holds (seed 0)", "3/3 (3 of 5 seeds run)")
    assert board_verdict(asserted, _row("1", "asserted", "fragile", evidence=3)) == ("fragile", "3/5")


def test_confirmation_directive_renders_its_own_chapter_and_refuses_another(tmp_path):
    """A small Sphinx build: the directive renders the summary's rows, notes the file as a dependency, and
    refuses a chapter number that is not its page's (the seed-0 column would be another chapter's)."""
    import io

    from sphinx.application import Sphinx

    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "results").mkdir()
    (src / "conf.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
                                 "extensions = ['myst_parser', 'ibcore_book']\n")
    (src / "index.md").write_text("# t\n\n```{toctree}\nnotebooks/02_a\nnotebooks/05_b\n```\n")
    (src / "notebooks" / "02_a.md").write_text("# a\n\n```{confirmation-seeds} 02\n```\n")
    (src / "notebooks" / "05_b.md").write_text("# b\n\n```{confirmation-seeds} 02\n```\n")
    summary = {"seeds": [1, 2, 3, 4, 5], "scale": "book", "rule": "r", "runs": [], "failed_runs": [],
               "claims": [_row("1", "asserted", "robust")]}
    (src / "results" / "robustness.json").write_text(json.dumps(summary))
    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "text",
                 status=None, warning=warnings, freshenv=True)
    app.build()
    page = (tmp_path / "out" / "notebooks" / "02_a.txt").read_text()
    assert "claim 1" in page and "robust" in page
    assert "chapter 02 on the page of chapter 05" in warnings.getvalue()
    assert str(src / "results" / "robustness.json") in app.env.dependencies["notebooks/02_a"]
