"""The chapters as a reader reruns them: pairing, contract, papermill at smoke scale, bad parameters.

nbval (re-executing each stored chapter at book scale and comparing its claim check) runs from the
same pytest command: ``--nbval-lax`` and ``notebooks/`` are in pyproject's pytest options.
"""

import nbformat
import papermill as pm
import pytest

from ibcore.notebooks import ROOT, contract_problems, pairing_problems, toc_chapters

CHAPTERS = toc_chapters()
IDS = [c.name for c in CHAPTERS]


def test_every_chapter_file_is_in_the_toc():
    on_disk = {p.with_suffix("") for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py")}
    assert on_disk == set(CHAPTERS)
    assert CHAPTERS, "no chapter in _toc.yml"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_ipynb_is_paired_with_its_py(chapter):
    assert pairing_problems(chapter) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_chapter_follows_the_contract(chapter):
    assert contract_problems(chapter) == []


def test_pairing_check_catches_an_edited_py(tmp_path, monkeypatch):
    chapter = CHAPTERS[0]
    for suffix in (".py", ".ipynb"):
        (tmp_path / chapter.name).with_suffix(suffix).write_text(chapter.with_suffix(suffix).read_text())
    py = (tmp_path / chapter.name).with_suffix(".py")
    py.write_text(py.read_text().replace("seed = 0", "seed = 1", 1))
    monkeypatch.setattr("ibcore.notebooks.ROOT", tmp_path)
    problems = pairing_problems(tmp_path / chapter.name)
    assert problems and "differs" in problems[0]


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_chapter_reruns_at_smoke_scale(chapter, tmp_path):
    out = tmp_path / f"{chapter.name}-smoke.ipynb"
    pm.execute_notebook(str(chapter.with_suffix(".ipynb")), str(out), parameters={"scale": "smoke"},
                        kernel_name="python3", progress_bar=False, cwd=str(chapter.parent))
    nb = nbformat.read(out, as_version=4)
    check = [c for c in nb.cells if c.cell_type == "code"][-1]
    text = "".join(o.get("text", "") for o in check.outputs)
    assert "claim check (smoke scale)" in text


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_unknown_scale_fails_at_the_parameters_cell(chapter, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(chapter.with_suffix(".ipynb")), str(tmp_path / "bad.ipynb"),
                            parameters={"scale": "huge"}, kernel_name="python3", progress_bar=False,
                            cwd=str(chapter.parent))
    assert "scale must be one of 'smoke', 'book', 'paper'; got 'huge'" in str(err.value)
    code = [c for c in nbformat.read(tmp_path / "bad.ipynb", as_version=4).cells if c.cell_type == "code"]
    injected = next(i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", []))
    failed = next(i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    assert failed == injected + 1, "the error must come from the code cell right after the parameters"


@pytest.mark.slow
def test_annealing_chapter_runs_its_capacity_recipe(tmp_path):
    """Chapter 2's second annealing recipe (one-sided capacity) is not the default: run it at smoke scale."""
    chapter = next(c for c in CHAPTERS if c.name.startswith("02_"))
    out = tmp_path / "02-capacity.ipynb"
    pm.execute_notebook(str(chapter.with_suffix(".ipynb")), str(out), parameters={"scale": "smoke", "anneal": "capacity"},
                        kernel_name="python3", progress_bar=False, cwd=str(chapter.parent))
    text = "".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "claim check (smoke scale)" in text
