"""The seed sweep: parsing, the robustness summary on hand-made records, and a real sweep on Dask."""

import json

import pytest

from ibcore import sweep
from ibcore.claims import Claims


def _run(chapter, seed, value, control_value, verdict="supports", status="ok"):
    c = Claims(chapter, "book", seed)
    c.add("a", slide="2", claim="small", value=value, op="<", threshold=1.0, unit="nats",
          control="permuted", control_value=control_value)
    c.report("r", slide="3", claim="goes the slide's way", value=value, unit="nats", verdict=verdict, rule="r")
    return {"chapter": chapter, "seed": seed, "status": status, "claims": c.to_dict(), "commit": "abc",
            "source_key": "k", "error": None if status == "ok" else "ValueError: boom"}


def test_parse_seeds_and_chapters():
    assert sweep.parse_seeds("1-5") == [1, 2, 3, 4, 5]
    assert sweep.parse_seeds("0,3,3,7") == [0, 3, 7]
    for bad in ("", "5-1", "a", "-2"):
        with pytest.raises(ValueError, match="--seeds"):
            sweep.parse_seeds(bad)
    assert sweep.parse_chapters("1,05") == ["01", "05"]
    with pytest.raises(ValueError, match="--chapters"):
        sweep.parse_chapters("99")


def test_summary_counts_evidence_and_applies_the_rule():
    # seeds 1-5: the claim holds on all five, but its control also holds on seed 5 -> evidence 4/5: robust
    runs = [_run("01", s, 0.2 + s / 100, 2.0 if s < 5 else 0.5) for s in range(1, 6)]
    row = {r["id"]: r for r in sweep.summarize_runs(runs, [1, 2, 3, 4, 5])["claims"]}["a"]
    assert (row["n"], row["held"], row["control_held"], row["evidence"]) == (5, 5, 1, 4)
    assert row["verdict"] == "robust"
    assert row["value"]["median"] == pytest.approx(0.23) and row["value"]["min"] == pytest.approx(0.21)
    assert row["value"]["max"] == pytest.approx(0.25)
    # a second seed whose control holds -> 3/5: fragile
    runs[0] = _run("01", 1, 0.21, 0.5)
    row = {r["id"]: r for r in sweep.summarize_runs(runs, [1, 2, 3, 4, 5])["claims"]}["a"]
    assert row["evidence"] == 3 and row["verdict"] == "fragile"


def test_summary_of_reported_claims_and_missing_or_failed_seeds():
    verdicts = ["contradicts"] * 4 + ["supports"]
    runs = [_run("02", s, 0.3, 2.0, v) for s, v in zip(range(1, 6), verdicts)]
    rows = {r["id"]: r for r in sweep.summarize_runs(runs, [1, 2, 3, 4, 5])["claims"]}
    assert rows["r"]["verdict"] == "contradicts" and rows["r"]["verdict_counts"] == {"contradicts": 4, "supports": 1}
    runs[1]["claims"]["claims"][1]["verdict"] = "supports"  # 3 contradicts, 2 supports
    rows = {r["id"]: r for r in sweep.summarize_runs(runs, [1, 2, 3, 4, 5])["claims"]}
    assert rows["r"]["verdict"] == "inconclusive"
    # seed 5 failed: 4 of 5 seeds ran -> incomplete, and the failure is listed
    runs[4] = _run("02", 5, 0.3, 2.0, status="failed")
    s = sweep.summarize_runs(runs, [1, 2, 3, 4, 5])
    rows = {r["id"]: r for r in s["claims"]}
    assert rows["a"]["verdict"] == "incomplete" and rows["a"]["n"] == 4
    assert s["failed_runs"] == [{"chapter": "02", "seed": 5, "error": "ValueError: boom"}]
    # seed 0 (development) never counts towards the confirmation
    assert sweep.summarize_runs([_run("02", 0, 0.3, 2.0)], [1, 2, 3, 4, 5])["claims"] == []


@pytest.mark.slow
def test_sweep_on_a_local_dask_cluster_resumes_and_records_failures(tmp_path):
    """2 chapters x 2 seeds at smoke scale on 2 workers, one run with a bad parameter; then again."""
    bad = {("06", 2): {"device": "tpu"}}
    out = sweep.run_sweep(["01", "06"], [1, 2], "smoke", workers=2, threads=1, results=tmp_path,
                          per_run=bad, progress=False)
    assert sorted(out["ran"]) == [("01", 1), ("01", 2), ("06", 1)] and out["failed"] == [("06", 2)]
    failed = json.loads((tmp_path / "sweeps/smoke/06/seed-2.json").read_text())
    assert failed["status"] == "failed" and "device" in failed["error"] and "tpu" in failed["error"]
    good = json.loads((tmp_path / "sweeps/smoke/01/seed-1.json").read_text())
    assert good["status"] == "ok" and good["claims"]["chapter"] == "01" and good["claims"]["seed"] == 1
    assert good["source_key"] == sweep.source_key("01") and good["seconds"] > 0 and good["peak_rss_mib"] > 50
    assert good["threads"] == 1 and "torch" in good["versions"]
    # again: the three finished runs are skipped; the failed one is retried (and fails again)
    again = sweep.run_sweep(["01", "06"], [1, 2], "smoke", workers=2, threads=1, results=tmp_path,
                            per_run=bad, progress=False)
    assert sorted(again["skipped"]) == [("01", 1), ("01", 2), ("06", 1)]
    assert again["ran"] == [] and again["failed"] == [("06", 2)]
    summary = sweep.summarize(tmp_path, "smoke", [1, 2])
    assert {r["chapter"] for r in summary["claims"]} == {"01", "06"}
    assert summary["failed_runs"][0]["chapter"] == "06"


