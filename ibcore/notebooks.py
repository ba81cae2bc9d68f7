"""Book tooling: the pairing and contract checks of the chapters, and (re-)execution of chapters.

``python -m ibcore.notebooks check`` prints what is wrong with the chapters (pairing, with the differing
lines, and contract) and exits non-zero if anything is. ``python -m ibcore.notebooks sync [FILES]`` brings
each chapter's ``.ipynb`` up to date with its ``.py``:

- only markdown differs: the prose is copied into the ``.ipynb``, its outputs are kept (no execution);
- otherwise the chapter is executed at book scale with papermill into a temporary file, and the ``.ipynb``
  is replaced only when the execution succeeds (a failed or interrupted run leaves it as it was).

``--stale`` skips the chapters that are already paired; ``--prose`` only syncs prose (and fails if code
differs); ``--execute`` always executes. Used by the Makefile (``make chapter``, ``make sync``,
``make check``, ``make book``), ``ibcore.rerun`` and the tests.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"


def toc_chapters(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks listed in ``_toc.yml`` (paths without suffix, under ``notebooks/``)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc)
    return [root / f for f in files if f.startswith("notebooks/")]


def find_chapter(name: str) -> Path:
    """A chapter from ``01``, ``1``, ``01_beta_vae_decomposition`` or a path to its ``.py``/``.ipynb``
    (the path without suffix, as :func:`toc_chapters` gives it). Raises ``ValueError`` listing the chapters."""
    chapters = toc_chapters()
    stem = Path(name).name
    for suffix in (".py", ".ipynb"):
        stem = stem.removesuffix(suffix)
    for ch in chapters:
        number = ch.name.split("_", 1)[0]
        if stem in (ch.name, number) or (stem.isdigit() and int(stem) == int(number)):
            return ch
    raise ValueError(f"no chapter {name!r}; the chapters are: " + ", ".join(c.name for c in chapters))


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def _code(cells):
    return [c for c in cells if c[0] == "code"]


def _lines(cells) -> list[str]:
    out: list[str] = []
    for i, (kind, source, tags) in enumerate(cells):
        out.append(f"# %% cell {i} ({kind})" + (f" tags={list(tags)}" if tags else ""))
        out.extend(source.splitlines())
    return out


def pairing_state(chapter: Path) -> str:
    """``"paired"``, ``"prose"`` (only markdown cells differ: no re-execution needed) or ``"code"``
    (code cells differ, or the ``.ipynb`` is missing)."""
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    if not ipynb.exists():
        return "code"
    want, have = _cells(jupytext.read(py)), _cells(nbformat.read(ipynb, as_version=4))
    if want == have:
        return "paired"
    return "prose" if _code(want) == _code(have) else "code"


def pairing_problems(chapter: Path, context: int = 1, max_lines: int = 40) -> list[str]:
    """Differences between a chapter's ``.py`` (the source) and its stored ``.ipynb``: a headline saying
    which command fixes them, then the differing lines (a unified diff, at most ``max_lines``)."""
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    missing = [str(p.relative_to(ROOT)) + " is missing" for p in (py, ipynb) if not p.exists()]
    if missing:
        return missing
    want, have = _cells(jupytext.read(py)), _cells(nbformat.read(ipynb, as_version=4))
    if want == have:
        return []
    nb_arg = f"NB={py.relative_to(ROOT)}"
    if _code(want) == _code(have):
        head = (f"{ipynb.name} differs from {py.name} in markdown only: `make chapter {nb_arg}` copies the "
                "prose and keeps the outputs")
    else:
        head = f"{ipynb.name} differs from {py.name} in code: `make chapter {nb_arg}` re-executes it at book scale"
    diff = list(difflib.unified_diff(_lines(have), _lines(want), f"{ipynb.name} (stored)", f"{py.name} (source)",
                                     n=context, lineterm=""))
    if len(diff) > max_lines:
        diff = diff[:max_lines] + [f"... ({len(diff) - max_lines} more diff lines)"]
    return [head + "\n" + "\n".join("    " + line for line in diff)]


def sync_prose(chapter: Path) -> bool:
    """Copy the markdown of a chapter's ``.py`` into its ``.ipynb``, keeping every code cell's outputs.

    Returns False (and changes nothing) if the code cells differ: then the chapter must be executed.
    """
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    new, old = jupytext.read(py), nbformat.read(ipynb, as_version=4)
    if _code(_cells(new)) != _code(_cells(old)):
        return False
    old_code = iter(c for c in old.cells if c.cell_type == "code")
    old_prose = {c.source.strip(): c for c in old.cells if c.cell_type != "code"}
    cells = []
    for cell in new.cells:
        if cell.cell_type == "code":
            cells.append(next(old_code))  # same source and tags: keep outputs, counts and metadata
        else:
            kept = old_prose.get(cell.source.strip())
            if kept is not None and tuple(kept.metadata.get("tags", [])) == tuple(cell.metadata.get("tags", [])):
                cells.append(kept)
            else:
                cell = nbformat.v4.new_markdown_cell(cell.source, metadata=dict(cell.metadata)) \
                    if cell.cell_type == "markdown" else cell
                cells.append(cell)
    old.cells = cells
    _write_atomically(old, ipynb)
    return True


def _write_atomically(nb, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.partial")
    nbformat.write(nb, tmp)
    os.replace(tmp, target)


class ChapterFailed(RuntimeError):
    """A chapter's execution failed. ``str()`` is the chapter's own error line and where the executed
    notebook (with the full traceback) is."""


def run_papermill(source: Path, output: Path, parameters: dict | None = None, cwd: Path | None = None) -> None:
    """Execute the notebook ``source`` into ``output`` with papermill (kernel ``python3``).

    The kernel imports this checkout's ``ibcore`` (``PYTHONPATH``), inherits this process's terminal (so
    training progress bars show there, not in the notebook; papermill's own per-cell bar is off so the two
    do not interleave) and a failure raises :class:`ChapterFailed`
    with a one-line message instead of papermill's long traceback.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    try:
        pm.execute_notebook(str(source), str(output), parameters=parameters or {}, kernel_name="python3",
                            cwd=str(cwd or source.parent), progress_bar=False, log_output=False)
    except PapermillExecutionError as err:
        evalue = str(err.evalue).strip().splitlines()
        line = f"{err.ename}: {evalue[0] if evalue else ''}".rstrip(": ")
        raise ChapterFailed(f"{line}\n  (code cell {err.exec_count}; the full traceback is in {_show_path(output)})") \
            from None


