"""Print docs/schema.md, generated from the one schema definition in the Rust core.

    python -m edxlog.schema_doc > docs/schema.md
"""

from edxlog._core import schema_markdown

if __name__ == "__main__":
    print(schema_markdown(), end="")
