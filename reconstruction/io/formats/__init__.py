"""One module per file-format family. Each exposes the same two functions:

``signals(path: Path) -> tuple[list[SignalInfo], dict]``
    The image-like signals in the file, described from headers without decoding pixel
    data, and the file's metadata as a JSON-safe dict. Raises CorruptFile when the
    header cannot be parsed.
``load(path: Path, index: int) -> np.ndarray``
    The pixels of signal ``index`` as stored (2D, or 3D frames-first for stacks).
    Raises CorruptFile when the data cannot be decoded (truncated file, bad compression).
"""
