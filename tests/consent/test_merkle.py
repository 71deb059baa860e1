"""The Merkle tree of RFC 9162: known roots, hand-built trees, and proofs for random sizes.

Expectations come from the RFC's definitions written out here, never from the module under
test: a reference MTH built by the recursion of RFC 9162 section 2.1.1, trees composed by hand,
and the roots of the 8-leaf test tree used by Certificate Transparency implementations.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent import merkle

# The leaves and the roots of every prefix of the tree used by CT's reference implementations.
CT_TEST_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_TEST_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference_mth(entries: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, literally."""
    n = len(entries)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + reference_mth(entries[:k]) + reference_mth(entries[k:]))


def leaves_of(entries: list[bytes]) -> list[bytes]:
    return [h(b"\x00" + e) for e in entries]


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_ct_test_tree(size: int) -> None:
    entries = [bytes.fromhex(x) for x in CT_TEST_LEAVES[:size]]
    assert merkle.root(leaves_of(entries)).hex() == CT_TEST_ROOTS[size - 1]


def test_hand_built_trees_of_three_and_five_leaves() -> None:
    a, b, c, d, e = (h(b"\x00" + bytes([i])) for i in range(5))

    def node(x: bytes, y: bytes) -> bytes:
        return h(b"\x01" + x + y)

    assert merkle.root([a, b, c]) == node(node(a, b), c)
    assert merkle.root([a, b, c, d, e]) == node(node(node(a, b), node(c, d)), e)
    # The inclusion path of c in five leaves: its sibling d, then (a,b), then e.
    assert merkle.inclusion_proof([a, b, c, d, e], 2, 5) == [d, node(a, b), e]
    # Consistency from 3 to 5 (RFC 9162 2.1.4.3's shape): c, d, (a,b), e.
    assert merkle.consistency_proof([a, b, c, d, e], 3, 5) == [c, d, node(a, b), e]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    # A node's bytes presented as a leaf never hash to the node: the 0x00/0x01 prefixes differ.
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)


entries_strategy = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(entries=entries_strategy, data=st.data())
def test_root_matches_the_rfc_recursion_and_the_frontier_extends(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = leaves_of(entries)
    assert merkle.root(leaves) == reference_mth(entries)
    cut = data.draw(st.integers(0, len(leaves)))
    frontier = merkle.extend_frontier([], 0, leaves[:cut])
    extended = merkle.extend_frontier(frontier, cut, leaves[cut:])
    assert merkle.root_of_frontier(extended) == reference_mth(entries)


@settings(max_examples=150, deadline=None)
@given(entries=entries_strategy, data=st.data())
def test_inclusion_proofs_verify_and_any_tampering_fails(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = leaves_of(entries)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    tree_root = reference_mth(entries[:size])
    proof = merkle.inclusion_proof(leaves, index, size)
    assert merkle.verify_inclusion(leaves[index], index, size, proof, tree_root)

    other = h(b"\x00" + entries[index] + b"!")
    assert not merkle.verify_inclusion(other, index, size, proof, tree_root)
    assert not merkle.verify_inclusion(leaves[index], index, size, proof, h(b"forged"))
    if size > 1:
        assert not merkle.verify_inclusion(leaves[index], index, size, proof[:-1], tree_root)
        assert not merkle.verify_inclusion(leaves[index], index, size, [*proof, h(b"x")], tree_root)
        at = data.draw(st.integers(0, len(proof) - 1))
        flipped = [p if i != at else h(p) for i, p in enumerate(proof)]
        assert not merkle.verify_inclusion(leaves[index], index, size, flipped, tree_root)
        wrong_index = (index + 1) % size
        if leaves[wrong_index] != leaves[index]:
            assert not merkle.verify_inclusion(leaves[index], wrong_index, size, proof, tree_root)


@settings(max_examples=150, deadline=None)
@given(entries=entries_strategy, data=st.data())
def test_consistency_proofs_verify_and_any_tampering_fails(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = leaves_of(entries)
    new_size = data.draw(st.integers(1, len(leaves)))
    old_size = data.draw(st.integers(1, new_size))
    old_root = reference_mth(entries[:old_size])
    new_root = reference_mth(entries[:new_size])
    proof = merkle.consistency_proof(leaves, old_size, new_size)
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)

    assert not merkle.verify_consistency(old_size, new_size, h(b"forged"), new_root, proof)
    assert not merkle.verify_consistency(old_size, new_size, old_root, h(b"forged"), proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        flipped = [p if i != at else h(p) for i, p in enumerate(proof)]
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, flipped)
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])


