"""The benchmark script runs at a tiny size and writes valid JSON (nothing is timed here)."""

import json
import subprocess
import sys

import pytest

from ibcore.notebooks import ROOT, toc_chapters


@pytest.mark.slow
def test_bench_runs_tiny_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--from-notebooks", "--out", str(out)],
                   check=True, capture_output=True, text=True, cwd=ROOT)
    results = json.loads(out.read_text())
    assert results["tiny"] is True
    assert [c["chapter"] for c in results["chapters"]] == [c.name for c in toc_chapters()]
    for section, keys in {"training_step": ["speed_ratio", "ibcore_ms", "minimal_ms"],
                          "evaluation": ["mig_seconds", "dci_seconds", "exact_decomposition_seconds"],
                          "data": ["all_seconds", "batch256_ms", "render_rss_mib"],
                          "sweep": ["sequential_seconds", "sweep_seconds", "efficiency"]}.items():
        for key in keys:
            assert results[section][key] > 0, (section, key)
    assert {r["lever"] for r in results["levers"]} == {"channels_last"}
    assert all(r["off_ms"] > 0 and r["on_ms"] > 0 and r["ratio"] > 0 for r in results["levers"])
    assert (tmp_path / "results_chapters.png").stat().st_size > 0


def test_junit_reader_sums_cells_and_names_the_costliest(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench

    chapter = toc_chapters()[0]
    cases = "".join(f'<testcase classname="notebooks/{chapter.name}.ipynb" name="Cell {i}" time="{t}"/>'
                    for i, t in enumerate((1.0, 30.0, 2.0, 7.0)))
    junit = tmp_path / "junit.xml"
    junit.write_text(f'<testsuites><testsuite name="pytest">{cases}'
                     '<testcase classname="tests.test_x" name="test_y" time="99"/></testsuite></testsuites>')
    rows = {r["chapter"]: r for r in bench.chapter_times_from_junit(junit)}
    mine = rows[chapter.name]
    assert mine["seconds"] == 40.0
    assert [c["cell"] for c in mine["top_cells"]] == [1, 3, 2] and mine["top_cells"][0]["share"] == 0.75
    assert all(isinstance(c["code"], str) for c in mine["top_cells"])
    assert all(rows[c.name]["seconds"] is None for c in toc_chapters()[1:])