def _show_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def contract_problems(chapter: Path) -> list[str]:
    """What a chapter's stored ``.ipynb`` lacks of the chapter contract (shared/DESIGN.md)."""
    ipynb = chapter.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{ipynb.name} is missing"]
    nb = nbformat.read(ipynb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = []
    params = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    if not params:
        problems.append(f"{ipynb.name}: no cell tagged 'parameters'")
    else:
        src = code[params[0]].source
        for name in ("seed", "scale", "device"):
            if f"{name} =" not in src:
                problems.append(f"{ipynb.name}: the parameters cell does not set {name!r}")
        after = code[params[0] + 1].source if params[0] + 1 < len(code) else ""
        if "params.resolve(" not in after:
            problems.append(f"{ipynb.name}: the cell after 'parameters' does not validate them (params.resolve)")
    if not code or CHECK_MARKER not in code[-1].source:
        problems.append(f"{ipynb.name}: the last code cell is not a claim check marked {CHECK_MARKER}")
    elif not code[-1].get("outputs"):
        problems.append(f"{ipynb.name}: the claim-check cell has no stored output (execute the chapter)")
    if nb.cells[0].cell_type != "markdown" or not nb.cells[0].source.lstrip().startswith("# "):
        problems.append(f"{ipynb.name}: does not open with a markdown title")
    if "{cite}" not in "".join(c.source for c in nb.cells if c.cell_type == "markdown"):
        problems.append(f"{ipynb.name}: cites no paper ({{cite}})")
    # the confirmation seeds' verdicts are shown in the chapter itself, after its claim check (issue 21)
    last_check = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and CHECK_MARKER in c.source),
                     default=None)
    directive = f"```{{confirmation-seeds}} {chapter.name[:2]}"
    if last_check is not None and not any(directive in c.source for c in nb.cells[last_check + 1:]
                                          if c.cell_type == "markdown"):
        problems.append(f"{ipynb.name}: no markdown cell after the claim check holds {directive}``` "
                        "(the confirmation seeds' verdicts)")
    return problems


