"""Imports run one way: import-linter's layers contract holds, and an upward import breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tracker", "platforms", "notices", "blocking")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )


def copy_of_the_project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("templates", "static", "__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notices_calling_blocking_instead_of_announcing_breaks_the_contract(tmp_path):
    project = copy_of_the_project(tmp_path)
    lapses = project / "notices" / "lapses.py"
    # What the code did before the ladder announced `ladder_exhausted`: call blocking directly, lazily.
    lapses.write_text(
        lapses.read_text()
        + "\n\ndef _propose_directly(case, reason):\n"
        + "    from blocking.services import propose_block\n\n"
        + "    return propose_block(case=case, reason=reason)\n"
    )
    result = lint_imports(project)
    assert result.returncode != 0
    assert "notices is not allowed to import blocking" in result.stdout


def test_the_core_importing_an_app_above_it_breaks_the_contract(tmp_path):
    project = copy_of_the_project(tmp_path)
    errors = project / "tracker" / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom tracker.cases.models import Case  # noqa\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert "tracker.core is not allowed to import tracker.cases" in result.stdout
