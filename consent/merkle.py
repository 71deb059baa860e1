"""The Merkle tree hash, inclusion and consistency proofs of RFC 9162 (section 2.1).

The same structure Certificate Transparency and Sigstore's Rekor use, so any RFC 9162 verifier
checks our proofs. Hashes are raw 32-byte SHA-256 digests; callers hex-encode them at the edges.

- leaf hash  = SHA-256(0x00 || entry bytes)
- node hash  = SHA-256(0x01 || left || right)
- MTH({})    = SHA-256()  (the empty tree)
- MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step, so a reader can hold
the code against the RFC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

Hash = bytes

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
EMPTY_ROOT: Hash = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof asked for something the tree cannot prove (sizes or indexes out of range)."""


def leaf_hash(data: bytes) -> Hash:
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[Hash]) -> Hash:
    """MTH over the leaf hashes, via the compact range (no recursion, O(n) hashes)."""
    return root_of_frontier(extend_frontier([], 0, leaves))


def _subtree(leaves: Sequence[Hash], start: int, end: int) -> Hash:
    n = end - start
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(_subtree(leaves, start, start + k), _subtree(leaves, start + k, end))


# The frontier ("compact range" in Trillian) of a tree of size n: the roots of its perfect
# subtrees, largest first, one per set bit of n. It lets the sealer extend the tree from a
# stored checkpoint without reading any earlier leaf.
def extend_frontier(frontier: Sequence[Hash], size: int, leaves: Sequence[Hash]) -> list[Hash]:
    if len(frontier) != bin(size).count("1"):
        raise ProofError(f"a frontier of {len(frontier)} hashes cannot describe size {size}")
    stack = list(frontier)
    for leaf in leaves:
        stack.append(leaf)
        size += 1
        # Each trailing zero bit of the new size merges two equal perfect subtrees.
        merged = size
        while merged & 1 == 0:
            right = stack.pop()
            left = stack.pop()
            stack.append(node_hash(left, right))
            merged >>= 1
    return stack


def root_of_frontier(frontier: Sequence[Hash]) -> Hash:
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        acc = node_hash(subtree, acc)
    return acc


def inclusion_proof(leaves: Sequence[Hash], index: int, size: int) -> list[Hash]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1."""
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of size {size}")
    if size > len(leaves):
        raise ProofError(f"the log has {len(leaves)} entries, fewer than {size}")
    return _path(leaves, index, 0, size)


def _path(leaves: Sequence[Hash], m: int, start: int, end: int) -> list[Hash]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(leaves, m, start, start + k), _subtree(leaves, start + k, end)]
    return [*_path(leaves, m - k, start + k, end), _subtree(leaves, start, start + k)]


def consistency_proof(leaves: Sequence[Hash], old_size: int, new_size: int) -> list[Hash]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 section 2.1.4.1."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if new_size > len(leaves):
        raise ProofError(f"the log has {len(leaves)} entries, fewer than {new_size}")
    if old_size == new_size:
        return []
    return _subproof(leaves, old_size, 0, new_size, True)


def _subproof(leaves: Sequence[Hash], m: int, start: int, end: int, complete: bool) -> list[Hash]:
    n = end - start
    if m == n:
        return [] if complete else [_subtree(leaves, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, m, start, start + k, complete), _subtree(leaves, start + k, end)]
    return [*_subproof(leaves, m - k, start + k, end, False), _subtree(leaves, start, start + k)]


def verify_inclusion(
    leaf: Hash, index: int, size: int, proof: Sequence[Hash], expected_root: Hash
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: Hash, new_root: Hash, proof: Sequence[Hash]
) -> bool:
    """RFC 9162 section 2.1.4.2 (with the equal-size and empty-tree cases made explicit)."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    # An old tree that is a perfect subtree is its own first node: the RFC prepends its root.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
