"""STEM2Mat-style benchmark: build image–structure–energy triplets, run a method on them,
score the results with the paper's metrics (``automat bench build|run|score``)."""
