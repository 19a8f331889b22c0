"""The connector template renders, installs into a fresh environment, and passes its own tests."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).parents[2] / "connectors" / "template"


def render(into: Path, name: str) -> Path:
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context={"connector_name": name}, output_dir=str(into)
        )
    )


def test_the_template_renders_a_package_named_after_the_connector(tmp_path: Path) -> None:
    project = render(tmp_path, "acme")
    assert project.name == "syncd-acme"
    assert 'acme = "syncd_acme"' in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert "class AcmeConnector(syncd.Connector[AcmeConnectorConfig])" in (
        project / "syncd_acme" / "connector.py"
    ).read_text(encoding="utf-8")
    assert "{{" not in "".join(p.read_text(encoding="utf-8") for p in project.rglob("*") if p.is_file())


@pytest.mark.slow
def test_the_rendered_template_installs_and_passes_its_tests(tmp_path: Path) -> None:
    project = render(tmp_path, "acme")
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site_packages = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # syncd, pytest and the rest come from this environment; only the rendered package is installed.
    (site_packages / "_syncd_parent.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n", encoding="utf-8"
    )
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    done = subprocess.run([*install, "-e", str(project)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run(
        [python, "-m", "syncd", "connectors"], capture_output=True, text=True, check=False
    )
    assert "acme " in listing.stdout and "syncd-acme" in listing.stdout, listing.stdout + listing.stderr
    tests = subprocess.run(
        [python, "-m", "pytest", "-q", "tests"], cwd=project, capture_output=True, text=True, check=False
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout
