"""Public experimental micrographs the tests may use, found where registry packages install
them (nothing is downloaded at run time; sources and licences in tests/real/NOTICE.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, located without importing the package
    (temul-toolkit is installed without its dependencies: only its data is used)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the package {package!r} is not installed: `make test` installs it "
            "(Makefile, REAL_MICROGRAPHS)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not in the installed {package!r}")
    return path


def se_implanted_mos2() -> Path:
    """HAADF-STEM of a MoS2 monolayer implanted with Se (DM3, 1024 x 1024, 0.127 Å/px in
    its metadata), from temul-toolkit 0.1.9 (GPL-3.0)."""
    return package_file("temul", "example_data/experimental/example_Se_implanted_MoS2.dm3")
