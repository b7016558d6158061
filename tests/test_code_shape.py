"""The shape of the product code (issue 13), read with ``ast`` from the files:
short functions, files one can read in one sitting, and layers that only
import downwards. The rules are the constants below; every failure lists
all violations with file:line, so one run shows the whole to-do list.
String imports (``uvicorn.run("api.app:create_app")``) are not seen.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# -- the rules ---------------------------------------------------------------------------------
PRODUCT_PACKAGES = ("planchat", "ingest", "retrieval", "api", "evals", "prompts")
MAX_FUNCTION_LINES = 80  # the `def` line to the body's last line; decorators not counted
MAX_FILE_LINES = 400  # .py files only, so api/static/widget.js is not held to it
# Modules that wire every layer together: each is a node of its own, above all the packages.
# planchat.integrations (the LangChain retriever) reaches ingest + retrieval for its in-process mode,
# under planchat's name so users import planchat.integrations.langchain; nothing imports it.
TOP_LAYER = ("planchat.cli", "planchat.integrations")
# What each node may import from the product packages (besides itself): the layers, bottom up.
ALLOWED_IMPORTS = {
    "planchat": set(),  # config, errors, records, Danish analysis: the base everything stands on
    "prompts": {"planchat"},
    "ingest": {"planchat"},
    "retrieval": {"planchat", "prompts", "ingest"},
    "api": {"planchat", "prompts", "ingest", "retrieval"},
    "evals": {"planchat", "prompts", "ingest", "retrieval", "api"},  # never planchat.cli
    "planchat.cli": {"planchat", "prompts", "ingest", "retrieval", "api", "evals"},
    "planchat.integrations": {"planchat", "prompts", "ingest", "retrieval"},  # a client of the layers, never of api
}
# Never imported by product code: these folders, nor their modules by bare name (they sit on sys.path).
HELPER_DIRS = ("bench", "tests")


# -- the checker -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    source: str  # the importing node: a package or a TOP_LAYER module
    target: str  # the imported node, or a helper dir
    path: str
    line: int
    module: str  # what the statement names

    @property
    def site(self) -> str:
        return f"{self.path}:{self.line}"


def python_files(root: Path, packages=PRODUCT_PACKAGES) -> list[Path]:
    return sorted(p for package in packages for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def node_of(module: str, packages=PRODUCT_PACKAGES, top_layer=TOP_LAYER) -> str | None:
    for top in top_layer:
        if module == top or module.startswith(top + "."):
            return top
    first = module.split(".")[0]
    return first if first in packages else None


def long_functions(root: Path, files: list[Path], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    found = []

    def visit(node: ast.AST, prefix: str, rel: Path) -> None:  # prefix: the enclosing classes and functions
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, prefix, rel)
                continue
            length = child.end_lineno - child.lineno + 1  # lineno is the `def` line, after any decorators
            if not isinstance(child, ast.ClassDef) and length > limit:
                found.append(f"{rel}:{child.lineno} {prefix}{child.name}: {length} lines")
            visit(child, f"{prefix}{child.name}.", rel)

    for path in files:
        visit(ast.parse(path.read_text(encoding="utf-8")), "", path.relative_to(root))
    return found


def long_files(root: Path, files: list[Path], limit: int = MAX_FILE_LINES) -> list[str]:
    lengths = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in files}
    return [f"{path.relative_to(root)}: {n} lines" for path, n in lengths.items() if n > limit]


def helper_names(root: Path) -> set[str]:
    return {*HELPER_DIRS, *(p.stem for d in HELPER_DIRS for p in (root / d).glob("*.py"))}


def imported_modules(statement: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """The modules an import statement names, relative ones made absolute."""
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    base = statement.module or ""
    if statement.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = ".".join(package[: len(package) - statement.level + 1])
        base = f"{anchor}.{base}" if base else anchor
    # `from planchat import cli` imports planchat.cli: each name may be a module.
    return [base, *(f"{base}.{alias.name}" for alias in statement.names)]


def imports(root: Path, files: list[Path], packages=PRODUCT_PACKAGES, top_layer=TOP_LAYER) -> list[Import]:
    """Every import (module level or inside a function) from one node to another or to a helper dir."""
    helpers, found = helper_names(root), {}
    for path in files:
        importer = module_name(root, path)
        source = node_of(importer, packages, top_layer)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))):
            for module in imported_modules(statement, importer, path.name == "__init__.py"):
                first = module.split(".")[0]
                target = first if first in helpers and first not in packages else node_of(module, packages, top_layer)
                if target and target != source:  # once per statement and target
                    rel = str(path.relative_to(root))
                    key = (rel, statement.lineno, target)
                    found.setdefault(key, Import(source, target, rel, statement.lineno, module))
    return [found[key] for key in sorted(found)]


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The node sets that import each other round (Kosaraju), each sorted; singletons left out."""
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    order, seen = [], set()

    def finish(node):
        seen.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in seen:
                finish(nxt)
        order.append(node)

    for node in nodes:
        if node not in seen:
            finish(node)
    reverse, assigned, groups = defaultdict(set), set(), []
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    for node in reversed(order):
        if node in assigned:
            continue
        group, stack = [], [node]
        assigned.add(node)
        while stack:
            current = stack.pop()
            group.append(current)
            for prev in reverse[current] - assigned:
                assigned.add(prev)
                stack.append(prev)
        if len(group) > 1:
            groups.append(sorted(group))
    return sorted(groups)


