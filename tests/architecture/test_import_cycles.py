"""No two modules of ours import each other, directly or through others.

import-linter holds the direction between packages; this holds it inside them too, where a
cycle means two modules are one idea split in two (or a constant living in the wrong place).
"""

from __future__ import annotations

import grimp

from service_packages import SERVICE_PACKAGES


def _cycles(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in graph.modules and graph.chain_exists(imported=module, importer=imported):
                found.add((min(module, imported), max(module, imported)))
    return found


def test_no_module_of_ours_is_part_of_an_import_cycle() -> None:
    assert _cycles(grimp.build_graph(*SERVICE_PACKAGES)) == set()


def test_the_check_would_see_a_cycle() -> None:
    graph = grimp.build_graph(*SERVICE_PACKAGES)
    graph.add_import(importer="storage.transactions", imported="consent.models")
    graph.add_import(importer="consent.models", imported="storage.transactions")
    assert ("consent.models", "storage.transactions") in _cycles(graph)
