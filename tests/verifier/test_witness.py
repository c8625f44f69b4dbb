"""The witness (C2SP tlog-witness) and cosignatures (C2SP tlog-cosignature), without Django:
a witness run over HTTP cosigns a log that grows honestly and refuses one that was rewritten;
a verifier that requires k of a set of witnesses catches a forged or missing cosignature."""

import base64
import http.client
import io
import threading
from contextlib import redirect_stdout

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from remelt_verify import cli
from remelt_verify.cosignature import (
    cosign,
    cosignatures_require,
    cosignatures_verify,
    parse_witness_key,
    signed_message,
    witness_signer_key,
    witness_verifier_key,
)
from remelt_verify.merkle import MemoryTree, leaf_hash
from remelt_verify.notes import (
    Checkpoint,
    NoteError,
    format_checkpoint,
    parse_signer_key,
    sign_note,
    signer_key_string,
)
from remelt_verify.witness import Witness, server

from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY

ORIGIN = "remelt.example/ledger"


def _tree(count: int, *, changed: int | None = None) -> MemoryTree:
    """A log of `count` leaves; with `changed`, the same log with that leaf rewritten."""
    return MemoryTree(
        [leaf_hash(f"entry {i}{' rewritten' if i == changed else ''}".encode()) for i in range(count)]
    )


def _note(tree: MemoryTree, size: int, key: str = TEST_SIGNING_KEY) -> str:
    name, private_key = parse_signer_key(key)
    return sign_note(format_checkpoint(Checkpoint(ORIGIN, size, tree.root(size))), name, private_key)


def _body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
    return f"old {old}\n{lines}\n{note}".encode()


@pytest.fixture
def running(tmp_path):
    """A witness over HTTP on a free port; `post(body)` answers (status, content type, text)."""
    private_key = Ed25519PrivateKey.generate()
    state = tmp_path / "witness.json"
    witness = Witness(
        signer_key=witness_signer_key("witness.veritas.example", private_key),
        log_keys=[TEST_VERIFIER_KEY],
        state=state,
    )
    httpd = server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def post(body: bytes, path: str = "/add-checkpoint"):
        connection = http.client.HTTPConnection(*httpd.server_address, timeout=10)
        connection.request("POST", path, body=body)
        answer = connection.getresponse()
        result = answer.status, answer.getheader("Content-Type"), answer.read().decode()
        connection.close()
        return result

    yield witness, post
    httpd.shutdown()
    httpd.server_close()


def test_a_witness_cosigns_an_honest_log_as_it_grows(running, tmp_path):
    witness, post = running
    tree = _tree(12)
    status, _type, line = post(_body(0, [], _note(tree, 5)))
    assert status == 200 and line.startswith("— witness.veritas.example ")
    (cosigned,) = cosignatures_require(_note(tree, 5) + line, [witness.verifier_key], 1)
    # From the size it cosigned, with the consistency proof, to a larger tree.
    status, _type, line = post(_body(5, tree.consistency_proof(5, 12), _note(tree, 12)))
    assert status == 200
    assert cosignatures_require(_note(tree, 12) + line, [witness.verifier_key], 1)[0].name == cosigned.name
    # The same checkpoint again is cosigned again (a log may ask twice).
    assert post(_body(12, [], _note(tree, 12)))[0] == 200
    # What it saw survives a restart: the state file says size 12 and its root.
    again = Witness(
        signer_key=witness_signer_key("w", Ed25519PrivateKey.generate()),
        log_keys=[TEST_VERIFIER_KEY],
        state=witness.state_path,
    )
    assert again.state[ORIGIN]["size"] == 12
    assert base64.b64decode(again.state[ORIGIN]["root"]) == tree.root(12)


def test_a_witness_refuses_a_rewritten_log(running):
    witness, post = running
    honest = _tree(9)
    assert post(_body(0, [], _note(honest, 9)))[0] == 200
    forked = _tree(14, changed=3)  # entry 3 rewritten, everything re-hashed, signed by the real key
    status, _type, text = post(_body(9, forked.consistency_proof(9, 14), _note(forked, 14)))
    assert status == 422 and "rewritten" in text
    # Nor can the log show the witness another root at the size it holds.
    status, _type, text = post(_body(9, [], _note(forked, 9)))
    assert status == 409 and "forked" in text
    # Its state did not move: the honest log still extends it.
    assert witness.state[ORIGIN]["size"] == 9
    assert post(_body(9, _tree(14).consistency_proof(9, 14), _note(_tree(14), 14)))[0] == 200


