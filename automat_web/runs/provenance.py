"""What a run was computed with: code version, denoiser weights, potential, template
library, policy and inputs (``Run.provenance``); and CIFs that carry it.

Everything here is read from this machine: the code version is computed once per process
(``git describe`` of the checkout when there is one, else the installed package's version),
the weights' hash from the file the learned denoiser loads; nothing touches the network.
The LLM policy's API key is never recorded, only its model and endpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "automat"
#: Python distribution of each potential (its version is the code that evaluated it).
POTENTIAL_PACKAGES = {"chgnet-0.3.0": "chgnet", "sevennet-0": "sevenn", "mattersim": "mattersim"}
#: Denoising methods that load the trained weights (the others are classical filters).
LEARNED_DENOISERS = ("moe", "single")
#: Prefix of the CIF data items written here (a local prefix, ignored by CIF readers).
CIF_PREFIX = "_automat_"

_weights_cache: dict[tuple[str, int, int], str] = {}


@lru_cache(maxsize=1)
def code_version() -> dict[str, str]:
    """``{"version", "package", "git"?}``: the package version and, in a git checkout, its
    ``git describe`` (``-dirty`` when the tree has changes). Computed once per process."""
    package = _package_version(PACKAGE) or "unknown"
    info = {"package": package, "version": package}
    if (ROOT / ".git").exists():
        try:
            described = subprocess.run(
                ["git", "describe", "--always", "--dirty", "--tags"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            described = ""
        if described:
            info["git"] = described
            info["version"] = f"{package}+git.{described}"
    return info


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def denoiser_weights() -> dict[str, Any]:
    """The learned denoiser's weights file (the one ``load_weights()`` reads) and the
    sha256 of its bytes; ``{"error": ...}`` when there are none."""
    from reconstruction.denoise.infer import WEIGHTS_DIR

    try:
        name = json.loads((WEIGHTS_DIR / "weights.json").read_text())["file"]
        path = WEIGHTS_DIR / name
        stat = path.stat()
    except (OSError, KeyError, ValueError) as exc:
        return {"error": f"no denoiser weights: {exc}"}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _weights_cache:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _weights_cache[key] = digest.hexdigest()
    return {"file": name, "sha256": _weights_cache[key], "size_bytes": stat.st_size}


def potential(name: str | None = None) -> dict[str, Any]:
    """The interatomic potential ``name`` (default: the configured one) and the version of
    the package that evaluates it."""
    from reconstruction.energy import DEFAULT_MODEL

    name = name or settings.RUN_ENERGY_MODEL or DEFAULT_MODEL
    package = POTENTIAL_PACKAGES.get(name)
    version = _package_version(package) if package else None
    return {"name": name, "package": package, "version": version}


def template_library() -> dict[str, Any]:
    """Descriptor version, number of templates and a sha256 of their ids and content
    hashes: two runs with the same value searched the same library."""
    try:
        from reconstruction.descriptors import DESCRIPTOR_VERSION
        from templates_lib.models import Template

        rows = (
            Template.objects.filter(descriptor_version=DESCRIPTOR_VERSION)
            .order_by("source_id")
            .values_list("source_id", "content_hash")
        )
        digest = hashlib.sha256()
        count = 0
        for source_id, content_hash in rows.iterator():
            digest.update(f"{source_id}:{content_hash}\n".encode())
            count += 1
    except Exception as exc:  # not installed or not migrated: the run has no templates
        log.warning("the template library's version is unknown: %s", exc)
        return {"error": f"template library unavailable: {exc}"}
    return {"descriptor_version": DESCRIPTOR_VERSION, "count": count, "sha256": digest.hexdigest()}


def policy(run) -> dict[str, Any]:
    """The policy; for the LLM one its model and endpoint (never the API key)."""
    info: dict[str, Any] = {"name": run.policy}
    if run.policy == "llm":
        info["model"] = settings.LLM_MODEL
        info["endpoint"] = _without_credentials(settings.LLM_BASE_URL)
    return info


def _without_credentials(url: str) -> str:
    """``url`` without a ``user:password@`` part."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url or "", flags=re.IGNORECASE)


