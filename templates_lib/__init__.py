"""The template library (issue 5): simulated projections of known monolayers with their
descriptor vectors in PostgreSQL/pgvector, a builder, and the retrieval service handed to
the reconstruction as a retriever object. May import ``reconstruction``, Django, pgvector."""
