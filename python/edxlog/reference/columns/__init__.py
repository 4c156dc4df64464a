"""Records -> Arrow (src/columns/): the schema, with ``columns=`` applied (``schema``), and
record batches typed by it (``builder``)."""
