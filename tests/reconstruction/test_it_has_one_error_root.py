"""Every domain error of the science derives from one root, ``ScienceError``, so that a
service can turn any of them into a failed run with a message; their older bases stay."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import reconstruction
from reconstruction.errors import ReconstructionError, ScienceError


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in a module of ``reconstruction``."""
    found = []
    for info in pkgutil.walk_packages(reconstruction.__path__, "reconstruction."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found.append(obj)
    return found


def test_every_exception_of_the_science_derives_from_the_root():
    classes = _exception_classes()
    assert len(classes) >= 20  # the walk found the modules (errors live in many of them)
    strays = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, ScienceError)
    ]
    assert not strays, f"derive these from reconstruction.errors.ScienceError: {strays}"


def test_the_older_bases_still_catch_them():
    from reconstruction.agent.tools.schema import SchemaError
    from reconstruction.bench.naive import NaiveFailure
    from reconstruction.chemistry import UnknownElement
    from reconstruction.denoise.types import DenoiseError
    from reconstruction.energy.errors import CheckpointNotFound, EnergyError
    from reconstruction.errors import NoLatticeFound
    from reconstruction.io.errors import IngestError, UnsupportedFormat
    from reconstruction.simulate.config import SimulationError

    for cls in (SimulationError, DenoiseError, UnknownElement, SchemaError):
        assert issubclass(cls, ValueError)
    assert issubclass(NaiveFailure, RuntimeError)
    assert issubclass(NoLatticeFound, ReconstructionError)
    assert issubclass(CheckpointNotFound, EnergyError)
    assert issubclass(UnsupportedFormat, IngestError)
    # Sub-roots stay apart: catching one never swallows another's errors.
    assert not issubclass(EnergyError, ReconstructionError)
    assert not issubclass(IngestError, ReconstructionError)


def test_the_root_keeps_the_message():
    from reconstruction.chemistry import parse_elements

    try:
        parse_elements("Mo,Xx")
    except ScienceError as exc:
        assert "Xx" in str(exc)
    else:  # pragma: no cover - parse_elements must refuse an unknown symbol
        raise AssertionError("an unknown element was accepted")
