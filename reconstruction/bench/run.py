"""``automat bench run``: apply a method to every sample of a built data set.

Each method writes ``OUT/<sample>/structure.cif`` and ``OUT/<sample>/result.json`` with the
keys of the ``automat reconstruct`` contract (ARCHITECTURE.md), so scoring treats the full
pipeline, the naive baseline and the oracle alike. ``stem2cif`` and ``agent`` are the
agent (:func:`reconstruction.agent.run_agent`) with the direct and the rules policy, as
``automat reconstruct`` and the portal run it; their result.json is
:meth:`~reconstruction.agent.AgentResult.as_dict`. Resumable: samples with a result.json
are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from reconstruction.bench.dataset import Sample, read_dataset
from reconstruction.settings import DEFAULT, ScienceSettings


def _lattice_summary(atoms) -> dict:
    cellpar = atoms.cell.cellpar()
    return {"a": round(cellpar[0], 4), "b": round(cellpar[1], 4), "gamma": round(cellpar[5], 3)}


def _spacegroup(atoms) -> str:
    from reconstruction.stem2cif.symmetry import spacegroup

    return spacegroup(atoms, symprec_A=0.1)[0]


def _succeeded(atoms, tool: str, summary: str, timings: dict) -> dict:
    """A successful result.json (reconstruct contract) for a method's structure."""
    return {
        "status": "succeeded",
        "formula": atoms.get_chemical_formula(mode="reduce"),
        "elements": sorted(set(atoms.get_chemical_symbols())),
        "lattice": _lattice_summary(atoms),
        "spacegroup": _spacegroup(atoms),
        "energy": None,
        "timings_s": timings,
        "steps": [{"tool": tool, "args": {}, "ok": True, "summary": summary}],
    }


def _write_result(folder: Path, result: dict) -> None:
    tmp = folder / "result.json.tmp"
    tmp.write_text(json.dumps(result, indent=1, default=str))
    os.replace(tmp, folder / "result.json")


def run_naive(sample: Sample, folder: Path) -> dict:
    """The naive baseline (reconstruction.bench.naive) in the reconstruct contract."""
    from ase.io import write

    from reconstruction.bench.naive import NaiveFailure, reconstruct_naive
    from reconstruction.io import read_micrograph

    micro = read_micrograph(sample.image)
    start = time.perf_counter()
    try:
        atoms = reconstruct_naive(
            micro.data,
            pixel_size_A=micro.calibration.pixel_size_A,
            elements=sample.meta["elements"],
        )
    except (NaiveFailure, ValueError, IndexError, ZeroDivisionError, ArithmeticError) as exc:
        return {"status": "failed", "error": f"naive baseline: {exc}"}
    write(folder / "structure.cif", atoms, format="cif")
    timings = {"naive": round(time.perf_counter() - start, 3)}
    return _succeeded(atoms, "naive", f"{len(atoms)} sites", timings)


def run_oracle(
    sample: Sample, folder: Path, *, energy: str = "relax", settings: ScienceSettings = DEFAULT
) -> dict:
    """The true structure, as if reconstruction were perfect, with the energy model's
    formation energy (the upper bound of the pipeline's energy accuracy)."""
    from ase.io import read

    from reconstruction.energy.properties import predict_properties

    shutil.copyfile(sample.truth, folder / "structure.cif")
    atoms = read(sample.truth)
    result = _succeeded(atoms, "oracle", "truth structure", {})
    if energy != "none":
        start = time.perf_counter()
        out = predict_properties(atoms, relax=energy == "relax", settings=settings)
        result["energy"] = out.energy
        step = {"tool": "predict_properties", "args": out.args, "ok": out.ok}
        result["steps"].append({**step, "summary": out.summary})
        result["timings_s"]["predict_properties"] = round(time.perf_counter() - start, 3)
    return result


def held_out_ids(
    sample: Sample, templates: str | None, *, settings: ScienceSettings = DEFAULT
) -> list[str]:
    """The sample's own structure and every library template equivalent to it (same
    composition, same projected structure): left out to test a structure the library
    does not know. ``templates``: a dump, ``""`` or None for ``settings.templates_dump``."""
    from reconstruction.bench.retrieval import equivalent
    from reconstruction.descriptors import ArrayRetriever

    retriever = ArrayRetriever.from_dump(templates or settings.templates_dump)
    ids = [sample.meta["structure_id"]]
    for row in retriever.candidates(sample.meta["elements"]):  # the same element set
        record = retriever.library.records[row]
        if record["id"] not in ids and equivalent(record["cif"], str(sample.truth)):
            ids.append(record["id"])
    return ids


def run_stem2cif(
    sample: Sample,
    folder: Path,
    *,
    energy: str = "relax",
    templates: str | None = None,
    held_out: bool = False,
    max_distance: float | None = None,
    rdf_max_distance: float | None = None,
    settings: ScienceSettings = DEFAULT,
) -> dict:
    """STEM2CIF as published: the agent with the direct policy, as ``automat reconstruct``
    runs it by default.

    ``energy``: ``relax`` (relax, then formation energy), ``single`` (formation energy of
    the structure as reconstructed) or ``none``. ``templates``: a library dump (``""`` for
    the shipped one) used as a structural prior; ``held_out``: without the sample's own
    structure and its equivalents (:func:`held_out_ids`); ``max_distance``,
    ``rdf_max_distance``: the prior's thresholds (:class:`~reconstruction.agent.policies.
    direct.DirectConfig`); ``settings``: the caller's. Without ``templates`` the shipped
    library still serves the quality gate (as on the command line).
    """
    from reconstruction.agent.policies.direct import DirectConfig, DirectPolicy
    from reconstruction.agent.tools.match import shipped_retriever
    from reconstruction.descriptors import ArrayRetriever

    use = templates is not None
    excluded = held_out_ids(sample, templates, settings=settings) if use and held_out else []
    config = DirectConfig(
        templates=use, exclude_templates=tuple(excluded), max_distance=max_distance,
        rdf_max_distance=rdf_max_distance, predict_properties=energy != "none",
    )  # fmt: skip
    dump = templates or settings.templates_dump
    retriever = ArrayRetriever.from_dump(dump) if use else shipped_retriever(dump)
    return _agent(sample, folder, DirectPolicy(config), retriever, energy, settings)


