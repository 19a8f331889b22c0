from __future__ import annotations

import syncd.store


def test_every_public_name_is_importable_and_listed() -> None:
    assert sorted(syncd.store.__all__) == syncd.store.__all__
    for name in syncd.store.__all__:
        assert getattr(syncd.store, name) is not None, name
    public = {name for name in vars(syncd.store) if not name.startswith("_") and name[0].isupper()}
    assert public <= set(syncd.store.__all__)
