from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with contacts.csv (incremental by `modified`) and tags.csv (fingerprinted)."""
    (tmp_path / "contacts.csv").write_text(
        "id,name,age,modified,notes\r\n"
        '1,Ada,36,2024-01-01T10:00:00+00:00,"likes ""quotes"", commas"\r\n'
        "2,Grace,45,2024-01-02T10:00:00+00:00,\r\n",
        encoding="utf-8",
    )
    (tmp_path / "tags.csv").write_text("code,label\na,Alpha\nb,Beta\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def options(folder: Path) -> dict[str, object]:
    return {
        "directory": str(folder),
        "streams": {
            "contacts": {
                "key": ["id"],
                "fields": {"id": "integer", "age": "integer"},
                "updated_at": "modified",
            },
            "tags": {"key": ["code"]},
        },
    }