def _agent(sample: Sample, folder: Path, policy, retriever, energy: str, settings) -> dict:
    """The agent with ``policy`` on the sample; its structure.cif, and its result.json as a
    dict. The steps' files go to a temporary folder."""
    import tempfile

    from reconstruction.agent import run_agent
    from reconstruction.io import read_micrograph

    micro = read_micrograph(sample.image)
    with tempfile.TemporaryDirectory(prefix="agent-") as tmp:
        result = run_agent(
            micro.data, pixel_size_A=micro.calibration.pixel_size_A,
            elements=sample.meta["elements"], mode=sample.meta["mode"], policy=policy,
            retriever=retriever, artifacts_dir=Path(tmp), relax=energy == "relax",
            settings=settings,
        )  # fmt: skip
    if result.cif:
        (folder / "structure.cif").write_text(result.cif)
    return result.as_dict()


def run_agent_method(
    sample: Sample,
    folder: Path,
    *,
    energy: str = "relax",
    held_out: bool = False,
    settings: ScienceSettings = DEFAULT,
) -> dict:
    """The agent with the rules policy (``reconstruction.agent``), templates from the shipped
    library dump when there is one; artifacts go to a temporary folder. ``held_out``: the
    library without the sample's own structure and its equivalents (:func:`held_out_ids`),
    for every step and the quality gate alike — what the portal does with a structure no
    one has seen."""
    from reconstruction.agent.policies.rules import RulesConfig, RulesPolicy
    from reconstruction.agent.tools.match import shipped_retriever

    policy = RulesPolicy(RulesConfig(predict_properties=energy != "none"))
    retriever = shipped_retriever(settings.templates_dump)
    excluded: list[str] = []
    if held_out and retriever is not None:
        excluded = held_out_ids(sample, None, settings=settings)
        retriever = retriever.without(excluded)
    payload = _agent(sample, folder, policy, retriever, energy, settings)
    payload["templates"] = None if retriever is None else len(retriever)
    if held_out:
        payload["held_out_templates"] = excluded
    return payload


METHODS: dict[str, Callable[[Sample, Path], dict]] = {
    "stem2cif": run_stem2cif,
    "agent": run_agent_method,
    "naive": run_naive,
    "oracle": run_oracle,
}


def run_one(
    method: str,
    sample: Sample,
    out: Path,
    energy: str = "relax",
    prior: dict | None = None,
    settings: ScienceSettings = DEFAULT,
) -> dict:
    """One sample; ``prior``: :func:`run_stem2cif`'s template options; ``settings``: the
    caller's machine-local settings."""
    folder = out / sample.sample_id
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if sample.meta.get("e_form_pbe_eV_per_atom") is None:
        energy = "none"  # no DFT value to compare with: the energy would not be scored
    if method == "stem2cif":
        result = run_stem2cif(sample, folder, energy=energy, settings=settings, **(prior or {}))
    elif method == "agent":
        held_out = bool((prior or {}).get("held_out"))
        result = run_agent_method(
            sample, folder, energy=energy, held_out=held_out, settings=settings
        )
    elif method == "oracle":
        result = run_oracle(sample, folder, energy=energy, settings=settings)
    else:
        result = METHODS[method](sample, folder)
    result["wall_s"] = round(time.perf_counter() - start, 3)
    result["method"] = method
    _write_result(folder, result)
    return result


def run(
    dataset: Path,
    out: Path,
    *,
    method: str,
    workers: int = 2,
    progress: bool = True,
    energy: str = "relax",
    templates: str | None = None,
    held_out: bool = False,
    max_distance: float | None = None,
    rdf_max_distance: float | None = None,
    settings: ScienceSettings = DEFAULT,
):
    """Run ``method`` on every built sample of ``dataset`` that has no result in ``out``
    (``energy``, ``templates``, ``held_out`` and the distances apply to stem2cif: relax,
    single or none; a template library dump as structural prior, ``""`` for the shipped
    one; the library without each sample's own structure; the thresholds). ``settings``:
    the caller's machine-local settings, handed to every worker."""
    prior = {
        "templates": templates, "held_out": held_out, "max_distance": max_distance,
        "rdf_max_distance": rdf_max_distance,
    }  # fmt: skip
    from tqdm import tqdm

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(METHODS)}")
    samples = read_dataset(dataset)
    todo = [s for s in samples if not (out / s.sample_id / "result.json").exists()]
    bar = tqdm(total=len(samples), initial=len(samples) - len(todo), disable=not progress)
    if workers <= 1:
        for sample in todo:
            run_one(method, sample, out, energy, prior, settings)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_one, method, s, out, energy, prior, settings) for s in todo]
            for future in as_completed(futures):
                future.result()
                bar.update()
    bar.close()
