"""The stages glued together: one table in memory, a file streamed in chunks, the pipeline's
steps (read, record, publish), rebalanced and scenario tables."""
