"""Detection: what any micrograph shows, before any chemistry — band-pass filtered columns
(peaks), the 2D lattice and its supercells, the lattice-averaged motif. Both the
descriptors (template retrieval) and STEM2CIF build on it; it imports neither."""
