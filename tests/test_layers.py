"""No import cycles anywhere in the project (the layering contract in .importlinter keeps the layers apart; this
keeps modules inside a layer from leaning on each other in a circle, which function-local imports used to hide)."""

from __future__ import annotations

import grimp

PACKAGES = ("gateway", "bots", "flows", "i18n", "workers", "reports", "centres", "reporters")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_project_has_no_import_cycle() -> None:
    assert cycles(grimp.build_graph(*PACKAGES, cache_dir=None)) == []
