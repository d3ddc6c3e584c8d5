"""Descriptors of micrographs and structures for template retrieval, in Å.

``describe_image`` / ``describe_structure`` give a :class:`Descriptor` (the paper's 32-bin
pair-distance histogram in Å, and a richer lattice + motif vector); a :class:`Retriever`
turns one into the nearest templates with the right elements. ``ArrayRetriever`` searches
the shipped library dump in memory; the web app's pgvector retriever lives in
``templates_lib.services`` (the reconstruction never imports the database).
"""

from reconstruction.descriptors.describe import (
    DESCRIPTOR_VERSION,
    Descriptor,
    describe_image,
    describe_observation,
    describe_structure,
    render_template,
)
from reconstruction.descriptors.library import (
    LibraryArrays,
    default_dump_path,
    read_dump,
    write_dump,
)
from reconstruction.descriptors.observe import Observation, observe
from reconstruction.descriptors.retrieval import (
    LIGHT_ELEMENTS,
    ArrayRetriever,
    Retriever,
    TemplateMatch,
    element_key,
    elements_allowed,
)
from reconstruction.descriptors.vectors import RDF_BINS, RICH_DIM

__all__ = [
    "DESCRIPTOR_VERSION",
    "LIGHT_ELEMENTS",
    "RDF_BINS",
    "RICH_DIM",
    "ArrayRetriever",
    "Descriptor",
    "LibraryArrays",
    "Observation",
    "Retriever",
    "TemplateMatch",
    "default_dump_path",
    "describe_image",
    "describe_observation",
    "describe_structure",
    "element_key",
    "elements_allowed",
    "observe",
    "read_dump",
    "render_template",
    "write_dump",
]