def test_a_witness_answers_every_refusal_as_the_spec_says(running):
    _witness, post = running
    tree = _tree(8)
    assert post(_body(0, [], _note(tree, 4)))[0] == 200
    # Not the size it holds: 409 with that size, as text/x.tlog.size.
    assert post(_body(2, tree.consistency_proof(2, 8), _note(tree, 8))) == (409, "text/x.tlog.size", "4\n")
    # Signed by another key: 403. Another log: 404.
    stranger = signer_key_string(ORIGIN, Ed25519PrivateKey.generate())  # our name, another key
    assert post(_body(4, tree.consistency_proof(4, 8), _note(tree, 8, stranger)))[0] == 403
    other_name, other_key = parse_signer_key(TEST_SIGNING_KEY)
    other_log = sign_note(
        format_checkpoint(Checkpoint("other.example/log", 8, tree.root(8))), other_name, other_key
    )
    assert post(_body(0, [], other_log))[0] == 404
    # Malformed: 400; old beyond the checkpoint: 400; a wrong proof: 422.
    assert post(b"old 04\n\n" + _note(tree, 8).encode())[0] == 400
    assert post(b"old 4\nnot base64!\n\n" + _note(tree, 8).encode())[0] == 400
    assert post(_body(9, [], _note(tree, 8)))[0] == 400
    assert post(_body(4, [bytes(32)] * 2, _note(tree, 8)))[0] == 422
    assert post(_body(0, [], _note(tree, 8)), path="/elsewhere")[0] == 404


def test_concurrent_submissions_from_one_size_cosign_only_one(running):
    witness, post = running
    tree = _tree(40)
    assert post(_body(0, [], _note(tree, 10)))[0] == 200
    answers = []

    def submit(size):
        answers.append((size, post(_body(10, tree.consistency_proof(10, size), _note(tree, size)))[0]))

    threads = [threading.Thread(target=submit, args=(size,)) for size in (20, 30, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for _size, status in answers) == [200, 409, 409]
    winner = next(size for size, status in answers if status == 200)
    assert witness.state[ORIGIN]["size"] == winner  # never rolled back by a loser


def test_cosignature_format_matches_the_spec_and_real_keys():
    # c2sp.org/tlog-cosignature: the example line holds key ID, then the 8-byte timestamp of
    # its "time 1679315147" line, then the signature.
    raw = base64.b64decode(
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    assert len(raw) == 4 + 8 + 64 and int.from_bytes(raw[4:12], "big") == 1679315147
    # A witness key published by a running witness (transparency-dev/formats' tests): its key
    # ID checks out only with the 0x04 algorithm byte.
    name, key_id, _public = parse_witness_key(
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    )
    assert (name, key_id) == ("remora.n621.de", 0xDA77ADE7)
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert signed_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def _witnesses(count: int):
    keys = [Ed25519PrivateKey.generate() for _ in range(count)]
    names = [f"w{i}.example" for i in range(1, count + 1)]
    return [(name, key, witness_verifier_key(name, key)) for name, key in zip(names, keys, strict=True)]


def test_k_of_n_catches_a_missing_or_forged_cosignature(tmp_path):
    tree = _tree(6)
    note = _note(tree, 6)
    body = note[: note.rfind("\n\n") + 1]
    (n1, k1, v1), (n2, k2, v2), (_n3, _k3, v3) = _witnesses(3)
    cosigned = note + cosign(body, n1, k1) + cosign(body, n2, k2)
    assert len(cosignatures_require(cosigned, [v1, v2, v3], 2)) == 2
    with pytest.raises(NoteError, match="missing cosignature.*none by w2.example"):
        cosignatures_require(note + cosign(body, n1, k1), [v1, v2, v3], 2)
    with pytest.raises(NoteError, match="1 of the 2 required"):
        cosignatures_require(cosigned, [v1, v3], 2)
    # A cosignature by w2's name and key ID that w2 did not make.
    prefix, encoded = cosign(body, n2, k2).rstrip("\n").rsplit(" ", 1)
    forged = f"{prefix} {base64.b64encode(base64.b64decode(encoded)[:12] + bytes(64)).decode()}\n"
    with pytest.raises(NoteError, match="bad signature.*w2.example"):
        cosignatures_verify(note + cosign(body, n1, k1) + forged, [v1, v2])
    # One for another checkpoint does not count.
    other = _note(_tree(6, changed=1), 6)
    moved = cosign(other[: other.rfind("\n\n") + 1], n1, k1)
    with pytest.raises(NoteError, match="bad signature"):
        cosignatures_verify(note + moved, [v1])

    # The command line: --witness and --quorum on a checkpoint.
    path = tmp_path / "cosigned.note"
    path.write_text(cosigned)

    def run(*args):
        out = io.StringIO()
        with redirect_stdout(out):
            code = cli.main(["checkpoint", str(path), "--key", TEST_VERIFIER_KEY, *args])
        return code, out.getvalue()

    code, out = run("--witness", v1, "--witness", v2)
    assert code == 0 and "cosigned by w1.example, w2.example (2 of 2 required)" in out
    code, out = run("--witness", v1, "--witness", v3, "--quorum", "2")
    assert code == 1 and out.startswith("FAIL") and "missing cosignature" in out
    assert run("--witness", v1, "--witness", v3, "--quorum", "1")[0] == 0
