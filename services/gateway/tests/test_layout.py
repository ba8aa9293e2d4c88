"""The gateway without tangles: page modules do not import each other (the item page both lead to is a
module of its own), nothing imports lazily to dodge a cycle, and the clients and the acting user come
from one module (calls.py), not from the API's modules."""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[1]


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every `from services.gateway... import` in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    return [(node.module, id(node) in top) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("services.gateway")]


def test_page_modules_do_not_import_each_other() -> None:
    pages = {p.stem for p in (GATEWAY / "pages").glob("*.py") if p.stem != "__init__"}
    for page in pages:
        for module, _ in imports(GATEWAY / "pages" / f"{page}.py"):
            sibling = module.removeprefix("services.gateway.pages.")
            if sibling in pages:
                assert sibling == "item_page" and page != "item_page", f"{page} imports pages.{sibling}"


def test_no_lazy_imports_inside_the_gateway() -> None:
    for path in GATEWAY.rglob("*.py"):
        if "tests" in path.parts or path.name == "app.py":  # the app factory registers blueprints last
            continue
        lazy = [module for module, at_top in imports(path) if not at_top]
        assert not lazy, f"{path.relative_to(GATEWAY)} imports {lazy} inside a function"


def test_clients_and_the_actor_come_from_calls() -> None:
    helpers = {"ledger", "tracking", "actor", "visible_item", "visible"}
    for path in [*GATEWAY.glob("api/*.py"), *GATEWAY.glob("pages/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} & helpers
        if path.name == "ledger_pages.py":
            defined.discard("ledger")  # the /ledger page's view function, not a client
        assert not defined, f"{path.name} defines its own {defined}: use services/gateway/calls.py"
