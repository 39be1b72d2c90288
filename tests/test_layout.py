"""Imports flow one way: editor -> editing -> inversion -> training; Qt only in editor."""
import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

RANK = {"training": 0, "inversion": 1, "editing": 2, "editor": 3}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(RANK))
def test_imports_flow_one_way_and_qt_stays_in_editor(package):
    for path in (REPO / package).rglob("*.py"):
        names = imported_packages(path)
        for other, rank in RANK.items():
            assert not (other in names and rank > RANK[package]), \
                f"{path.relative_to(REPO)} imports {other}, which sits above {package}"
        if package != "editor":
            assert not names & {"PySide6", "PyQt5", "PyQt6", "pytestqt"}, \
                f"{path.relative_to(REPO)} imports Qt outside editor/"
