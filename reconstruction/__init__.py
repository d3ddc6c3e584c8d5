"""The science of automat: reading micrographs, simulating them, reconstructing crystal
structures and predicting their energies. Pure Python: never imports Django."""
