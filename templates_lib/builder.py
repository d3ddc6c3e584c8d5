"""Build template records from known structures (pure Python: no Django here).

One record per structure and imaging mode: metadata, CIF, the descriptors of its
high-dose fast-simulator image in that mode (as
:func:`reconstruction.descriptors.describe_structure` computes them), the detected
observation (so vectors can be recomputed without rendering again) and, for iDPC, a small
PNG of the image. ``build_records`` runs in parallel and skips structures whose content hash and
descriptor version are already known (incremental).

``python -m templates_lib.builder OUT.jsonl [--source PATH] [--limit N] [--workers 2]
[--mode haadf] [--dump DUMP [--base OLD_DUMP]]`` appends records to a JSON-lines file
(resumable); the management command ``build_templates`` stores them in the database.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from reconstruction.descriptors import (
    DESCRIPTOR_VERSION,
    LibraryArrays,
    describe_observation,
    observe,
    render_template,
)
from reconstruction.descriptors.describe import TEMPLATE_SUPERCELL_PX, lattice_dict
from reconstruction.descriptors.library import RECORD_KEYS
from reconstruction.descriptors.retrieval import structure_dict, structure_from_cif
from reconstruction.simulate.config import MODES

PNG_MAX_PX = 192


def load_source(
    path: Path | None = None, *, limit: int | None = None, data_dir: Path | None = None
) -> list[Atoms]:
    """Structures of an extxyz/CIF/any ASE-readable file (default: ``monolayers.extxyz`` of
    the shared data in ``data_dir``, ``ScienceSettings.shared_data_dir``), in file order;
    each gets an ``info["id"]``."""
    from reconstruction.data import load_monolayers, monolayers_path

    if path is None:
        structures = load_monolayers(monolayers_path(data_dir))
    else:
        from ase.io import read

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        structures = read(path, ":")
        for i, atoms in enumerate(structures):
            atoms.info.setdefault("id", f"{path.stem}-{i}" if len(structures) > 1 else path.stem)
    return structures[:limit] if limit is not None else structures


def content_hash(atoms: Atoms) -> str:
    """SHA-256 of what defines a template (id, species, positions, cell; rounded)."""
    payload = {
        "id": str(atoms.info.get("id", "")),
        "numbers": atoms.numbers.tolist(),
        "positions": np.round(atoms.positions, 4).tolist(),
        "cell": np.round(np.array(atoms.cell), 4).tolist(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def to_cif(atoms: Atoms) -> str:
    from ase.io import write

    buf = io.BytesIO()
    clean = Atoms(atoms.get_chemical_symbols(), atoms.positions, cell=atoms.cell, pbc=True)
    write(buf, clean, format="cif")
    return buf.getvalue().decode()


def png_bytes(image: np.ndarray, max_px: int = PNG_MAX_PX) -> bytes:
    """8-bit grey PNG of an image, scaled so its longer side is at most ``max_px``."""
    from PIL import Image

    lo, hi = np.percentile(image, [0.5, 99.5])
    scaled = np.clip((image - lo) / max(hi - lo, 1e-12), 0, 1)
    img = Image.fromarray((scaled * 255).astype(np.uint8))
    if max(img.size) > max_px:
        img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _spacegroup(atoms: Atoms) -> tuple[str, int]:
    info_sg, info_n = atoms.info.get("spacegroup"), atoms.info.get("sg_number")
    if info_sg and info_n:
        return str(info_sg), int(info_n)
    from reconstruction.stem2cif.symmetry import spacegroup

    return spacegroup(atoms, symprec_A=0.1)


def metadata(atoms: Atoms) -> dict[str, Any]:
    """Everything of a record that needs no image."""
    cellpar = atoms.cell.cellpar()
    sg, sg_n = _spacegroup(atoms)
    e_form = atoms.info.get("e_form_pbe")
    sid = str(atoms.info.get("id") or atoms.get_chemical_formula(mode="reduce"))
    return {
        "id": sid,
        "source": str(atoms.info.get("source", "curated")),
        "formula": str(atoms.info.get("formula") or atoms.get_chemical_formula(mode="reduce")),
        "elements": sorted(set(atoms.get_chemical_symbols())),
        "spacegroup": sg,
        "sg_number": int(sg_n),
        "a": round(float(cellpar[0]), 4),
        "b": round(float(cellpar[1]), 4),
        "gamma": round(float(cellpar[5]), 3),
        "n_atoms": len(atoms),
        "e_form": None if e_form is None or not np.isfinite(e_form) else float(e_form),
        "content_hash": content_hash(atoms),
        "cif": to_cif(atoms),
        "structure": structure_dict(atoms),
    }


def describe_template(atoms: Atoms, *, mode: str = "idpc", with_png: bool | None = None) -> dict:
    """One template record of ``mode`` (see the module docstring); errors are reported in
    the record (``"error"``) so one odd structure does not stop a build of thousands. The
    PNG (by default only of the iDPC image) is the image the portal shows."""
    if with_png is None:
        with_png = mode == "idpc"
    start = time.perf_counter()
    record = metadata(atoms)
    record["descriptor_version"] = DESCRIPTOR_VERSION
    record["mode"] = mode
    try:
        image, px = render_template(atoms, mode=mode)
        obs = observe(image, pixel_size_A=px, mode=mode, supercell_max_px=TEMPLATE_SUPERCELL_PX)
        desc = describe_observation(obs)
    except Exception as exc:  # a bad structure must not stop the build; it is reported
        record["error"] = f"{type(exc).__name__}: {exc}"
        return record
    record["observation"] = obs.as_dict()
    record["rdf"] = desc.rdf.tolist()
    record["rich"] = desc.rich.tolist()
    record["image_lattice"] = lattice_dict(obs.basis_A)
    if with_png:
        record["png"] = base64.b64encode(png_bytes(image)).decode()
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


def _describe(args: tuple[Atoms, str]) -> dict:
    return describe_template(args[0], mode=args[1])


def build_records(
    structures: Iterable[Atoms],
    *,
    known: set[tuple[str, str]] | None = None,
    workers: int = 2,
    mode: str = "idpc",
    progress: bool = False,
    on_skip: Callable[[Atoms], None] | None = None,
) -> Iterator[dict]:
    """Records of the structures not in ``known`` ((content_hash, descriptor_version)
    pairs), computed by ``workers`` processes; yields in completion order."""
    from tqdm import tqdm

    known = known or set()
    todo = []
    for atoms in structures:
        if (content_hash(atoms), DESCRIPTOR_VERSION) in known:
            if on_skip:
                on_skip(atoms)
            continue
        todo.append(atoms)
    bar = tqdm(total=len(todo), disable=not progress, unit="template", file=sys.stderr)
    try:
        if workers <= 1:
            for atoms in todo:
                yield describe_template(atoms, mode=mode)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                jobs = ((a, mode) for a in todo)
                for record in pool.map(_describe, jobs, chunksize=4):
                    yield record
                    bar.update()
    finally:
        bar.close()


def library_from_records(
    records: Iterable[dict], *, base: LibraryArrays | None = None
) -> LibraryArrays:
    """:class:`LibraryArrays` (the dump's content) from successful records, one per
    template and imaging mode (``"mode"``, iDPC when absent). Templates of ``base`` (an
    earlier library) keep their vectors in every mode the records do not redo."""
    good = [r for r in records if "error" not in r and "rich" in r]
    by_id: dict[str, dict] = {}
    vectors: dict[str, dict[str, dict[str, list]]] = {}
    if base is not None:
        for i, r in enumerate(base.records):
            by_id[r["id"]] = {k: r[k] for k in RECORD_KEYS}
            for mode, arrays in base.vectors.items():
                vectors.setdefault(mode, {})[r["id"]] = {k: v[i] for k, v in arrays.items()}
    for r in good:
        r.setdefault("structure", structure_dict(structure_from_cif(r["cif"])))
        by_id[r["id"]] = {k: r[k] for k in RECORD_KEYS}
        vectors.setdefault(r.get("mode", "idpc"), {})[r["id"]] = {
            "rdf": r["rdf"],
            "rich": r["rich"],
        }
    ids = sorted(by_id)
    return LibraryArrays.from_rows(
        [by_id[i] for i in ids],
        {mode: [rows.get(i) for i in ids] for mode, rows in vectors.items()},
    )


def read_jsonl(path: Path) -> list[dict]:
    """Records of a JSON-lines file (a truncated last line, from an interrupted build, is
    ignored); the last record of each id and imaging mode wins."""
    by_key: dict[tuple[str, str], dict] = {}
    if not Path(path).exists():
        return []
    for line in Path(path).read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        by_key[r["id"], r.get("mode", "idpc")] = r
    return list(by_key.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m templates_lib.builder")
    parser.add_argument("out", type=Path, help="JSON-lines file (appended; resumable)")
    parser.add_argument("--source", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dump", type=Path, default=None, help="also write the .npz dump")
    parser.add_argument(
        "--priority", type=Path, default=None, help="file of ids (one a line) to build first"
    )
    parser.add_argument(
        "--mode", default="idpc", choices=MODES, help="imaging mode the templates are rendered in"
    )
    parser.add_argument("--base", type=Path, default=None,
                        help="with --dump: start from this dump's templates and vectors "
                             "(add a mode to a library without rendering the others)")  # fmt: skip
    args = parser.parse_args(argv)
    structures = load_source(args.source, limit=args.limit)
    if args.priority:
        first = {line.strip() for line in args.priority.read_text().splitlines()}
        structures.sort(key=lambda a: a.info.get("id") not in first)  # stable: file order
    done = [r for r in read_jsonl(args.out) if r.get("mode", "idpc") == args.mode]
    known = {(r["content_hash"], r.get("descriptor_version")) for r in done if "rich" in r}
    start = time.perf_counter()
    n = 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as fh:
        for record in build_records(
            structures, known=known, workers=args.workers, mode=args.mode, progress=True
        ):
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
            fh.flush()
            n += 1
    print(f"{n} new records in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.dump:
        from reconstruction.descriptors import read_dump, write_dump

        ids = {str(a.info.get("id")) for a in structures}
        records = [r for r in read_jsonl(args.out) if r["id"] in ids]
        base = read_dump(args.base) if args.base else None
        write_dump(library_from_records(records, base=base), args.dump)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
