from __future__ import annotations

import ast
from pathlib import Path

import syncd.zoho


def test_every_exported_name_exists_and_nothing_imports_the_emulator() -> None:
    for name in syncd.zoho.__all__:
        assert hasattr(syncd.zoho, name), name
    package = Path(syncd.zoho.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("syncd.emulator"), module.name
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("syncd.emulator") for alias in node.names), module.name
