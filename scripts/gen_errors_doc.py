"""Regenerate docs/errors.md from the error registry (`make docs`); a test keeps the two in step."""

from __future__ import annotations

from pathlib import Path

from finchain.errors import all_codes, import_all_codes

HEADER = """# Error codes

Every error a client can see carries a stable `(codespace, code)` pair. Codes
never change meaning once released; a retired code is never reused. Code 1 of
a codespace is its internal error: the node's log has the detail, the client
gets a generic message. This file is generated from the registry by
`make docs` (`scripts/gen_errors_doc.py`); `tests/test_errors.py` fails when
the two disagree.

| codespace | code | meaning |
|---|---|---|
"""


def main() -> None:
    import_all_codes()
    rows = "".join(f"| {c.codespace} | {c.code} | {c.description} |\n" for c in all_codes())
    path = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
    path.write_text(HEADER + rows)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