def shortest_cycle(start: str, edges: dict[str, set[str]], within: set[str]) -> list[str]:
    paths, queue = {start: [start]}, deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges.get(node, set()) & within):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"{start} is on no cycle")


def import_circles(found: list[Import]) -> list[str]:
    edges = defaultdict(set)
    for i in found:
        edges[i.source].add(i.target)
    circles = []
    for group in strongly_connected(edges):
        members = set(group)
        sites = [f"{i.source} -> {i.target} at {i.site} ({i.module})" for i in found if {i.source, i.target} <= members]
        circles.append(
            f"import circle among {', '.join(group)}: {' -> '.join(shortest_cycle(group[0], edges, members))}; "
            "its imports:\n    " + "\n    ".join(sites)
        )
    return circles


def layer_violations(found: list[Import], allowed=ALLOWED_IMPORTS) -> list[str]:
    return [
        f"{i.site}: {i.source} imports {i.module} ({i.target} is not below it)"
        for i in found
        if i.target in allowed and i.target not in allowed.get(i.source, set())
    ]


def helper_imports(found: list[Import], root: Path) -> list[str]:
    helpers = helper_names(root)
    return [f"{i.site}: {i.source} imports {i.module} (bench/ or tests/)" for i in found if i.target in helpers]


def listing(violations: list[str]) -> str:
    return f"{len(violations)} violation(s):\n  " + "\n  ".join(violations)


# -- the product code --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def product_files() -> list[Path]:
    return python_files(REPO)


@pytest.fixture(scope="module")
def product_imports(product_files) -> list[Import]:
    return imports(REPO, product_files)


def test_the_rules_cover_every_package_and_the_checker_sees_the_code(product_files, product_imports):
    assert set(ALLOWED_IMPORTS) == set(PRODUCT_PACKAGES) | set(TOP_LAYER)
    assert {f.relative_to(REPO).parts[0] for f in product_files} == set(PRODUCT_PACKAGES)
    assert any(i.source == "planchat.cli" and i.target == "api" for i in product_imports)


def test_no_function_is_longer_than_the_limit(product_files):
    violations = long_functions(REPO, product_files)
    assert not violations, f"functions longer than {MAX_FUNCTION_LINES} lines: " + listing(violations)


def test_no_file_is_longer_than_the_limit(product_files):
    violations = long_files(REPO, product_files)
    assert not violations, f"files longer than {MAX_FILE_LINES} lines: " + listing(violations)


def test_no_import_circle_between_the_packages(product_imports):
    violations = import_circles(product_imports)
    assert not violations, listing(violations)


def test_every_package_imports_only_the_layers_below_it(product_imports):
    violations = layer_violations(product_imports)
    assert not violations, "imports against the layers (ALLOWED_IMPORTS): " + listing(violations)


