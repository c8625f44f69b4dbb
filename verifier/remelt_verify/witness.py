"""A transparency-log witness (C2SP tlog-witness), run by an auditor or partner with its own key.

    remelt-verify witness --key witness.key --state witness.json --log-key LOG_KEY --listen 127.0.0.1:8140

It accepts `POST /add-checkpoint` from the log: the body is "old <size>\\n", the lines of a
consistency proof (base64 hashes) from that size, an empty line, and the signed checkpoint. The
witness checks the log's signature, that `old` is the size it cosigned last for that log, and
the proof from the root it kept to the new root; then it keeps the new size and root (written
to the state file before it answers) and returns its cosignature (`remelt_verify.cosignature`).
A log that rewrote anything the witness saw cannot prove consistency and is refused, whatever it
signs. Answers as the spec says: 200 with the cosignature line; 400 malformed; 403 not signed by
a trusted log key; 404 unknown log; 409 (with the size it holds, `text/x.tlog.size`) when `old`
is not that size, or the same size comes with another root; 422 when the proof does not verify.
`GET /` answers the witness's verifier key.
"""

import base64
import binascii
import json
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from remelt_verify.cosignature import cosign, parse_witness_signer_key, witness_verifier_key
from remelt_verify.merkle import HASH_SIZE, verify_consistency
from remelt_verify.notes import NoteError, parse_checkpoint, parse_verifier_key, split_note, verify_note

MAX_BODY = 64 * 1024  # an old line, at most 63 proof lines and a checkpoint with its signatures
MAX_PROOF = 63


class Refused(Exception):
    """An add-checkpoint the witness does not cosign: the HTTP status and why."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # for a 409 on the old size: the size the witness holds


@dataclass(frozen=True)
class Request:
    old: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> Request:
    """Split an add-checkpoint body; Refused(400) if it is not one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise Refused(400, "no empty line before the checkpoint")
    lines = head.split("\n")
    old_line, proof_lines = lines[0], lines[1:]
    size = old_line.removeprefix("old ")
    if size == old_line or not (size == "0" or (size.isascii() and size.isdigit() and size[0] != "0")):
        raise Refused(400, "the first line must be 'old <size>' in decimal without leading zeros")
    if len(proof_lines) > MAX_PROOF:
        raise Refused(400, f"more than {MAX_PROOF} consistency proof lines")
    proof = []
    for line in proof_lines:
        try:
            node = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            node = b""
        if len(node) != HASH_SIZE:
            raise Refused(400, f"proof line {line!r} is not the base64 of a 32-byte hash")
        proof.append(node)
    return Request(old=int(size), proof=proof, note=note)


class Witness:
    """The witness's key, the logs it trusts, and what it cosigned last for each of them."""

    def __init__(self, *, signer_key: str, log_keys: Sequence[str], state: Path) -> None:
        self.name, self.private_key = parse_witness_signer_key(signer_key)
        self.verifier_key = witness_verifier_key(self.name, self.private_key)
        self.logs: dict[str, list[str]] = {}  # origin (the key's name) -> trusted verifier keys
        for key in log_keys:
            origin, _id, _public = parse_verifier_key(key)
            self.logs.setdefault(origin, []).append(key)
        self.state_path = state
        self.lock = threading.Lock()  # the check of `old` and the update are one step
        self.state = self._load()

    def _load(self) -> dict[str, dict]:
        try:
            return json.loads(self.state_path.read_text())["logs"]
        except FileNotFoundError:
            return {}

    def _save(self) -> None:
        temporary = self.state_path.with_name(self.state_path.name + ".new")
        with temporary.open("w") as out:
            json.dump({"logs": self.state}, out, sort_keys=True, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.state_path)  # atomic: a crash leaves the old state or the new

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for a checkpoint that extends what this witness saw, or Refused."""
        request = parse_request(body)
        try:
            text, _signatures = split_note(request.note)
            checkpoint = parse_checkpoint(text)
        except NoteError as exc:
            raise Refused(400, f"the checkpoint: {exc}") from None
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise Refused(404, f"unknown log {checkpoint.origin!r}")
        if not any(self._signed_by(request.note, key) for key in keys):
            raise Refused(403, f"the checkpoint is not signed by a key trusted for {checkpoint.origin!r}")
        if request.old > checkpoint.size:
            raise Refused(400, f"old size {request.old} is beyond the checkpoint's size {checkpoint.size}")
        with self.lock:
            held = self.state.get(checkpoint.origin, {"size": 0, "root": None})
            if request.old != held["size"]:
                raise Refused(409, f"the witness holds size {held['size']}, not {request.old}", held["size"])
            held_root = None if held["root"] is None else base64.b64decode(held["root"])
            if request.old == checkpoint.size and request.old and held_root != checkpoint.root:
                raise Refused(409, f"size {checkpoint.size} was cosigned with another root: the log forked")
            if request.old == 0 or request.old == checkpoint.size:
                if request.proof:
                    raise Refused(422, "a proof from size 0, or between equal sizes, must be empty")
            elif not verify_consistency(
                request.old, checkpoint.size, request.proof, held_root, checkpoint.root
            ):
                raise Refused(
                    422,
                    f"the proof does not show that size {checkpoint.size} extends size {request.old}: "
                    "the log was rewritten, or the proof is wrong",
                )
            self.state[checkpoint.origin] = {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode("ascii"),
            }
            self._save()  # persisted before the cosignature leaves
            return cosign(text, self.name, self.private_key)

    @staticmethod
    def _signed_by(note: str, key: str) -> bool:
        try:
            verify_note(note, key)
        except NoteError:
            return False
        return True


def handler_for(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the spec suggests

        def _answer(self, status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/":
                self._answer(200, witness.verifier_key + "\n")
            else:
                self._answer(404, "not found\n")

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path != "/add-checkpoint":
                self._answer(404, "not found\n")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(411, "Content-Length required\n")
                return
            if not 0 <= length <= MAX_BODY:
                self._answer(413, f"the body may have at most {MAX_BODY} bytes\n")
                return
            body = self.rfile.read(length)
            try:
                cosignature = witness.add_checkpoint(body)
            except Refused as refused:
                self.log_message("refused (%s): %s", refused.status, refused)
                if refused.size is not None:
                    self._answer(refused.status, f"{refused.size}\n", "text/x.tlog.size")
                else:
                    self._answer(refused.status, f"{refused}\n")
                return
            self._answer(200, cosignature)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
            sys.stderr.write(f"witness {self.address_string()}: {format % args}\n")

    return Handler


def server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the witness (call serve_forever; port 0 picks a free one)."""
    return ThreadingHTTPServer((host, port), handler_for(witness))
