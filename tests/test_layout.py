"""The package's shape: one top-level name installed, every module importable as users import it, no import
cycles, and dependencies that point one way (front doors → job → planning → stages → common)."""
from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "autoscore_video"
NOT_PACKAGED = {"tests", "bench", "samples", "docs", ".venv", "build", "dist"}

# Each layer may import only from lower ones; inside a layer, a module imports only its own sub-package.
LAYERS = {
    "common": 0,
    "analysis": 1, "generation": 1, "mixing": 1,
    "scoring.planning": 2,
    "scoring.job": 3,
    "scoring.watch": 4, "scoring.hooks": 4, "scoring.editorial": 4, "scoring.service": 4,
    "scoring.cli": 5,
}


def source_modules() -> dict[str, Path]:
    """Every module of the package in the repository, by the name users import it under."""
    modules = {PACKAGE: ROOT / "__init__.py", f"{PACKAGE}.__main__": ROOT / "__main__.py"}
    for init in sorted(ROOT.rglob("__init__.py")):
        folder = init.parent
        relative = folder.relative_to(ROOT)
        if folder == ROOT or relative.parts[0] in NOT_PACKAGED or relative.parts[0].startswith("."):
            continue
        package = ".".join((PACKAGE, *relative.parts))
        for path in sorted(folder.glob("*.py")):
            modules[package if path.name == "__init__.py" else f"{package}.{path.stem}"] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports, at any depth of its code (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def layer_of(module: str) -> str | None:
    relative = module[len(PACKAGE) + 1:]
    for layer in sorted(LAYERS, key=len, reverse=True):
        if relative == layer or relative.startswith(layer + "."):
            return layer
    return None


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_site_packages_holds_one_top_level_name_for_this_project():
    """Read from the environment's site-packages, not from the egg-info a build leaves in the checkout."""
    site = sysconfig.get_paths()["purelib"]
    (dist,) = [d for d in importlib.metadata.distributions(path=[site]) if d.metadata["Name"] == "autoscore-video"]
    tops = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith(".dist-info") or first in ("..", "__pycache__") or first.startswith("__editable__"):
            continue
        tops.add(first[:-3] if first.endswith(".py") else first)
    assert tops <= {PACKAGE}, tops
    assert dist.entry_points.select(group="console_scripts", name="autoscore")


def test_every_module_imports_on_its_own_as_users_import_it():
    """Each module is imported first, in a process whose package modules are all forgotten before it: an
    import cycle that bites only when one module is imported first fails here. Where the package is not an
    editable install, a folder missing from pyproject's package list fails here too."""
    names = sorted(name for name in source_modules() if not name.endswith(".__main__"))  # __main__ runs the CLI
    program = (
        "import importlib, json, sys, traceback\n"
        "failed = {}\n"
        f"for name in {names!r}:\n"
        f"    for loaded in [m for m in sys.modules if m == {PACKAGE!r} or m.startswith({PACKAGE + '.'!r})]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except BaseException as exc:\n"
        "        failed[name] = traceback.format_exception_only(exc)[-1].strip()\n"
        "print(json.dumps(failed))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT.parent,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert not failed, failed
    assert len(names) > 60


def test_every_package_folder_is_listed_for_installation():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {name for name, path in source_modules().items() if path.name == "__init__.py"}
    assert folders | {f"{PACKAGE}.scoring.hooks.scripts"} == listed  # the editors' scripts: data, never imported


def test_every_install_hint_names_this_distribution_and_an_extra_it_has():
    """`pip install 'NAME[EXTRA]'` in the code, the README and docs/ names this project's distribution (PyPI's
    `autoscore` is an unrelated library) or the checkout (`.`), and extras that pyproject declares."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    texts = [*source_modules().values(), ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    hints = [(path.name, name, wanted) for path in texts
             for name, wanted in re.findall(r"pip install ['\"]([A-Za-z0-9_.-]+)\[([a-z,]+)\]", path.read_text())]
    assert len(hints) >= 5
    for where, name, wanted in hints:
        assert name in (project["name"], "."), (where, name)
        assert set(wanted.split(",")) <= extras, (where, wanted)


def test_ci_runs_the_readme_test_command_which_pins_the_cpu_torch_that_the_extras_accept():
    """The README's two fresh-machine commands are one line each, and `.ci/run` runs the second as written. It
    installs a pinned torch before the extras (left to the resolver, torch is the newest CUDA build), and the
    extras' own torch requirement admits that pin, so pip keeps it."""
    import re
    import tomllib

    from packaging.requirements import Requirement

    script = ROOT / ".ci" / "readme_command.py"
    score, tests = (subprocess.run([sys.executable, str(script), which], capture_output=True, text=True,
                                   check=True).stdout.strip() for which in ("score", "tests"))
    assert score.endswith("autoscore score samples/energetic.mp4") and "pip install ." in score
    assert "readme_command.py tests" in (ROOT / ".ci" / "run").read_text()
    pin = re.search(r"pip install torch==([0-9.]+) && pip install \"\.\[([a-z,]+)\]\"", tests)
    assert pin, tests
    assert tests.endswith("ruff check . && pyright && python -m pytest")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    torch_requirements = [Requirement(spec) for extra in pin.group(2).split(",") for spec in extras[extra]
                          if Requirement(spec).name == "torch"]
    assert torch_requirements
    assert all(requirement.specifier.contains(pin.group(1)) for requirement in torch_requirements)


def test_the_sdist_is_a_whole_source_release_and_the_wheel_only_the_package(tmp_path):
    """The sdist carries what its README and tests need (the suite's helpers and data, the linked docs, the
    samples the README scores, CI's script); the wheel carries the package, py.typed and the licence only."""
    import re
    import tarfile
    import zipfile

    build = ("from setuptools import build_meta; import sys; out = sys.argv[1]; "  # build_meta rewrites sys.argv
             "print('BUILT', build_meta.build_sdist(out), build_meta.build_wheel(out))")
    made = subprocess.run([sys.executable, "-c", build, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    sdist_name, wheel_name = made.stdout.split("BUILT ")[-1].split()
    with tarfile.open(tmp_path / sdist_name) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)]+\.md)\)", readme))
    assert len(linked) >= 5
    wanted = {"tests/conftest.py", "tests/measure.py", "tests/corpus.py", "samples/energetic.mp4", "samples/calm.srt",
              "samples/make_samples.py", ".ci/run", ".ci/readme_command.py", "LICENSE", "README.md", *linked,
              *(f"tests/data/{p.name}" for p in (ROOT / "tests" / "data").iterdir())}
    assert wanted <= in_sdist, wanted - in_sdist
    assert not any("__pycache__" in name or ".partial-" in name for name in in_sdist)
    with zipfile.ZipFile(tmp_path / wheel_name) as wheel:
        tops = {name.split("/")[0] for name in wheel.namelist()}
        assert f"{PACKAGE}/py.typed" in wheel.namelist()
    assert tops == {PACKAGE, wheel_name.split("-py3")[0] + ".dist-info"}, tops