def test_product_code_never_imports_bench_or_tests(product_imports):
    violations = helper_imports(product_imports, REPO)
    assert not violations, listing(violations)


# -- the checker on a tiny made-up tree, so it cannot pass by seeing nothing -------------------
def function(name: str, lines: int, decorators: int = 0) -> str:
    """Source of a function exactly ``lines`` long from its `def` line (plus decorators)."""
    body = [f"    x{i} = {i}\n" for i in range(lines - 2)] + ["    return 0\n"]
    return "".join(["@staticmethod\n"] * decorators + [f"def {name}():\n"] + body)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def made_up_tree(root: Path) -> None:
    write(root, "planchat/__init__.py", "")
    write(root, "planchat/config.py", "from ingest.index import PlanIndex\n\n\n" + function("too_long", 81))
    write(root, "planchat/cli.py", "from . import config\nfrom evals import runner\n")
    write(root, "ingest/__init__.py", "")
    write(root, "ingest/index.py", "import planchat.config\n\n\nclass PlanIndex:\n" + "".join(
        "    " + line + "\n" for line in (function("fits", 80, decorators=3) + function("method", 82)).splitlines()
    ))  # fmt: skip
    write(root, "ingest/big.py", "import synth\nfrom bench.processes import free_port\n" + "x = 1\n" * 399)
    write(root, "ingest/fits.py", "x = 1\n" * 400)
    write(root, "evals/__init__.py", "")
    write(root, "evals/runner.py", "def main():\n    from planchat.cli import main\n    return main\n")
    write(root, "bench/synth.py", "")


def test_the_checker_reports_every_violation_in_a_made_up_tree(tmp_path):
    made_up_tree(tmp_path)
    packages = ("planchat", "ingest", "evals")
    files = python_files(tmp_path, packages)
    found = imports(tmp_path, files, packages)

    assert long_functions(tmp_path, files) == [
        "ingest/index.py:88 PlanIndex.method: 82 lines",
        "planchat/config.py:4 too_long: 81 lines",
    ]
    assert long_files(tmp_path, files) == ["ingest/big.py: 401 lines"]
    assert import_circles(found) == [
        "import circle among evals, planchat.cli: evals -> planchat.cli -> evals; its imports:\n"
        "    evals -> planchat.cli at evals/runner.py:2 (planchat.cli)\n"
        "    planchat.cli -> evals at planchat/cli.py:2 (evals)",
        "import circle among ingest, planchat: ingest -> planchat -> ingest; its imports:\n"
        "    ingest -> planchat at ingest/index.py:1 (planchat.config)\n"
        "    planchat -> ingest at planchat/config.py:1 (ingest.index)",
    ]
    assert layer_violations(found) == [
        "evals/runner.py:2: evals imports planchat.cli (planchat.cli is not below it)",
        "planchat/config.py:1: planchat imports ingest.index (ingest is not below it)",
    ]
    assert helper_imports(found, tmp_path) == [
        "ingest/big.py:1: ingest imports synth (bench/ or tests/)",
        "ingest/big.py:2: ingest imports bench.processes (bench/ or tests/)",
    ]


def test_relative_and_from_imports_resolve_to_the_modules_they_load():
    def named(source: str, importer: str, is_package: bool = False) -> list[str]:
        return imported_modules(ast.parse(source).body[0], importer, is_package)

    assert named("from . import cli", "planchat.config") == ["planchat", "planchat.cli"]
    assert named("from ..index import PlanIndex", "ingest.stores.vectors") == ["ingest.index", "ingest.index.PlanIndex"]
    in_package = named("from . import lexical", "ingest.stores", is_package=True)
    assert in_package == ["ingest.stores", "ingest.stores.lexical"]
    assert named("import planchat.cli, numpy", "evals.runner") == ["planchat.cli", "numpy"]
    modules = ("planchat.cli", "planchat.cli.main", "planchat.config", "planchat.client", "numpy")
    assert [node_of(m) for m in modules] == ["planchat.cli", "planchat.cli", "planchat", "planchat", None]
