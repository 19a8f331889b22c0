"""The connector docs cannot go stale: hooks are documented and tested, examples are real files under test."""

from __future__ import annotations

import filecmp
import importlib.util
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from syncd.plugins import hookspecs
from syncd.plugins.manager import PluginManager
from syncd.testing import ConnectorContract
from syncd.testing import plugin as fixtures

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
EXAMPLE = DOCS / "examples" / "syncd-shop"
HOOKS = sorted(
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(_, "syncd_spec")
)

FIXTURES = sorted(name for name in vars(fixtures) if name.startswith("syncd_"))


def test_there_are_hooks() -> None:
    assert HOOKS == ["register_commands", "register_connectors", "run_finished"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    arguments = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"## {hook}({arguments})" in (DOCS / "hooks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    tests = (Path(__file__).parent / "test_manager.py").read_text(encoding="utf-8")
    assert f"def test_hook_{hook}(" in tests


def test_there_are_public_fixtures() -> None:
    assert "syncd_store" in FIXTURES and "syncd_emulator" in FIXTURES


@pytest.mark.parametrize("fixture", FIXTURES)
def test_every_public_fixture_is_documented(fixture: str) -> None:
    assert f"`{fixture}`" in (DOCS / "connectors.md").read_text(encoding="utf-8")
    assert f"``{fixture}``" in (inspect.getdoc(fixtures) or "")


def test_the_walkthrough_shows_the_example_files_as_they_are() -> None:
    text = (DOCS / "connectors.md").read_text(encoding="utf-8")
    included = re.findall(r"<!-- include: (\S+) -->\n```\w+\n(.*?)```\n", text, flags=re.DOTALL)
    assert len(included) == 4
    for path, shown in included:
        assert shown == (ROOT / path).read_text(encoding="utf-8"), f"docs/connectors.md shows a stale {path}"


def test_the_example_is_the_template_rendered(tmp_path: Path) -> None:
    rendered = Path(
        cookiecutter(str(ROOT / "connectors" / "template"), no_input=True, output_dir=str(tmp_path))
    )
    files = sorted(str(p.relative_to(rendered)) for p in rendered.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(EXAMPLE)) for p in EXAMPLE.rglob("*") if p.is_file())
    assert filecmp.cmpfiles(rendered, EXAMPLE, files, shallow=False)[0] == files


def _example_package() -> types.ModuleType:
    if "syncd_shop" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "syncd_shop",
            EXAMPLE / "syncd_shop" / "__init__.py",
            submodule_search_locations=[str(EXAMPLE / "syncd_shop")],
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["syncd_shop"] = module
        spec.loader.exec_module(module)
    return sys.modules["syncd_shop"]


shop = _example_package()


class TestTheWalkthroughConnector(ConnectorContract):
    """The example's own conformance test, run here; it is not installed, so its plugin is registered."""

    connector_class = shop.ShopConnector

    @pytest.fixture
    def syncd_plugins(self) -> PluginManager:
        manager = PluginManager(entry_points=list, environ={})
        manager.register(shop, "shop", distribution="syncd-shop", version="0.1.0")
        return manager

    @pytest.fixture
    def connector_options(self, tmp_path: Path) -> dict[str, Any]:
        data = tmp_path / "items.json"
        data.write_text('{"items": [{"id": 1, "name": "Mug", "price": "9.50"}]}', encoding="utf-8")
        return {"path": str(data), "api_token": "test-token-value"}
