"""The code's shape stays as the README draws it: ui -> qa -> vectorstore, and inside qa one floor
of shared nouns, rooms by job that stand on the floor alone, and the top that assembles them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "qa"
FLOOR = {"answer", "citations", "errors", "questions", "settings", "words"}
TOP = {"assembly", "chain", "evaluation", "followups", "retrieval"}
ROOMS = sorted(p.name for p in QA.iterdir() if (p / "__init__.py").is_file())


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, relative imports made
    absolute; for ``from package import name``, the module ``package.name`` too (it may be
    one)."""
    package = path.relative_to(ROOT).parent.parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _modules(package: Path) -> list[Path]:
    return sorted(package.rglob("*.py"))


def _part_of_qa(module: str) -> str | None:
    """The floor module, room or top module of qa that `module` names (None outside qa, and for
    a name that is no module of qa)."""
    parts = module.split(".")
    if parts[0] != "qa" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in FLOOR | TOP | set(ROOMS) else None


def test_qa_is_a_floor_five_rooms_and_the_top_and_nothing_else() -> None:
    top_level = {p.stem for p in QA.glob("*.py") if p.name != "__init__.py"}
    assert top_level == FLOOR | TOP
    assert len(top_level) <= 12
    assert ROOMS == ["library", "llm", "offline", "sourcing", "study"]


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_stands_on_the_floor_and_the_store_alone(room: str) -> None:
    for path in _modules(QA / room):
        reached = {_part_of_qa(m) for m in _imports(path)} - {None, room}
        assert reached <= FLOOR, f"{path.relative_to(ROOT)} imports qa.{reached - FLOOR}"
        assert not any(m.startswith("ui") for m in _imports(path))


def test_the_floor_imports_only_the_floor_and_the_store() -> None:
    for name in sorted(FLOOR):
        path = QA / f"{name}.py"
        reached = {_part_of_qa(m) for m in _imports(path)} - {None}
        assert reached <= FLOOR, f"{path.relative_to(ROOT)} imports qa.{reached - FLOOR}"


def test_a_rooms_public_names_are_named_in_its_init() -> None:
    for room in ROOMS:
        tree = ast.parse((QA / room / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"qa/{room}/__init__.py says what the room is for"
        names = next(
            n.value
            for n in tree.body
            if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "__all__"
        )
        assert isinstance(names, ast.List) and 0 < len(names.elts) <= 12


@pytest.mark.parametrize(("package", "never"), [("vectorstore", ("qa", "ui")), ("qa", ("ui",))])
def test_the_layers_import_only_downwards(package: str, never: tuple[str, ...]) -> None:
    for path in _modules(ROOT / package):
        above = [m for m in _imports(path) if m.split(".")[0] in never]
        assert above == [], f"{path.relative_to(ROOT)} imports {above}"