def parameter_problems(chapter: Path) -> list[str]:
    """What in a chapter's validation cell would hide a bad list parameter's name: ``sorted(betas)`` turns
    ``-p betas 0.1`` into a bare TypeError and ``-p betas "[1, 2]"`` into characters; pass the raw parameter
    to ``params.check_values(..., sort=True)`` instead."""
    import re

    source = chapter.with_suffix(".py").read_text() if chapter.with_suffix(".py").exists() else ""
    names = re.findall(r"check_values\(\s*\"(\w+)\",\s*sorted\(", source)
    return [f"{chapter.name}.py: check_values({n!r}, sorted({n}), ...) hides a bad {n}; pass {n} with sort=True"
            for n in names]


def execute(chapter: Path, parameters: dict | None = None, output: Path | None = None) -> None:
    """Execute a chapter's ``.py`` (its source) with papermill.

    With ``output`` None (``make chapter``), the chapter runs at book scale from a temporary copy and its
    ``.ipynb`` is replaced only when the run succeeds; a failed run is kept in ``runs/`` for reading.
    Otherwise the run is written to ``output``. Raises :class:`ChapterFailed` on failure.
    """
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    with tempfile.TemporaryDirectory(prefix=f"{chapter.name}-") as tmp:
        source = Path(tmp) / ipynb.name
        jupytext.write(jupytext.read(py), source)  # the .py's cells: nothing stale survives
        if output is not None:
            run_papermill(source, output, parameters, cwd=ipynb.parent)
            return
        result = Path(tmp) / f"executed-{ipynb.name}"
        try:
            run_papermill(source, result, parameters, cwd=ipynb.parent)
        except ChapterFailed as err:
            failed = ROOT / "runs" / f"{chapter.name}-failed.ipynb"
            if result.exists():
                failed.parent.mkdir(exist_ok=True)
                shutil.copyfile(result, failed)
            raise ChapterFailed(str(err).replace(_show_path(result), _show_path(failed))
                                + f"\n  {ipynb.name} was left unchanged") from None
        tmp_target = ipynb.with_name(f".{ipynb.name}.partial")
        shutil.copyfile(result, tmp_target)
        os.replace(tmp_target, ipynb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ibcore.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="pairing (with the differing lines) and contract problems of every chapter")
    sync = sub.add_parser("sync", help="bring .ipynb up to date with .py: copy prose, or execute at book scale")
    sync.add_argument("--stale", action="store_true", help="skip chapters whose .ipynb already matches the .py")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--prose", action="store_true", help="only copy markdown; fail if code cells differ")
    mode.add_argument("--execute", action="store_true", help="execute even if only markdown differs")
    sync.add_argument("files", nargs="*", help="chapter .py files (default: every chapter in _toc.yml)")
    args = parser.parse_args(argv)
    chapters = toc_chapters()
    if args.command == "check":
        problems = [p for ch in chapters for p in pairing_problems(ch) + contract_problems(ch)
                    + parameter_problems(ch)]
        print("\n".join(problems) or f"{len(chapters)} chapters: paired and following the contract")
        return 1 if problems else 0
    if args.files:
        try:
            chapters = [find_chapter(f) for f in args.files]
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
    status = 0
    for ch in chapters:
        name = ch.relative_to(ROOT)
        state = pairing_state(ch)
        if state == "prose" and not args.execute:
            sync_prose(ch)
            print(f"{name}: markdown only: prose copied into the .ipynb, outputs kept (no execution)", flush=True)
            if not contract_problems(ch):
                continue
            state = "paired"
        if args.prose:
            if state == "code":
                print(f"{name}: code cells differ: run `make chapter NB={name}.py` to execute it", file=sys.stderr)
                status = 1
            continue
        if args.stale and state == "paired" and not contract_problems(ch):
            continue
        print(f"executing {name} at book scale", flush=True)
        try:
            execute(ch)
        except ChapterFailed as err:
            print(f"{name} failed: {err}", file=sys.stderr)
            status = 1
        except KeyboardInterrupt:
            print(f"\n{name}: interrupted; {ch.with_suffix('.ipynb').name} was left unchanged", file=sys.stderr)
            return 130
    return status


if __name__ == "__main__":
    raise SystemExit(main())
