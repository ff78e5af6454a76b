"""The `toolkit` command: a thin Click shell over the library."""
