"""Book tooling: the pairing and contract checks of the chapters, and re-execution of stale ones.

``python -m ibcore.notebooks check`` prints what is wrong with the chapters (pairing, contract) and
exits non-zero if anything is; ``python -m ibcore.notebooks sync [--stale] [FILES]`` regenerates each
chapter's ``.ipynb`` from its ``.py`` and executes it at book scale with papermill (``--stale``: only the
chapters whose ``.ipynb`` no longer matches their ``.py``). Used by the Makefile and the tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
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


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def pairing_problems(chapter: Path) -> list[str]:
    """Differences between a chapter's ``.py`` (the source) and its stored ``.ipynb``."""
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    missing = [str(p.relative_to(ROOT)) + " is missing" for p in (py, ipynb) if not p.exists()]
    if missing:
        return missing
    want, have = _cells(jupytext.read(py)), _cells(nbformat.read(ipynb, as_version=4))
    if want == have:
        return []
    for i, (w, h) in enumerate(zip(want, have)):
        if w != h:
            return [f"{ipynb.name}: cell {i} differs from {py.name} (re-run `make chapter NB={py.relative_to(ROOT)}`)"]
    return [f"{ipynb.name} has {len(have)} cells, {py.name} has {len(want)} (re-run `make chapter`)"]


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
    return problems


def execute(chapter: Path, parameters: dict | None = None, output: Path | None = None) -> None:
    """Sync a chapter's ``.ipynb`` from its ``.py`` and execute it with papermill (in place by default)."""
    py, ipynb = chapter.with_suffix(".py"), chapter.with_suffix(".ipynb")
    if output is None:  # start from the .py's cells: nothing stale survives
        jupytext.write(jupytext.read(py), ipynb)
    cmd = [sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3", "--cwd", str(ipynb.parent), str(ipynb),
           str(output or ipynb)]
    for key, value in (parameters or {}).items():
        cmd += ["-p", key, str(value)]
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ibcore.notebooks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="pairing and contract problems of every chapter in _toc.yml")
    sync = sub.add_parser("sync", help="regenerate and execute chapters at book scale")
    sync.add_argument("--stale", action="store_true", help="only chapters whose .ipynb does not match the .py")
    sync.add_argument("files", nargs="*", help="chapter .py files (default: every chapter in _toc.yml)")
    args = parser.parse_args(argv)
    chapters = toc_chapters()
    if args.command == "check":
        problems = [p for ch in chapters for p in pairing_problems(ch) + contract_problems(ch)]
        print("\n".join(problems) or f"{len(chapters)} chapters: paired and following the contract")
        return 1 if problems else 0
    if args.files:
        chapters = [Path(f).resolve().with_suffix("") for f in args.files]
    for ch in chapters:
        if args.stale and not pairing_problems(ch) and not contract_problems(ch):
            continue
        print(f"executing {ch.relative_to(ROOT)} at book scale", flush=True)
        execute(ch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
