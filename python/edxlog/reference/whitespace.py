"""Contract §2: what "whitespace" means, written once for every rule that trims.

"Whitespace" is exactly the ASCII bytes below; NUL is stripped with them at a line's ends
(`is_trimmed` in src/record/mod.rs). The string rules of §4 and §6 use the same set.
"""

WHITESPACE = " \t\n\v\f\r"
WHITESPACE_BYTES = WHITESPACE.encode()
WHITESPACE_AND_NUL_BYTES = WHITESPACE_BYTES + b"\x00"
