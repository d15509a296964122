"""Sourcing: questions about a document as a source (who wrote it, to whom, when, where, in what
language, where the original is kept, what kind of document it is), answered from the fields the
document states them in (fields) by `ProvenanceAnswerer`, which wraps the configured answerer
(provenance)."""

from qa.sourcing.provenance import ProvenanceAnswerer, read_provenance

__all__ = ["ProvenanceAnswerer", "read_provenance"]
