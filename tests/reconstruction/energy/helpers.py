"""Shared helpers for the energy tests: small structures, offline guards, a counting EMT."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import numpy as np
from ase import Atoms
from ase.build import fcc111
from ase.calculators.emt import EMT


def strained_cu_bilayer(strain: float = 0.03) -> Atoms:
    """A two-layer Cu(111) film, vacuum along z, stretched in-plane by ``strain``."""
    slab = fcc111("Cu", size=(1, 1, 2), vacuum=8.0, periodic=True)
    cell = np.array(slab.cell)
    cell[:2] *= 1 + strain
    slab.set_cell(cell, scale_atoms=True)
    slab.cell[2] = [0.0, 0.0, slab.cell[2][2]]
    return slab


class CountingEMT(EMT):
    """EMT that counts its calculations."""

    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


@contextlib.contextmanager
def no_network(monkeypatch) -> Iterator[None]:
    """Fail any attempt to open a network connection inside the block."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("network access attempted")

    with monkeypatch.context() as m:
        m.setenv("HF_HUB_OFFLINE", "1")
        m.setattr(socket.socket, "connect", refuse)
        m.setattr(socket, "create_connection", refuse)
        yield


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread (the CI machine's cores are shared; threads fight)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
