"""Offline verifier: `python -m ledger.verify EXPORT.jsonl [--head HASH]`.

Needs only Python and `rfc8785`: no Django, no database. Prints `OK <count> entries, head
<hash>` and exits 0, or prints the first bad seq and why and exits 1.
"""

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from ledger.chain import ChainVerifier, verify_export_lines


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as export:
        yield from export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.verify", description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="a JSON Lines file written by manage.py export_ledger")
    parser.add_argument("--head", help="a head hash you hold: fail if the export does not reach it")
    args = parser.parse_args(argv)
    verifier = ChainVerifier(expected_head=args.head)
    problem = verify_export_lines(_lines(args.export), verifier)
    if problem:
        print(f"FAIL {problem}")
        return 1
    print(f"OK {verifier.count} entries, head {verifier.last_hash}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
