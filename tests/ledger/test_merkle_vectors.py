"""The transparency-dev/merkle conformance vectors, one test per file, through remelt_verify.merkle.

The vectors live outside the repository, in shared/testdata/rfc6962 next to it; their README
gives the format and the rules they encode. A missing folder is a failure, not a skip: these
vectors are the evidence that our verifiers agree with everyone else's.
"""

import base64
import json
from pathlib import Path

import pytest
from remelt_verify.merkle import (
    MemoryTree,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "rfc6962"
EXPECTED_COUNT = 196
MISSING = f"the RFC 6962 test vectors are missing: expected JSON files under {VECTORS}"

# The tree the numbered folders (0..4) take their proofs from, per the vectors' README.
LEAF_DATA = "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"
ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
TREE = MemoryTree([leaf_hash(bytes.fromhex(data)) for data in LEAF_DATA])


def _vector_files() -> list[Path]:
    return sorted(VECTORS.rglob("*.json")) if VECTORS.is_dir() else []


def _params() -> list:
    files = _vector_files()
    if not files:  # one failing case rather than an empty, silently skipped parametrization
        return [pytest.param(None, id="missing-vectors")]
    return [pytest.param(path, id=path.relative_to(VECTORS).as_posix()) for path in files]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value is not None else b""


def _proof(value: list | None) -> list[bytes]:
    # Go's JSON writes an empty proof as null; the verifiers take a list.
    return [_b64(item) for item in value or []]


def test_vector_count():
    assert VECTORS.is_dir(), MISSING
    assert len(_vector_files()) == EXPECTED_COUNT


def test_readme_tree_root():
    assert root_from_leaves(TREE.levels[0]).hex() == ROOT_8
    assert TREE.root().hex() == ROOT_8


@pytest.mark.parametrize("path", _params())
def test_vector(path: Path | None):
    if path is None:
        pytest.fail(MISSING, pytrace=False)
    vector = json.loads(path.read_text())
    want_ok = not vector["wantErr"]
    proof = _proof(vector["proof"])
    if "leafIdx" in vector:
        index, size = vector["leafIdx"], vector["treeSize"]
        ok = verify_inclusion(_b64(vector["leafHash"]), index, size, proof, _b64(vector["root"]))
        assert ok is want_ok, vector["desc"]
        if want_ok and path.parent.name.isdigit():
            # A good proof from the README's tree: we must also produce exactly that proof.
            assert TREE.inclusion_proof(index, size) == proof
            assert TREE.root(size) == _b64(vector["root"])
    else:
        size1, size2 = vector["size1"], vector["size2"]
        ok = verify_consistency(size1, size2, proof, _b64(vector["root1"]), _b64(vector["root2"]))
        assert ok is want_ok, vector["desc"]
        if want_ok and path.parent.name.isdigit():
            assert TREE.consistency_proof(size1, size2) == proof
            assert (TREE.root(size1), TREE.root(size2)) == (_b64(vector["root1"]), _b64(vector["root2"]))
