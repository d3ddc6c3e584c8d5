"""Typed readers of ``AUTOMAT_*`` environment variables.

Each fails loudly with ImproperlyConfigured naming the variable, so a typo in a deployment
file stops the server at start instead of silently running with a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PREFIX = "AUTOMAT_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    """The variable's value, or the content of the file named by ``<NAME>_FILE``."""
    key = name if name.startswith(PREFIX) or name == "DATABASE_URL" else PREFIX + name
    file_key = key + "_FILE"
    if file_key in os.environ:
        path = Path(os.environ[file_key])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{file_key}: cannot read {path}: {exc}") from exc
    return os.environ.get(key)


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name} must be true/false (1/0, yes/no), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be >= {minimum}, got {number}")
    return number


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a number, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be one of {choices}, got {value!r}")
    return value


#: What AUTOMAT_TORCH_DEVICE accepts: let torch pick, the CPU, or a (numbered) CUDA device.
_TORCH_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def env_torch_device(name: str, default: str = "auto") -> str:
    """A torch device: ``auto`` (CUDA when torch sees one, else the CPU), ``cpu``,
    ``cuda`` or ``cuda:<n>``."""
    value = (env_str(name, default) or default).strip().lower()
    if not _TORCH_DEVICE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{PREFIX}{name} must be auto, cpu, cuda or cuda:<n>, got {value!r}"
        )
    return value


def science_settings():
    """The science's machine-local settings (:class:`reconstruction.settings.ScienceSettings`)
    from ``AUTOMAT_SHARED_DATA``, ``AUTOMAT_ENERGY_CACHE``, ``AUTOMAT_ENERGY_THREADS``,
    ``AUTOMAT_TORCH_THREADS``, ``AUTOMAT_MATTERSIM_CHECKPOINT``,
    ``AUTOMAT_TEMPLATES_DUMP`` and ``AUTOMAT_TORCH_DEVICE``; unset ones keep the science's
    defaults. What the portal, the worker and the ``automat`` command pass into
    ``reconstruction`` (which reads no environment itself)."""
    from automat_web.devices import science_device
    from reconstruction.settings import DEFAULT, ScienceSettings

    def path(name: str, default: Path | None) -> Path | None:
        value = env_str(name)
        return Path(value).expanduser() if value else default

    return ScienceSettings(
        shared_data_dir=path("SHARED_DATA", DEFAULT.shared_data_dir),
        energy_cache_dir=path("ENERGY_CACHE", DEFAULT.energy_cache_dir),
        energy_threads=env_int("ENERGY_THREADS", DEFAULT.energy_threads, minimum=1),
        torch_threads=env_int("TORCH_THREADS", DEFAULT.torch_threads, minimum=0),
        mattersim_checkpoint=path("MATTERSIM_CHECKPOINT", DEFAULT.mattersim_checkpoint),
        templates_dump=path("TEMPLATES_DUMP", DEFAULT.templates_dump),
        torch_device=science_device(env_torch_device("TORCH_DEVICE")),
    )
