"""remelt's offline verifier: the pure code both the server and an outside auditor run.

Canonical JSON and entry sealing (`chain`), RFC 6962 Merkle trees and proofs (`merkle`),
C2SP signed notes and checkpoints (`notes`), the carbon method `remelt-1` (`carbon`), evidence
bundles (`bundle`) and the command line (`cli`, also `python -m remelt_verify`). It imports the
standard library, `rfc8785` and `cryptography` only: never Django, never a database.
"""

__version__ = "1.0.0"