def test_the_default_install_pulls_in_no_gpl_package():
    """What `pip install autoscore-video` installs (its requirements and theirs, extras left out) declares no
    GPL licence (LGPL is fine): mutagen (GPL-2.0+) was in it for the MP3 stem's tags. The bundled ffmpeg
    program and the TimGM6mb bank are data and a separate program, named in the README's Licence section."""
    from tests.licences import default_install, is_gpl

    licences = default_install()
    assert len(licences) > 30
    assert not {name: text for name, text in licences.items() if is_gpl(text)}
    assert is_gpl("GPL-2.0-or-later") and is_gpl("GNU General Public License v2 or later (GPLv2+)")
    assert not is_gpl("LGPL-2.1-or-later") and not is_gpl("GNU Lesser General Public License v2 (LGPLv2)")


def test_the_dependencies_page_lists_every_licence_as_installed():
    """docs/dependencies.md is what `python -m tests.licences` writes from the installed packages."""
    from tests.licences import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), "run `python -m tests.licences` and commit the page"


def test_only_the_package_is_importable_under_its_name():
    """tests, bench, samples and docs live beside the package's folders but are not part of it."""
    import importlib.util

    for folder in ("tests", "bench", "samples", "docs"):
        assert importlib.util.find_spec(f"{PACKAGE}.{folder}") is None, folder


