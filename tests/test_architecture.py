"""ARCHITECTURE.md stays true: every gslib module is in its map, and the imports have no cycle."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import module_map  # noqa: E402


def test_every_module_is_in_the_architecture_page_and_nothing_else():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    listed = set(re.findall(r"^\| `([\w_]+)` \|", text, flags=re.M))
    modules = set(module_map.modules(ROOT))
    assert listed == modules, f"missing from the page: {sorted(modules - listed)}; gone from gslib: {sorted(listed - modules)}"


def test_the_imports_have_no_cycle_and_no_module_imports_tensorflow_at_import_time():
    graph = module_map.edges(ROOT)
    assert module_map.cycles(graph) == []
    assert "simulate" not in graph["nets"]  # the memory experiment lives in the zoo
    import ast

    for name, path in module_map.modules(ROOT).items():
        top = [node for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))]
        names = {a.name.split(".")[0] for node in top if isinstance(node, ast.Import) for a in node.names}
        names |= {(node.module or "").split(".")[0] for node in top if isinstance(node, ast.ImportFrom)}
        # `import gslib` stays fast: TensorFlow loads only when a network is built or loaded
        assert not names & {"tensorflow", "keras"}, name


def test_cycles_are_found():
    assert module_map.cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b", "a"]]
