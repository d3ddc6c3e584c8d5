"""Machine-learned interatomic potentials behind one interface: an ASE calculator factory.

Every backend loads weights from this machine only; nothing is ever downloaded. CHGNet 0.3.0
and SevenNet-0 ship their weights in their wheels; MatterSim weights must be placed on disk
and passed as ``checkpoint=`` (the portal and the ``automat`` command take it from
``AUTOMAT_MATTERSIM_CHECKPOINT``, ``ScienceSettings.mattersim_checkpoint``).

Torch and the potentials are imported inside the functions, so importing this module is
cheap. Calculators are not picklable without side effects (MatterSim's unpickling
downloads): pass model *names* between processes, never calculators.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CheckpointNotFound, UnknownModel

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

MODELS = ("chgnet-0.3.0", "sevennet-0", "mattersim")
MATTERSIM_CHECKPOINT_ENV = "AUTOMAT_MATTERSIM_CHECKPOINT"
# Attribute that carries the model name on every calculator made here, so that results
# computed from a calculator can say which model produced them.
MODEL_ATTR = "automat_model"


def select_device(device: str | None = None) -> str:
    """The torch device to run on: ``device`` if given, else CUDA when available, else CPU."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def model_name_of(calc: Calculator) -> str:
    """The model name recorded on a calculator (its class name for foreign calculators)."""
    return str(getattr(calc, MODEL_ATTR, type(calc).__name__))


def mattersim_checkpoint_path(checkpoint: str | os.PathLike | None = None) -> Path | None:
    """The MatterSim checkpoint if it exists on disk, else None.

    Parameters
    ----------
    checkpoint : path, optional
        Checkpoint file (``ScienceSettings.mattersim_checkpoint``); None: none configured.
    """
    if not checkpoint:
        return None
    path = Path(checkpoint).expanduser()
    return path if path.is_file() else None


def available_models(checkpoint: str | os.PathLike | None = None) -> list[str]:
    """Models that can be loaded here (MatterSim only when ``checkpoint`` is on disk)."""
    present = mattersim_checkpoint_path(checkpoint) is not None
    return [m for m in MODELS if m != "mattersim" or present]


def get_calculator(
    model: str, device: str | None = None, *, checkpoint: str | os.PathLike | None = None
) -> Calculator:
    """An ASE calculator for a named universal potential.

    Parameters
    ----------
    model : {"chgnet-0.3.0", "sevennet-0", "mattersim"}
        Potential to load.
    device : str, optional
        Torch device ("cpu", "cuda", "cuda:1"); default CUDA when available, else CPU.
    checkpoint : path, optional
        MatterSim only: checkpoint file (``ScienceSettings.mattersim_checkpoint``).

    Returns
    -------
    ase.calculators.calculator.Calculator
        Gives energy [eV], forces [eV/Å] and stress [eV/Å³]; its ``automat_model``
        attribute holds ``model``.

    Raises
    ------
    UnknownModel
        ``model`` is not one of :data:`MODELS`.
    CheckpointNotFound
        The weights are not on this machine.
    """
    loaders = {"chgnet-0.3.0": _chgnet, "sevennet-0": _sevennet, "mattersim": _mattersim}
    if model not in loaders:
        raise UnknownModel(f"unknown energy model {model!r}; choose one of {', '.join(MODELS)}")
    dev = select_device(device)
    calc = _mattersim(dev, checkpoint) if model == "mattersim" else loaders[model](dev)
    setattr(calc, MODEL_ATTR, model)
    return calc


def _chgnet(device: str) -> Calculator:
    from chgnet.model import CHGNet, CHGNetCalculator

    # model_name pins the 0.3.0 weights that ship inside the chgnet wheel.
    model = CHGNet.load(model_name="0.3.0", use_device=device, verbose=False)
    return CHGNetCalculator(model=model, use_device=device)


def _sevennet(device: str) -> Calculator:
    from sevenn import _const
    from sevenn.calculator import SevenNetCalculator

    # An explicit file path: given a name, sevenn downloads what it does not find.
    path = Path(_const.SEVENNET_0_11Jul2024)
    if not path.is_file():
        raise CheckpointNotFound(f"SevenNet-0 weights are missing from the sevenn wheel: {path}")
    return SevenNetCalculator(str(path), device=device)


def _mattersim(device: str, checkpoint: str | os.PathLike | None = None) -> Calculator:
    path = mattersim_checkpoint_path(checkpoint)
    if path is None:
        where = checkpoint or "(not set)"
        raise CheckpointNotFound(
            f"MatterSim needs a checkpoint file on this machine; set {MATTERSIM_CHECKPOINT_ENV} "
            f"to a MatterSim .pth file (currently {where}). Nothing is downloaded."
        )
    return load_mattersim(path, device)


def load_mattersim(path: str | os.PathLike, device: str = "cpu") -> Calculator:
    """A MatterSim calculator from a checkpoint file, without MatterSim's download logic.

    ``Potential.from_checkpoint`` always creates ``~/.local/mattersim`` and, given no path,
    downloads; this builds the same objects from the file directly.

    Parameters
    ----------
    path : path
        Checkpoint written by ``Potential.save`` (keys ``model_name``, ``model``,
        ``model_args``).
    device : str
        Torch device.
    """
    import pickle

    import torch
    from mattersim.forcefield.m3gnet.m3gnet import M3Gnet
    from mattersim.forcefield.potential import MatterSimCalculator, Potential

    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError:
        # Training checkpoints may hold optimizer objects; the file is one an administrator
        # placed on this machine, so a full unpickle is acceptable there.
        checkpoint = torch.load(path, map_location=device, weights_only=False)
    if checkpoint.get("model_name", "m3gnet") != "m3gnet":
        raise CheckpointNotFound(f"{path} is not an M3GNet-architecture MatterSim checkpoint")
    model = M3Gnet(device=device, **checkpoint["model_args"]).to(device)
    # Upstream loads with strict=False; extra keys are tolerated, missing weights are not.
    missing, _unexpected = model.load_state_dict(checkpoint["model"], strict=False)
    if missing:
        raise CheckpointNotFound(f"{path} lacks weights for {len(missing)} parameters")
    model.eval()
    potential = Potential(model, device=device, model_name="m3gnet")
    return MatterSimCalculator(potential=potential, device=device)