def test_local_cluster_workers_are_quiet():
    """The sweep's LocalCluster spawns its workers with QUIET_DASK (no statistical profiler, slower
    housekeeping), and the setting does not leak into the caller's configuration."""
    import dask
    from dask.distributed import Client

    default = dask.config.get("distributed.worker.profile.enabled")
    cluster = sweep.local_cluster(1)
    try:
        with Client(cluster) as client:
            got = client.run(lambda: (dask.config.get("distributed.worker.profile.enabled"),
                                      dask.config.get("distributed.admin.tick.interval")))
    finally:
        cluster.close()
    assert list(got.values()) == [(False, "200ms")]
    assert default is True and dask.config.get("distributed.worker.profile.enabled") is True


def test_a_failed_claim_check_keeps_the_runs_record(tmp_path):
    """A confirmation run whose asserted claim fails is a result (the claim did not hold on that seed), not a
    failed run: its record is read from the output notebook; any other failure keeps the run failed."""
    from ibcore.claims import NOT_EVIDENCE as CHECK_FAILED
    from ibcore.sweep import _record_of_failed_check

    assert _record_of_failed_check(tmp_path / "missing.ipynb", f"AssertionError: claims ['x'] {CHECK_FAILED} book") is None
    nb = tmp_path / "out.ipynb"
    nb.write_text("{}")
    assert _record_of_failed_check(nb, "ValueError: seed must be an integer") is None  # not a claim check
    assert _record_of_failed_check(nb, f"AssertionError: claims ['x'] {CHECK_FAILED} book") is None  # no record
    # the marker is the claim check's own message
    with pytest.raises(AssertionError, match=CHECK_FAILED):
        _failing_check()


def _failing_check():
    from ibcore.claims import Claims

    claims = Claims(chapter="01", scale="book", seed=5)
    claims.add("x", slide="2", claim="c", value=1.0, op="<", threshold=0.0, unit="u", control="k", control_value=2.0)
    claims.check()


def _tree(tmp_path):
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(sweep.ROOT / "ibcore", root / "ibcore", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(sweep.ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    shutil.copy(sweep.ROOT / "_toc.yml", root / "_toc.yml")
    return root


def test_source_key_follows_what_the_chapter_runs(tmp_path):
    root = _tree(tmp_path)
    keys = lambda: {ch: sweep.source_key(ch, root) for ch in ("01", "06")}  # noqa: E731
    base = keys()
    assert base == {ch: sweep.source_key(ch) for ch in ("01", "06")}  # the copy keys like the repository

    def edit(rel, old, new):
        f = root / rel
        text = f.read_text()
        assert old in text, (rel, old)
        f.write_text(text.replace(old, new, 1))

    # comments and docstrings do not count
    edit("ibcore/models.py", '"""', '"""A changed docstring. ')
    edit("ibcore/losses.py", "\nimport", "\n# a new comment\nimport")
    assert keys() == base
    # a module no chapter here imports (chapter 7's object model, re-exported lazily by ibcore.models)
    edit("ibcore/slots.py", "\nimport math", "\nimport math\nEXTRA = 1")
    assert keys() == base
    # another chapter's sizes: only that chapter's key moves
    edit("ibcore/params.py", "n_train=1000, epochs=200", "n_train=1000, epochs=100")
    moved = keys()
    assert moved["01"] == base["01"] and moved["06"] != base["06"]
    # code both chapters run
    edit("ibcore/models.py", "\nimport", "\nEXTRA = 2\nimport")
    assert all(keys()[ch] != moved[ch] for ch in moved)


def test_library_modules_follow_lazy_reexports(tmp_path):
    root = _tree(tmp_path)
    chapter = root / "notebooks" / "x.py"
    chapter.write_text("from ibcore.models import SlotAE\nfrom ibcore.data import DSprites\n")
    names = {p.name for p in sweep.library_modules(chapter, root)}
    assert {"models.py", "slots.py", "data.py", "__init__.py"} <= names and "scenes.py" not in names
    chapter.write_text("from ibcore.data import MultiSprites\n")
    assert "scenes.py" in {p.name for p in sweep.library_modules(chapter, root)}
