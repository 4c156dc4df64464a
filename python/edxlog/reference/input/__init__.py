"""Contract §1, where bytes come from: inputs -> members -> physical lines (src/input/).

- ``source``:     what the caller passed -> an ordered list of inputs (src/input/source.rs)
- ``counting``:   the byte-counting reader every stream goes through (bytes_in / bytes_out)
- ``decompress``: gzip and tar recognised by magic bytes; binary members (src/input/decompress.rs)
- ``archive``:    one input -> its members, with damage reported (src/input/archive.rs)
- ``lines``:      a member's bytes -> physical lines of bounded size (src/input/lines.rs)
"""
