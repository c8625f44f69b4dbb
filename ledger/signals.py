"""What the ledger announces to the apps that follow it; the ledger imports none of them.

`entries_appended` is sent inside the appending transaction, once the entries and their
projections are written, with `entries`: the new `Entry` rows in seq order (material-flow
events and system entries alike; a receiver picks the types it cares about). A receiver may
write its own rows in that transaction, as an outbox that commits or rolls back with the
entries, and start work with `transaction.on_commit`. It must not do slow or fallible I/O
there (a broker, a partner's server): an exception refuses the append, and time spent holds
the ledger head lock.

`checkpoint_signed` is sent inside the signing transaction with `checkpoint`, the new
`SignedCheckpoint` (the witness app asks its witnesses to cosign it once that commits).
"""

from django.dispatch import Signal

entries_appended = Signal()
checkpoint_signed = Signal()