def at_start(run) -> dict[str, Any]:
    """The provenance recorded when an attempt of ``run`` starts."""
    sample = run.sample
    return {
        "recorded": timezone.now().isoformat(),
        "code": code_version(),
        "denoiser": denoiser_weights(),
        "potential": {**potential(), "relax": bool(settings.RUN_RELAX)},
        "templates": template_library(),
        "policy": policy(run),
        "inputs": {
            "sample": sample.pk,
            "sample_name": sample.name,
            "pixel_size_A": sample.pixel_size_A,
            "calibration_source": sample.calibration_source,
            "imaging_mode": run.mode,
            "elements": list(sample.elements or []),
            "working_sha256": sample.working_sha256,
            "micrograph_sha256": sample.micrograph.sha256,
        },
    }


def at_finish(provenance: dict[str, Any], result) -> dict[str, Any]:
    """``provenance`` completed with what the agent actually used: the denoising methods
    (whether the weights were loaded) and the potential of the energy it reports."""
    out = dict(provenance)
    methods = [
        str(step.args.get("method"))
        for step in result.steps or []
        if step.tool == "denoise" and step.ok and step.args.get("method")
    ]
    denoiser = dict(out.get("denoiser") or {})
    denoiser["methods"] = methods
    denoiser["weights_loaded"] = any(m in LEARNED_DENOISERS for m in methods)
    out["denoiser"] = denoiser
    used = (result.energy or {}).get("model")
    configured = out.get("potential") or {}
    if used and used != configured.get("name"):
        out["potential"] = {**potential(str(used)), "relax": configured.get("relax")}
    return out


# --- CIF ---------------------------------------------------------------------------------


def cif_items(run, structure=None) -> dict[str, Any]:
    """The provenance a run's CIF carries, as CIF data names -> values."""
    inputs = (run.provenance or {}).get("inputs") or {}
    sample = run.sample
    energy = (run.result or {}).get("energy") or {}
    formation = getattr(structure, "formation_energy_per_atom", None)
    if formation is None:
        formation = energy.get("formation_energy_per_atom")
    model = getattr(structure, "energy_model", "") or energy.get("model") or ""
    code = (run.provenance or {}).get("code") or code_version()
    return {
        "run_id": run.pk,
        "sample_id": sample.pk,
        "sample_name": inputs.get("sample_name") or sample.name,
        "pixel_size_A": inputs.get("pixel_size_A", sample.pixel_size_A),
        "imaging_mode": inputs.get("imaging_mode") or run.mode,
        "formation_energy_eV_per_atom": formation,
        "energy_potential": model,
        "software_version": code.get("version", ""),
        "policy": run.policy,
    }


def stamp_cif(cif: str, items: dict[str, Any]) -> str:
    """``cif`` with a provenance comment and ``_automat_*`` data items in its first data
    block (unchanged if it already carries them). CIF readers keep unknown items as
    tags and ignore comments, so the structure parses as before."""
    if not cif or f"{CIF_PREFIX}run_id" in cif:
        return cif
    lines = cif.splitlines()
    starts = (i for i, line in enumerate(lines) if line.lstrip().lower().startswith("data_"))
    at = next(starts, None)
    if at is None:
        return cif
    stamp = [f"{CIF_PREFIX}{name} {_cif_value(value)}" for name, value in items.items()]
    comment = [
        "# Provenance (automat): run {} of sample {}, {}".format(
            items.get("run_id"), items.get("sample_id"), _one_line(items.get("software_version"))
        )
    ]
    # After the block's name, so the file still starts as it did (``data_...``).
    out = lines[: at + 1] + comment + stamp + lines[at + 1 :]
    return "\n".join(out) + "\n"


def _cif_value(value: Any) -> str:
    """A CIF 1.1 value: ``?`` for unknown, numbers bare, text quoted so any reader keeps it."""
    if value is None or value == "":
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    # Readers drop what follows a "#" even inside quotes (pymatgen) and CIF 1.1 is ASCII:
    # those characters, and "%", are percent-encoded (urllib.parse.unquote reads them back).
    text = quote(_one_line(value), safe=_CIF_SAFE)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "\n;" + text + "\n;"  # a text field holds any characters


_CIF_SAFE = "".join(chr(c) for c in range(32, 127) if chr(c) not in "#%")


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())
