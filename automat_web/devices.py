"""The torch device a worker's science runs on (``AUTOMAT_TORCH_DEVICE``).

The services pass :func:`science_device` to the science as an argument
(``ScienceSettings.torch_device``, ``predict_properties(device=...)``); the science never
reads the environment. :func:`pin_process` also makes a worker process keep to its device
for anything that picks one itself: ``cpu`` hides every GPU from torch, ``cuda:<n>`` makes
GPU n the current one.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def science_device(setting: str) -> str | None:
    """The ``device`` argument for the science: None lets it choose (``auto``)."""
    return None if setting == "auto" else setting


def pin_process(setting: str, environ: MutableMapping[str, str] = os.environ) -> None:
    """Keep this process's torch on ``setting`` (call it before CUDA is initialised)."""
    if setting == "cpu":
        environ["CUDA_VISIBLE_DEVICES"] = ""  # read by CUDA at its (lazy) initialisation
    elif setting.startswith("cuda:"):
        import torch

        torch.cuda.set_device(int(setting.split(":", 1)[1]))
