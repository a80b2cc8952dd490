"""The lock files (`make lock`) agree with pyproject.toml: every dependency is pinned, at a
version its range allows, and what running needs is pinned alike in both files."""

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str) -> dict[str, str]:
    """The `package==version` lines of a lock file, by canonical name."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        package, separator, version = line.partition("==")
        assert separator, f"{name}: {line!r} is not pinned with =="
        found[canonicalize_name(package)] = version.strip()
    return found


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return (
        [Requirement(text) for text in project["dependencies"]],
        [Requirement(text) for text in project["optional-dependencies"]["dev"]],
    )


def test_the_pins_parse_and_refuse_an_unpinned_line(tmp_path, monkeypatch):
    assert pins("requirements.txt")["django"].startswith("5.2.")
    (tmp_path / "loose.txt").write_text("django>=5.2\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    with pytest.raises(AssertionError, match="not pinned"):
        pins("loose.txt")


@pytest.mark.parametrize(
    ("lock", "sets"),
    [("requirements.txt", ("run",)), ("requirements-dev.txt", ("run", "dev"))],
)
def test_every_declared_dependency_is_pinned_within_its_range(lock, sets):
    run, dev = declared()
    wanted = [*run, *(dev if "dev" in sets else [])]
    locked = pins(lock)
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in locked]
    assert not missing, f"{lock} lacks {missing}: run `make lock`"
    outside = [
        f"{r.name}=={locked[canonicalize_name(r.name)]} (wants {r.specifier})"
        for r in wanted
        if not r.specifier.contains(locked[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not outside, f"{lock}: {outside}: run `make lock`"


def test_running_and_testing_use_the_same_versions():
    run, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert run, "requirements.txt pins nothing"
    differ = {
        name: (version, dev.get(name)) for name, version in run.items() if dev.get(name) != version
    }
    assert not differ, f"versions differ between the lock files: {differ}: run `make lock`"
    # The test and lint tools stay out of what `make run` installs.
    for tool in ("pytest", "playwright", "ruff", "schemathesis", "radicale"):
        assert tool in dev and tool not in run
