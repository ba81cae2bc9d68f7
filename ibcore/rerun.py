"""Rerun a chapter with other parameters: ``python -m ibcore.rerun CHAPTER [-p NAME VALUE ...]``.

``make rerun CHAPTER=01 ARGS="-p seed 3 -p scale smoke"`` calls it. It takes papermill's parameter
options and, before anything runs:

- refuses a name the chapter's ``parameters`` cell does not have (``-p sead 3``), naming it and listing
  the chapter's parameters (papermill itself only warns and runs on with the default);
- turns a list written as text (``-p betas "[0.1, 0.5]"``) into a list, and refuses a single value where
  the chapter expects a list, showing how to pass one (``-y "betas: [0.1, 0.5]"``).

It then executes the chapter's ``.py`` (the source) with papermill into ``runs/`` (created if missing;
``-o`` chooses another file) and, if the chapter fails, prints the chapter's own error line, not
papermill's traceback (the executed notebook keeps the full one). Exit status: 0 on success, 1 if the
chapter failed, 2 for a bad command line. ``--list`` prints the chapter's parameters and defaults.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tempfile
from pathlib import Path

import jupytext
import yaml

from ibcore.notebooks import ROOT, ChapterFailed, find_chapter, run_papermill
from ibcore.params import as_list, check_known


class UsageError(ValueError):
    """A bad command line: the message says what is wrong and how to fix it."""


def _value(text: str):
    """A ``-p`` value as papermill's command line reads it: True/False/None, int, float, else text."""
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _default(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def chapter_parameters(source: Path) -> dict[str, dict]:
    """The chapter's ``parameters`` cell as papermill reads it: name -> {default, help, ...}."""
    import papermill as pm

    return pm.inspect_notebook(str(source))


def resolve_parameters(chapter: str, declared: dict[str, dict], given: dict) -> dict:
    """Check ``given`` against the chapter's ``declared`` parameters; return them with text lists parsed.

    Raises :class:`UsageError` for an unknown name or a non-list where the default is a list.
    """
    try:
        check_known(chapter, list(given), list(declared))
    except ValueError as err:
        raise UsageError(str(err)) from None
    resolved = {}
    for name, value in given.items():
        if isinstance(_default(declared[name]["default"]), (list, tuple)):
            try:
                value = as_list(name, value)
            except ValueError as err:
                raise UsageError(str(err)) from None
        resolved[name] = value
    return resolved


def default_output(chapter: Path, parameters: dict) -> Path:
    """``runs/NN-name-value-....ipynb`` for a chapter and its parameters (``runs/NN.ipynb`` with none)."""
    number = chapter.name.split("_", 1)[0]
    parts = [number] + [f"{k}-{v}" for k, v in parameters.items()]
    stem = re.sub(r"[^A-Za-z0-9_.=-]+", "", "-".join(str(p).replace(" ", "") for p in parts))
    return ROOT / "runs" / f"{stem[:120]}.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ibcore.rerun", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapter", help="01, 1, 01_beta_vae_decomposition or a path to the chapter")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a parameter (numbers, True/False/None and text as papermill reads them; "
                             'a list as text: -p betas "[1, 2]")')
    parser.add_argument("-r", "--parameter-raw", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a parameter kept as text")
    parser.add_argument("-y", "--parameters-yaml", action="append", default=[], metavar="YAML",
                        help='parameters as YAML, e.g. -y "betas: [0.1, 0.5]"')
    parser.add_argument("-f", "--parameters-file", action="append", default=[], metavar="FILE",
                        help="parameters from a YAML file")
    parser.add_argument("-o", "--output", type=Path, help="the executed notebook (default: runs/NN-....ipynb)")
    parser.add_argument("--list", action="store_true", help="print the chapter's parameters and exit")
    args = parser.parse_args(argv)

    try:
        chapter = find_chapter(args.chapter)
        given: dict = {}
        for file in args.parameters_file:
            given.update(yaml.safe_load(Path(file).read_text()) or {})
        for text in args.parameters_yaml:
            loaded = yaml.safe_load(text)
            if not isinstance(loaded, dict):
                raise UsageError(f'-y needs YAML of the form "name: value", got {text!r}')
            given.update(loaded)
        given.update({k: v for k, v in args.parameter_raw})
        given.update({k: _value(v) for k, v in args.parameter})
    except (ValueError, OSError, yaml.YAMLError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    number = chapter.name.split("_", 1)[0]
    with tempfile.TemporaryDirectory(prefix=f"rerun-{number}-") as tmp:
        source = Path(tmp) / f"{chapter.name}.ipynb"
        jupytext.write(jupytext.read(chapter.with_suffix(".py")), source)
        declared = chapter_parameters(source)
        if args.list:
            width = max(map(len, declared))
            for name, info in declared.items():
                print(f"{name:<{width}}  {info['default']:<24}  {info.get('help') or ''}".rstrip())
            return 0
        try:
            parameters = resolve_parameters(number, declared, given)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        output = (args.output or default_output(chapter, parameters)).resolve()
        shown = ", ".join(f"{k}={v!r}" for k, v in parameters.items()) or "its defaults"
        print(f"chapter {number} with {shown} -> {_rel(output)}", flush=True)
        try:
            run_papermill(source, output, parameters, cwd=chapter.parent)
        except ChapterFailed as err:
            print(f"chapter {number} failed: {err}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\ninterrupted; the partial run is in {_rel(output)}", file=sys.stderr)
            return 130
    print(f"done: {_rel(output)}")
    return 0


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
