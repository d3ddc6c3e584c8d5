"""TIFF micrographs (tifffile): grey 8/16/32-bit integers, float32/64, stacks, colour.

Signals
    One per tifffile series. Several single-image series of the same shape and dtype
    (pages written one by one) become one stack ``(n, ny, nx)``. Colour pixels (RGB, RGBA,
    palette) are turned into luminance, and the metadata says so.

Calibration, first found wins (``source`` is ``"file:<tag>"``)
    ``tiff.imagej.XResolution``
        ImageJ description ``unit`` with the XResolution tag (pixels per unit). ImageJ's
        ``spacing`` is the z step between slices, not the pixel size, so it is not used.
    ``tiff.ome.PhysicalSizeX``
        OME-XML ``PhysicalSizeX`` in ``PhysicalSizeXUnit`` (µm when absent).
    ``tiff.fei.Scan.PixelWidth``
        FEI/Thermo Fisher metadata, in metres.
    ``tiff.XResolution``
        Plain XResolution with ResolutionUnit inch/centimetre, accepted only when it
        implies pixels smaller than 1 µm; larger ones are print resolutions (DPI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from ..calibration import calibration_from_scale
from ..metadata import json_safe
from ..types import Calibration, SignalInfo
from ._pixels import LUMINANCE_NOTE, dtype_name, luminance, require_bytes

#: Å per ResolutionUnit for plain XResolution tags (2 inch, 3 cm, 4 mm, 5 µm).
_RESOLUTION_UNIT_A = {2: 2.54e8, 3: 1e8, 4: 1e7, 5: 1e4}
#: Pixel sizes at or above this [Å] from plain XResolution are print DPI, not calibration.
_DPI_LIMIT_A = 1e4
_OME_PIXELS = re.compile(r"<(?:\w+:)?Pixels\b([^>]*)>")
_XML_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class _Plan:
    """How one signal is made from tifffile series."""

    name: str
    series: tuple[int, ...]
    shape: tuple[int, ...]
    dtype: str
    colour: bool


def signals(path: str | PathLike[str]) -> tuple[list[SignalInfo], dict[str, Any]]:
    """Describe the images in a TIFF from its tags, without decoding pixels.

    Parameters
    ----------
    path : str or path-like
        The TIFF (classic or BigTIFF).

    Returns
    -------
    list[SignalInfo], dict
        The signals (shapes frames-first, calibration in Å) and the TIFF metadata.
    """
    path = Path(path)
    with tifffile.TiffFile(path) as tif:
        plans = _plans(tif)
        _check_extent(tif, path)
        infos = [
            SignalInfo(i, p.name, p.shape, p.dtype, _calibration(tif, p.series[0]))
            for i, p in enumerate(plans)
        ]
        return infos, _metadata(tif, plans)


def load(path: str | PathLike[str], index: int) -> np.ndarray:
    """Decode signal ``index``: ``(ny, nx)`` or ``(n, ny, nx)``; colour becomes luminance."""
    with tifffile.TiffFile(Path(path)) as tif:
        plan = _plans(tif)[index]
        frames = [_series_pixels(tif.series[k]) for k in plan.series]
    data = frames[0] if len(frames) == 1 else np.stack(frames)
    return data.reshape(plan.shape)


def _plans(tif: tifffile.TiffFile) -> list[_Plan]:
    plans = [_plan(i, s) for i, s in enumerate(tif.series)]
    first = plans[0] if plans else None
    if first is not None and len(plans) > 1 and len(first.shape) == 2:
        same = all(
            (p.shape, p.dtype, p.colour) == (first.shape, first.dtype, first.colour) for p in plans
        )
        if same:
            series = tuple(range(len(plans)))
            return [
                _Plan("image stack", series, (len(plans), *first.shape), first.dtype, first.colour)
            ]
    return plans


def _plan(index: int, series: tifffile.TiffPageSeries) -> _Plan:
    """Shape without the colour-sample axis and without axes of length 1 (Y, X kept)."""
    axes, shape = series.axes, tuple(int(n) for n in series.shape)
    colour = "S" in axes and shape[axes.index("S")] > 1
    kept = tuple(n for a, n in zip(axes, shape, strict=True) if a in "YX" or (a != "S" and n > 1))
    name = "image" if index == 0 else f"image {index}"
    return _Plan(name, (index,), kept, dtype_name(series.dtype), colour)


def _series_pixels(series: tifffile.TiffPageSeries) -> np.ndarray:
    data = series.asarray()
    page = series.keyframe
    if page.photometric == tifffile.PHOTOMETRIC.PALETTE and page.colormap is not None:
        lut = luminance(np.asarray(page.colormap), axis=0)
        return lut[data]
    if "S" in series.axes:
        return luminance(data, axis=series.axes.index("S"))
    return data


def _check_extent(tif: tifffile.TiffFile, path: Path) -> None:
    """CorruptFile when the tags point past the end of the file (a truncated upload)."""
    size = path.stat().st_size
    for series in tif.series:
        if series.dataoffset is not None:
            end = int(series.dataoffset) + int(series.nbytes)
        else:
            page = series.keyframe
            pairs = zip(page.dataoffsets, page.databytecounts, strict=False)
            end = max((int(o) + int(c) for o, c in pairs if c), default=0)
        require_bytes(path.name, end, size, what="TIFF")


def _calibration(tif: tifffile.TiffFile, series_index: int) -> Calibration:
    page = tif.series[series_index].keyframe
    notes = []
    for reader in (_imagej, _ome, _fei, _resolution):
        cal = reader(tif, page, series_index)
        if cal is None:
            continue
        if cal.is_calibrated:
            return cal
        notes.append(cal.note)
    note = "; ".join(notes) or (
        "no pixel size in the TIFF (no ImageJ unit, OME PhysicalSizeX, FEI PixelWidth or "
        "XResolution)"
    )
    return Calibration(None, None, note=note)


def _pixel_per_unit(page: tifffile.TiffPage) -> float | None:
    tag = page.tags.get("XResolution")
    if tag is None:
        return None
    num, den = tag.value
    return num / den if den else None


def _imagej(tif: tifffile.TiffFile, page: tifffile.TiffPage, _: int) -> Calibration | None:
    if not tif.is_imagej:
        return None
    md = tif.imagej_metadata or {}
    unit = md.get("xunit") or md.get("unit")
    if unit is None:
        return None
    # ImageJ writes µ as the Java escape "\u00B5".
    unit = str(unit).replace("\\u00B5", "µ").replace("\\u00b5", "µ")
    per_unit = _pixel_per_unit(page)
    scale = 1.0 / per_unit if per_unit else None
    return calibration_from_scale(scale, unit, tag="tiff.imagej.XResolution")


def _ome(tif: tifffile.TiffFile, _: tifffile.TiffPage, series_index: int) -> Calibration | None:
    if not tif.is_ome or not tif.ome_metadata:
        return None
    # A regular expression, not an XML parser: only two attributes are needed, and an
    # uploaded file's XML is untrusted.
    pixels = _OME_PIXELS.findall(tif.ome_metadata)
    if not pixels:
        return None
    attributes = dict(_XML_ATTRIBUTE.findall(pixels[min(series_index, len(pixels) - 1)]))
    size = attributes.get("PhysicalSizeX")
    unit = attributes.get("PhysicalSizeXUnit", "µm")
    return calibration_from_scale(size, unit, tag="tiff.ome.PhysicalSizeX")


def _fei(tif: tifffile.TiffFile, _: tifffile.TiffPage, __: int) -> Calibration | None:
    md = tif.fei_metadata
    if not md:
        return None
    width = (md.get("Scan") or {}).get("PixelWidth")
    return calibration_from_scale(width, "m", tag="tiff.fei.Scan.PixelWidth")


def _resolution(_: tifffile.TiffFile, page: tifffile.TiffPage, __: int) -> Calibration | None:
    per_unit = _pixel_per_unit(page)
    if per_unit is None:
        return None
    unit = int(page.resolutionunit)
    if unit not in _RESOLUTION_UNIT_A:
        note = f"XResolution {per_unit:g} has no unit (tiff.XResolution)"
        return Calibration(None, None, note=note)
    if per_unit <= 0:
        return Calibration(None, None, note="XResolution is not positive (tiff.XResolution)")
    size_A = _RESOLUTION_UNIT_A[unit] / per_unit
    if size_A >= _DPI_LIMIT_A:
        name = tifffile.RESUNIT(unit).name.lower()
        return Calibration(
            None,
            None,
            note=f"XResolution {per_unit:g} px/{name} is a print resolution, not a pixel size "
            "(tiff.XResolution)",
        )
    return Calibration(size_A, "file:tiff.XResolution")


def _metadata(tif: tifffile.TiffFile, plans: list[_Plan]) -> dict[str, Any]:
    page = tif.pages.first
    md: dict[str, Any] = {
        "byteorder": tif.byteorder,
        "bigtiff": tif.is_bigtiff,
        "pages": len(tif.pages),
        "series": [
            {"shape": list(s.shape), "axes": s.axes, "dtype": dtype_name(s.dtype)}
            for s in tif.series
        ],
        "photometric": page.photometric.name,
        "compression": page.compression.name,
    }
    if tif.is_imagej:
        md["imagej"] = tif.imagej_metadata
    if tif.is_ome:
        md["ome_xml"] = tif.ome_metadata
    if tif.fei_metadata:
        md["fei"] = tif.fei_metadata
    if page.description:
        md["description"] = page.description
    if any(p.colour for p in plans) or page.photometric == tifffile.PHOTOMETRIC.PALETTE:
        md["colour"] = LUMINANCE_NOTE
    return {"tiff": json_safe(md)}
