"""Architecture rules that keep Encore clean (docs/ARCHITECTURE.md, "Layers"). Each test fails on a violation.

- core never imports Qt;
- no stage imports core.cli or core.library, and a stage imports only the stages below it;
- ui/ and core/cli/ reach the core only through core.library, core.models and core.errors;
- no SQL outside core/db;
- starting the CLI imports nothing heavy.
"""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
STAGES = ("scan", "analysis", "embed", "search", "recommend", "explain")
# The only arrows between stages (all downward): search and recommend read embeddings; explain reads
# the query intent of search. Anything else would make a stage depend on one above or beside it.
STAGE_MAY_IMPORT = {"scan": set(), "analysis": set(), "embed": set(), "search": {"embed"},
                    "recommend": {"embed"}, "explain": {"search", "embed"}}
FACE_MAY_IMPORT = {"core.library", "core.models", "core.errors"}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX))\b", re.S)
# Reviewed exceptions: none. Add a file here only with a comment that says why it cannot use core/db.
SQL_ALLOWED: set[str] = set()


def _py_files(*parts: str) -> list[pathlib.Path]:
    return sorted((ROOT.joinpath(*parts)).rglob("*.py"))


def _name(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def imported_modules(path: pathlib.Path, package: str | None = None) -> set[str]:
    """Every module a file imports, at module level or inside functions (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _core_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "core" or m.startswith("core.")}


def _face_offences(modules: set[str], own: str) -> set[str]:
    bad = set()
    for m in _core_modules(modules):
        if m.startswith(own) or m in ("core", "core.library", "core.models", "core.errors"):
            continue
        if any(m.startswith(allowed + ".") for allowed in FACE_MAY_IMPORT):
            continue  # `from core.library import Library` also lists "core.library.Library"
        bad.add(m)
    return bad


def test_core_never_imports_qt():
    offenders = [str(p) for p in _py_files("core")
                 if any(m.split(".")[0] in ("PySide6", "PyQt6", "shiboken6") for m in imported_modules(p))]
    assert offenders == []


def test_no_stage_imports_the_faces_or_a_stage_above_it():
    offences = []
    for stage in STAGES:
        for path in _py_files("core", stage):
            for m in _core_modules(imported_modules(path)):
                parts = m.split(".")
                if len(parts) < 2:
                    continue
                if parts[1] in ("cli", "library") or (
                        parts[1] in STAGES and parts[1] != stage and parts[1] not in STAGE_MAY_IMPORT[stage]):
                    offences.append(f"{path.relative_to(ROOT)} imports {m}")
    assert offences == []


def test_ui_reaches_the_core_only_through_the_facade():
    offences = [f"{p.relative_to(ROOT)} imports {m}" for p in _py_files("ui")
                for m in sorted(_face_offences(imported_modules(p), own="ui"))]
    assert offences == []


def test_cli_reaches_the_core_only_through_the_facade():
    offences = [f"{p.relative_to(ROOT)} imports {m}" for p in _py_files("core", "cli")
                for m in sorted(_face_offences(imported_modules(p), own="core.cli"))]
    assert offences == []


def sql_strings(path: pathlib.Path) -> list[str]:
    """String literals in a file that are SQL statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            out.append(f"{_name(path)}:{node.lineno}: {node.value.strip()[:60]}")
    return out


def test_no_sql_outside_core_db():
    files = [p for p in _py_files("core") + _py_files("ui") if "db" not in p.relative_to(ROOT).parts[:2]]
    found = [s for p in files if str(p.relative_to(ROOT)) not in SQL_ALLOWED for s in sql_strings(p)]
    assert found == []


def test_the_rules_catch_what_they_forbid(tmp_path):
    """The checks above are not vacuous: a stage importing the CLI, a relative import of the library,
    a view importing core.db and SQL in a string are all seen."""
    probe = tmp_path / "probe.py"
    probe.write_text("from .. import library\n"
                     "def f():\n    from core.cli import main\n    import core.db.items\n"
                     "    return 'SELECT id FROM items WHERE x = 1', 'select a word from a list'\n")
    found = imported_modules(probe, package="core.scan")
    assert {"core.cli", "core.library", "core.db.items"} <= found
    assert _face_offences(found, own="ui") >= {"core.cli", "core.db.items"}
    assert len(sql_strings(probe)) == 1


def test_cli_start_does_not_import_heavy_libraries():
    code = ("import sys; import core.cli as c; c.build_parser(); "
            "print(sorted(m for m in ('torch','sentence_transformers','llama_cpp','librosa','PySide6','cv2') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
