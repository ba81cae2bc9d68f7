"""The chapters as a reader reruns and edits them: pairing, contract, prose sync, papermill at smoke
scale, bad parameters, and the README's rerun command on a fresh clone.

nbval (re-executing each stored chapter at book scale and comparing its claim check) runs from the
same pytest command: ``--nbval-lax`` and ``notebooks/`` are in pyproject's pytest options.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import papermill as pm
import pytest

from ibcore import notebooks, rerun
from ibcore.notebooks import ROOT, contract_problems, pairing_problems, pairing_state, sync_prose, toc_chapters

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


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_list_parameters_are_validated_by_name(chapter):
    """-p betas 0.1 must fail naming betas: the raw parameter goes to check_values(..., sort=True)."""
    assert notebooks.parameter_problems(chapter) == []


def test_contract_asks_for_the_confirmation_block(tmp_path):
    """A chapter without its ``{confirmation-seeds} NN`` block after the claim check breaks the contract,
    and so does one that shows another chapter's block."""
    import nbformat

    chapter = CHAPTERS[0]
    nb = nbformat.read(chapter.with_suffix(".ipynb"), as_version=4)
    block = [c for c in nb.cells if c.cell_type == "markdown" and "{confirmation-seeds}" in c.source]
    assert len(block) == 1
    for cells, what in ((nb.cells[:nb.cells.index(block[0])], "missing"),
                        (nb.cells[:-1] + [nbformat.v4.new_markdown_cell(block[0].source.replace(
                            f"}} {chapter.name[:2]}", "} 99"))], "another chapter's")):
        broken = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
        target = tmp_path / what.replace(" ", "_").replace("'", "") / chapter.name
        target.parent.mkdir()
        nbformat.write(broken, target.with_suffix(".ipynb"))
        problems = contract_problems(target)
        assert any("confirmation-seeds" in p for p in problems), (what, problems)


def test_pairing_check_catches_an_edited_py(tmp_path, monkeypatch):
    chapter = CHAPTERS[0]
    for suffix in (".py", ".ipynb"):
        (tmp_path / chapter.name).with_suffix(suffix).write_text(chapter.with_suffix(suffix).read_text())
    py = (tmp_path / chapter.name).with_suffix(".py")
    py.write_text(py.read_text().replace("seed = 0", "seed = 1", 1))
    monkeypatch.setattr("ibcore.notebooks.ROOT", tmp_path)
    problems = pairing_problems(tmp_path / chapter.name)
    assert problems and "differs" in problems[0]


def _copy_chapter(chapter: Path, tmp_path: Path) -> Path:
    """A paired copy of a chapter: its stored .ipynb and a .py written from it."""
    copy = tmp_path / chapter.name
    shutil.copyfile(chapter.with_suffix(".ipynb"), copy.with_suffix(".ipynb"))
    jupytext.write(nbformat.read(copy.with_suffix(".ipynb"), as_version=4), copy.with_suffix(".py"), fmt="py:percent")
    assert pairing_state(copy) == "paired"
    return copy


def test_check_shows_the_differing_lines(tmp_path, monkeypatch):
    copy = _copy_chapter(CHAPTERS[0], tmp_path)
    py = copy.with_suffix(".py")
    py.write_text(py.read_text().replace("seed = 0", "seed = 1", 1))
    monkeypatch.setattr("ibcore.notebooks.ROOT", tmp_path)
    [problem] = pairing_problems(copy)
    head, *diff = problem.splitlines()
    assert "differs" in head and "in code" in head and "make chapter NB=" in head
    assert any(line.strip().startswith("-seed = 0") for line in diff)
    assert any(line.strip().startswith("+seed = 1") for line in diff)


