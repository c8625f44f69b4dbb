import base64
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from remelt_verify import notes

from config.progress import CommandProgress
from ledger.checkpoints import verifier_key
from ledger.projection import projection_drift
from ledger.selectors import chain_verify
from ledger.tree import entries_root, tree_verify


def _b64(root: bytes) -> str:
    return base64.b64encode(root).decode("ascii")  # as the root is written in a checkpoint


class Command(BaseCommand):
    help = (
        "Re-verify the whole chain in constant memory, check the stored Merkle tree against it, then "
        "replay it and compare the lot tables; exit 1 at the first bad seq. With --checkpoint, also "
        "prove that the ledger extends a signed checkpoint kept outside our database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", help="a head hash you kept earlier: fail if the chain no longer reaches it"
        )
        parser.add_argument(
            "--chain-only", action="store_true", help="skip the replay that checks the lot tables for drift"
        )
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help="a signed checkpoint a partner kept: fail unless its root is the root of our first "
            "<size> entries, recomputed from the entries themselves",
        )
        parser.add_argument(
            "--key", help="the verifier key (string or file) to check it with; default: our own key"
        )

    def handle(self, *args, head, chain_only, checkpoint, key, **options):
        kept = self._read_checkpoint(checkpoint, key) if checkpoint else None

        progress = CommandProgress(self.stderr)
        report = chain_verify(expected_head=head, progress=lambda seq: progress(f"verified {seq:,} entries"))
        problem = report.problem
        if problem is None:
            progress(f"chain of {report.count:,} entries verified; checking the Merkle tree")
            problem = tree_verify().problem
        if problem is None and not chain_only:
            progress("replaying the ledger against the lots, consumptions and transfers")
            problem = projection_drift()
        progress.end()
        if problem is not None:
            self._fail(problem)
        self.stdout.write(f"OK {report.count} entries, head {report.head_hash}")
        progress.end(f"verified in {progress.elapsed:.1f} s")
        if kept is not None:
            self._check_checkpoint(kept, report.count)

    def _read_checkpoint(self, path: Path, key: str | None) -> notes.Checkpoint:
        if key is None:
            try:
                key = verifier_key()
            except ImproperlyConfigured as exc:
                raise CommandError(f"{exc}; or give the verifier key with --key") from None
        elif Path(key).is_file():
            key = Path(key).read_text(encoding="utf-8").strip()
        try:
            return notes.parse_checkpoint(notes.verify_note(path.read_bytes(), key))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        except notes.NoteError as exc:
            self._fail(f"checkpoint: {exc}")

    def _check_checkpoint(self, kept: notes.Checkpoint, length: int) -> None:
        """Recompute the root at the checkpoint's size from the entries' hashes (not the stored tree)."""
        if kept.origin != settings.LEDGER_ORIGIN:
            self._fail(
                f"checkpoint: origin: it is for {kept.origin!r}, this ledger is {settings.LEDGER_ORIGIN!r}"
            )
        if kept.size > length:
            self._fail(
                f"checkpoint {kept.size}: truncated: the ledger has {length} entries, fewer than the "
                f"checkpoint's {kept.size}"
            )
        count, root = entries_root(kept.size)
        if count != kept.size:  # the chain was verified above, so only a concurrent change gets here
            self._fail(f"checkpoint {kept.size}: truncated: only {count} entries could be read")
        if root != kept.root:
            self._fail(
                f"checkpoint {kept.size}: inconsistent: the ledger's first {kept.size} entries have root "
                f"{_b64(root)}, the checkpoint signed {_b64(kept.root)}; the ledger was rewritten at or "
                f"before seq {kept.size}"
            )
        self.stdout.write(f"OK the ledger extends checkpoint {kept.size} (root {_b64(root)})")

    def _fail(self, problem) -> None:
        self.stdout.write(f"FAIL {problem}")
        sys.exit(1)
