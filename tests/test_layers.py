"""The package's layers (DESIGN.md): every import inside toolkit/ runs down or sideways, never up,
and no chain of imports comes back to where it started. Imports inside functions count too."""

import ast
import fnmatch

from tests.conftest import ROOT

# module pattern -> layer; the first match wins, so the more specific patterns come first
LAYERS = [
    ("toolkit._lazy", 1),
    ("toolkit.layers", 1),
    ("toolkit.machine", 1),
    ("toolkit.errors", 1),
    ("toolkit.files", 1),  # atomic, exclusive writes
    ("toolkit.metrics", 1),
    ("toolkit.plots", 1),  # matplotlib figures of measured results
    ("toolkit.data", 1),
    ("toolkit.data.*", 1),
    ("toolkit.catalog", 2),
    ("toolkit.registry", 3),
    ("toolkit.models", 4),
    ("toolkit.models.*", 4),
    ("toolkit.hub", 5),
    ("toolkit", 5),  # the package's front door re-exports the hub
    ("toolkit.tasks", 6),
    ("toolkit.tasks.*", 6),
    ("toolkit.convert", 7),
    ("toolkit.export", 7),  # runtimes and export
    ("toolkit.runtime", 7),
    ("toolkit.analysis", 7),
    ("toolkit.runs", 8),
    ("toolkit.reports", 8),
    ("toolkit.reports.*", 8),
]


def layer(module):
    for pattern, number in LAYERS:
        if fnmatch.fnmatchcase(module, pattern):
            return number
    raise AssertionError(f"{module} is in no layer of DESIGN.md; add it to LAYERS")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    return {module_name(p): p for p in sorted((ROOT / "toolkit").rglob("*.py"))}


def imports(path, known):
    """The toolkit modules `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "toolkit"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "toolkit":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def graph():
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def test_every_module_has_a_layer():
    for name in modules():
        layer(name)


def test_no_import_runs_up_a_layer():
    upward = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, targets in graph().items()
        if name != "toolkit"
        for target in targets
        if layer(target) > layer(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    edges = {name: {t for t in targets if t != "toolkit"} for name, targets in graph().items() if name != "toolkit"}
    state, circles = {}, []

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not circles, "\n".join(circles)


def test_the_layer_test_sees_an_upward_import(tmp_path):
    """The walk finds imports inside functions, so the tests above can fail."""
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from toolkit import runs\n    import toolkit.hub\n")
    assert imports(module, modules()) == {"toolkit.runs", "toolkit.hub"}