def test_no_import_cycles_even_through_lazy_imports():
    graph = import_graph()
    cycles = strongly_connected(graph)
    assert not cycles, cycles


def test_dependencies_point_one_way():
    wrong = []
    for module, targets in import_graph().items():
        here = layer_of(module)
        for target in targets:
            there = layer_of(target)
            if here is None or there is None:  # the package's own __init__ and __main__ sit above everything
                if here is not None:
                    wrong.append(f"{module} -> {target}")
                continue
            if here == there:
                continue
            if LAYERS[here] <= LAYERS[there]:
                wrong.append(f"{module} ({here}) -> {target} ({there})")
    assert not wrong, wrong


def test_the_graph_sees_lazy_imports():
    """The cycle check would be blind if lazy imports inside functions were missed: the CLI imports the
    service only inside its commands."""
    graph = import_graph()
    assert f"{PACKAGE}.scoring.service.api" in graph[f"{PACKAGE}.scoring.cli.service"]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: every group of modules that import each other, directly or around a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


@pytest.mark.parametrize("graph, cycles", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_cycle_finder_finds_cycles(graph, cycles):
    assert strongly_connected(graph) == cycles


@pytest.mark.parametrize("package", [PACKAGE, f"{PACKAGE}.scoring", f"{PACKAGE}.mixing"])
def test_the_public_surface_is_visible_to_type_checkers_and_lazy_at_run_time(package):
    """Each name in `__all__` is imported under `if TYPE_CHECKING:` (what pyright, mypy and jedi read: a
    lazy `__getattr__` alone shows them `Any`) and, at run time, resolves to that same object. py.typed marks
    the package as typed (PEP 561) and ships in the wheel."""
    import importlib
    import tomllib

    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    guarded = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    assert len(guarded) == 1, package
    static = {}
    for node in ast.walk(guarded[0]):
        if isinstance(node, ast.ImportFrom):
            static.update({alias.asname or alias.name: node.module for alias in node.names})
    assert set(static) == set(module.__all__), package
    for name, source in static.items():
        assert getattr(module, name) is getattr(importlib.import_module(source), name), name
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data[PACKAGE] and (ROOT / "py.typed").is_file()


def test_pyright_sees_the_headline_names_with_their_signatures_where_the_package_is_installed(tmp_path):
    """What an editor shows a user of the installed package (a wheel in CI, the strict editable install in a
    checkout): `score`'s real signature, not Any."""
    import json

    (tmp_path / "pyrightconfig.json").write_text(json.dumps({"typeCheckingMode": "basic"}))
    (tmp_path / "use.py").write_text("from autoscore_video import Preferences, score\n"
                                     "reveal_type(score)\nreveal_type(Preferences)\n"
                                     "score('clip.mp4', prefs=None)\n")
    ran = subprocess.run([str(Path(sys.executable).with_name("pyright")), "--outputjson",
                          "--pythonpath", sys.executable, "use.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    found = json.loads(ran.stdout)["generalDiagnostics"]
    shown = [d["message"] for d in found if d["severity"] == "information"]
    assert shown[0].startswith('Type of "score" is "(video: Path, options: ScoreOptions | None = None'), shown
    assert shown[1] == 'Type of "Preferences" is "type[Preferences]"', shown
    errors = [d["message"] for d in found if d["severity"] == "error"]
    assert len(errors) == 1 and "prefs" in errors[0], errors  # a wrong keyword is caught, as with any typed API


def test_score_plan_watch_and_hook_share_one_definition_of_the_music_flags():
    import click
    import typer.main

    from autoscore_video.scoring.cli import score, service, tools, unattended  # noqa: F401  (they add the commands)
    from autoscore_video.scoring.cli.app import app
    from autoscore_video.scoring.planning.preferences import Preferences

    group = typer.main.get_command(app)
    context = click.Context(group)
    flags = {}
    for name in ("score", "plan", "watch", "hook"):
        command = group.get_command(context, name)
        flags[name] = {param.name for param in command.params}
    assert all(set(Preferences.names()) <= names for names in flags.values()), flags
    fallback = {name: next(p.default for p in group.get_command(context, name).params if p.name == "fallback")
                for name in flags}
    assert fallback == {"score": None, "plan": None, "watch": "symbolic", "hook": "symbolic"}