def test_a_rewritten_history_has_no_consistency_proof() -> None:
    entries = [bytes([i]) for i in range(7)]
    old_root = reference_mth(entries[:4])
    rewritten = [*entries[:2], b"edited", *entries[3:]]
    proof = merkle.consistency_proof(leaves_of(rewritten), 4, 7)
    assert not merkle.verify_consistency(4, 7, old_root, reference_mth(rewritten), proof)


@pytest.mark.parametrize(
    ("index", "size", "available"), [(-1, 3, 3), (3, 3, 3), (0, 0, 3), (0, 4, 3)]
)
def test_inclusion_proofs_for_missing_entries_or_sizes_are_refused(
    index: int, size: int, available: int
) -> None:
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(leaves_of([b"x"] * available), index, size)


@pytest.mark.parametrize(("old", "new"), [(0, 2), (3, 2), (2, 4), (-1, 1)])
def test_consistency_proofs_for_impossible_sizes_are_refused(old: int, new: int) -> None:
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(leaves_of([b"x"] * 3), old, new)


# Every tree size up to 33 (five levels and a stray leaf): exhaustive, so the rarely taken
# branches of the RFC's verification loops are all walked, not left to hypothesis's draw.
ALL_ENTRIES = [bytes([i]) for i in range(33)]
ALL_LEAVES = leaves_of(ALL_ENTRIES)
ROOTS = [reference_mth(ALL_ENTRIES[:n]) for n in range(len(ALL_ENTRIES) + 1)]


def _variants(proof: list[bytes]) -> list[list[bytes]]:
    """Every proof one honest mistake or forgery away from `proof`."""
    changed = [[*proof[:i], h(p), *proof[i + 1 :]] for i, p in enumerate(proof)]
    shortened = [proof[:-1], proof[1:]] if proof else []
    return [*changed, *shortened, [*proof, h(b"extra")], [h(b"extra"), *proof]]


def test_every_consistency_proof_up_to_33_leaves_verifies_and_nothing_near_it_does() -> None:
    for new in range(1, len(ALL_LEAVES) + 1):
        for old in range(1, new + 1):
            proof = merkle.consistency_proof(ALL_LEAVES, old, new)
            assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
            for variant in _variants(proof):
                assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], variant)
            for other_old, other_new in ((old - 1, new), (old + 1, new), (old, new + 1)):
                if 0 <= other_old <= other_new <= len(ALL_LEAVES):
                    assert not merkle.verify_consistency(
                        other_old, other_new, ROOTS[other_old], ROOTS[other_new], proof
                    ), (old, new, other_old, other_new)
        # Growing from nothing, or with no proof at all, proves nothing.
        assert not merkle.verify_consistency(0, new, ROOTS[0], ROOTS[new], [ROOTS[new]])
        for old in range(1, new):
            assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], [])


def test_every_inclusion_proof_up_to_33_leaves_verifies_and_nothing_near_it_does() -> None:
    for size in range(1, len(ALL_LEAVES) + 1):
        for index in range(size):
            proof = merkle.inclusion_proof(ALL_LEAVES, index, size)
            leaf = ALL_LEAVES[index]
            assert merkle.verify_inclusion(leaf, index, size, proof, ROOTS[size])
            for variant in _variants(proof):
                assert not merkle.verify_inclusion(leaf, index, size, variant, ROOTS[size])
            for other in (index - 1, index + 1):
                assert not merkle.verify_inclusion(leaf, other, size, proof, ROOTS[size]), (
                    index,
                    size,
                    other,
                )
            if size < len(ALL_LEAVES):
                assert not merkle.verify_inclusion(leaf, index, size + 1, proof, ROOTS[size + 1])


@pytest.mark.parametrize(
    ("index", "size", "available", "message"),
    [
        (3, 3, 3, "entry 3 is not in a tree of size 3"),
        (-1, 3, 3, "entry -1 is not in a tree of size 3"),
        (0, 4, 3, "the log has 3 entries, fewer than 4"),
    ],
)
def test_an_inclusion_proof_that_cannot_exist_says_why(
    index: int, size: int, available: int, message: str
) -> None:
    with pytest.raises(merkle.ProofError) as refused:
        merkle.inclusion_proof(ALL_LEAVES[:available], index, size)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("old", "new", "available", "message"),
    [
        (0, 2, 3, "no consistency proof from size 0 to size 2"),
        (3, 2, 3, "no consistency proof from size 3 to size 2"),
        (2, 4, 3, "the log has 3 entries, fewer than 4"),
    ],
)
def test_a_consistency_proof_that_cannot_exist_says_why(
    old: int, new: int, available: int, message: str
) -> None:
    with pytest.raises(merkle.ProofError) as refused:
        merkle.consistency_proof(ALL_LEAVES[:available], old, new)
    assert str(refused.value) == message