def test_a_markdown_only_edit_is_synced_keeping_the_outputs(tmp_path, monkeypatch):
    copy = _copy_chapter(CHAPTERS[0], tmp_path)
    py, ipynb = copy.with_suffix(".py"), copy.with_suffix(".ipynb")
    before = nbformat.read(ipynb, as_version=4)
    title = next(c for c in jupytext.read(py).cells if c.cell_type == "markdown").source.splitlines()[0]
    py.write_text(py.read_text().replace(title, title + " (edited)", 1))
    monkeypatch.setattr("ibcore.notebooks.ROOT", tmp_path)
    assert pairing_state(copy) == "prose"
    assert "markdown only" in pairing_problems(copy)[0]
    assert sync_prose(copy)
    after = nbformat.read(ipynb, as_version=4)
    assert pairing_problems(copy) == [] and after.cells[0].source.startswith(title + " (edited)")
    code = lambda nb: [(c.source, c.outputs, c.execution_count) for c in nb.cells if c.cell_type == "code"]
    assert code(after) == code(before) and after.metadata == before.metadata


def test_sync_refuses_prose_only_when_code_differs(tmp_path, monkeypatch):
    copy = _copy_chapter(CHAPTERS[0], tmp_path)
    py = copy.with_suffix(".py")
    py.write_text(py.read_text().replace("seed = 0", "seed = 1", 1))
    monkeypatch.setattr("ibcore.notebooks.ROOT", tmp_path)
    before = copy.with_suffix(".ipynb").read_bytes()
    assert pairing_state(copy) == "code" and not sync_prose(copy)
    assert copy.with_suffix(".ipynb").read_bytes() == before


def test_a_failed_execution_leaves_the_notebook_unchanged(tmp_path, monkeypatch):
    copy = _copy_chapter(CHAPTERS[0], tmp_path)
    ipynb = copy.with_suffix(".ipynb")
    before = ipynb.read_bytes()

    def fails(source, output, parameters=None, cwd=None):
        output.write_text("{}")  # a partial output, as an interrupted papermill leaves it
        raise notebooks.ChapterFailed(f"ValueError: boom\n  (code cell 3; the full traceback is in {output})")

    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(notebooks, "run_papermill", fails)
    with pytest.raises(notebooks.ChapterFailed, match=r"(?s)^ValueError: boom.*left unchanged"):
        notebooks.execute(copy)
    assert ipynb.read_bytes() == before
    assert (tmp_path / "runs" / f"{copy.name}-failed.ipynb").exists()

    def succeeds(source, output, parameters=None, cwd=None):
        shutil.copyfile(source, output)

    monkeypatch.setattr(notebooks, "run_papermill", succeeds)
    notebooks.execute(copy)
    assert pairing_problems(copy) == [] and ipynb.read_bytes() != before


