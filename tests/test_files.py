"""Directory replacement: all of the new content or none of it."""

import pytest

from zhili.files import replacing_directory


def test_swap_replaces_content(tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with replacing_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["index"]
    assert [p.name for p in target.iterdir()] == ["new.txt"]


def test_failure_keeps_the_old_directory(tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with replacing_directory(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["index"]
    assert (target / "old.txt").read_text() == "old"