def test_rerun_refuses_unknown_names_and_scalar_lists_before_running(capsys):
    assert rerun.main(["01", "-p", "sead", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown parameter 'sead' (did you mean 'seed'?) for chapter 01")
    assert "seed, scale, device" in err and err.count("\n") == 1
    list_chapter = next(c for c in CHAPTERS if "betas = [" in c.with_suffix(".py").read_text())
    number = list_chapter.name[:2]
    assert rerun.main([number, "-p", "betas", "0.1"]) == 2
    assert '-y "betas: [0.1, 0.5]"' in capsys.readouterr().err
    declared = rerun.chapter_parameters(list_chapter.with_suffix(".ipynb"))
    assert rerun.resolve_parameters(number, declared, {"betas": "[0.1, 0.5]", "seed": 3}) == {
        "betas": [0.1, 0.5], "seed": 3}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_chapter_reruns_at_smoke_scale(chapter, tmp_path):
    out = tmp_path / f"{chapter.name}-smoke.ipynb"
    pm.execute_notebook(str(chapter.with_suffix(".ipynb")), str(out), parameters={"scale": "smoke"},
                        kernel_name="python3", progress_bar=False, cwd=str(chapter.parent))
    nb = nbformat.read(out, as_version=4)
    check = [c for c in nb.cells if c.cell_type == "code"][-1]
    text = "".join(o.get("text", "") for o in check.outputs)
    assert "claim check (smoke scale" in text


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
    """Chapter 2 keeps running with its second annealing recipe (one-sided capacity), which is not its
    default: its .py paired to a notebook and run at smoke scale."""
    draft = ROOT / "notebooks" / "02_annealing.py"
    notebook = tmp_path / "02.ipynb"
    jupytext.write(jupytext.read(draft), notebook)
    out = tmp_path / "02-capacity.ipynb"
    pm.execute_notebook(str(notebook), str(out), parameters={"scale": "smoke", "anneal": "capacity"},
                        kernel_name="python3", progress_bar=False, cwd=str(draft.parent))
    text = "".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "claim check (smoke scale" in text


@pytest.mark.slow
def test_a_misspelled_parameter_fails_at_the_parameters_cell_under_plain_papermill(tmp_path):
    """papermill only warns about a name the parameters cell lacks; the chapter's validation refuses it."""
    chapter = CHAPTERS[0]
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(chapter.with_suffix(".ipynb")), str(tmp_path / "bad.ipynb"),
                            parameters={"sead": 3, "scale": "smoke"}, kernel_name="python3", progress_bar=False,
                            cwd=str(chapter.parent))
    assert err.value.ename == "ValueError"
    assert err.value.evalue.startswith("unknown parameter 'sead' (did you mean 'seed'?)")


def _readme_rerun_command() -> list[str]:
    """The README's first ``make rerun ...`` command line, as a reader would copy it."""
    match = re.search(r"^make rerun CHAPTER=\S+ ARGS=\"[^\"]*\"", (ROOT / "README.md").read_text(), re.M)
    assert match, "README.md shows no `make rerun CHAPTER=... ARGS=\"...\"` command"
    return shlex.split(match.group(0))


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """A ``git clone`` of this repository with the working tree's changes on top: what a reader gets from
    a clone once they are committed (no runs/, no _build/, no .venv: the tests' .venv is used)."""
    dest = tmp_path_factory.mktemp("clone") / "book"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)], check=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=dest, check=True, capture_output=True,
                             text=True).stdout.split("\0")
    for name in filter(None, tracked):
        if not (ROOT / name).exists():
            (dest / name).unlink(missing_ok=True)
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    assert not (dest / "runs").exists()
    return dest


def _make_in(clone: Path, command: list[str], timeout: int) -> subprocess.CompletedProcess:
    """Run a README ``make`` command in ``clone`` with this checkout's .venv (not rebuilt: ``-o``)."""
    venv = Path(sys.executable).parent.parent
    assert command[0] == "make"
    cmd = ["make", f"VENV={venv}", "-o", str(venv / ".installed-stamp"), *command[1:]]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(cmd, cwd=clone, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_the_readmes_rerun_command_works_on_a_fresh_clone(fresh_clone):
    command = _readme_rerun_command()
    assert "-p scale smoke" in " ".join(command), "the README's first rerun command should run in seconds"
    proc = _make_in(fresh_clone, command, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = list((fresh_clone / "runs").glob("*.ipynb"))
    assert len(runs) == 1, f"expected one notebook in runs/, found {runs}"
    nb = nbformat.read(runs[0], as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "claim check (smoke scale" in text
    assert not any(o.get("name") == "stderr" for c in nb.cells for o in c.get("outputs", [])), \
        "progress bars or warnings were stored in the notebook"


@pytest.mark.slow
def test_a_misspelled_parameter_fails_before_training_naming_it(fresh_clone):
    command = [re.sub(r"-p seed ", "-p sead ", a) for a in _readme_rerun_command()]
    assert any("-p sead " in a for a in command), command
    started = time.monotonic()
    proc = _make_in(fresh_clone, command, timeout=300)
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: unknown parameter 'sead' (did you mean 'seed'?)"), proc.stderr[:2000]
    assert "its parameters are: seed, scale, device" in proc.stderr
    assert time.monotonic() - started < 60, "the misspelled name must be refused before anything runs"


@pytest.mark.slow
def test_a_bad_value_prints_the_chapters_own_error_line(capsys, tmp_path):
    """A value the chapter refuses: one short line from the chapter, not papermill's traceback."""
    assert rerun.main(["01", "-p", "scale", "huge", "-o", str(tmp_path / "huge.ipynb")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chapter 01 failed: ValueError: scale must be one of 'smoke', 'book', 'paper'; got 'huge'")
    assert len(err.splitlines()) <= 3 and "Traceback" not in err
    assert (tmp_path / "huge.ipynb").exists()  # the executed notebook keeps the full traceback
