"""The arguments of a source call in a Python query function (`dp.read_files(...)`, `dp.read_postgres(...)`),
evaluated before the function runs: a streaming flow must know what it reads to plan the batch first.

Arguments may be constants, f-strings, `+` of those, `dp.conf.get(key[, default])` (the pipeline's
configuration), and names of module-level constants (strings, numbers, lists and dicts of those).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from lakeloader.errors import ConfigError
from lakeloader.pipelines.model import Flow

_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


class _Evaluator:
    def __init__(self, flow: Flow, configuration: dict[str, str], call: str) -> None:
        self.flow = flow
        self.configuration = configuration
        self.call = call
        function = flow.query.function
        self.globals: dict[str, Any] = dict(getattr(function, "__globals__", {}) or {})

    def fail(self) -> ConfigError:
        return ConfigError(
            f"{self.flow.location}: flow {self.flow.name}: write {self.call}'s arguments as constants, f-strings, "
            "module-level constants or dp.conf.get(...), so what it reads is known before the flow runs"
        )

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
            return "".join(str(p) for p in parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.value(node.left) + self.value(node.right)
        if isinstance(node, ast.List | ast.Tuple):
            return [self.value(v) for v in node.elts]
        if isinstance(node, ast.Dict):
            return {self.value(k): self.value(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
        if isinstance(node, ast.Name) and node.id in self.globals and _plain(self.globals[node.id]):
            return self.globals[node.id]
        if self._is_conf_get(node):
            assert isinstance(node, ast.Call)
            key = self.value(node.args[0])
            default = self.value(node.args[1]) if len(node.args) > 1 else None
            if key in self.configuration:
                return self.configuration[key]
            if default is not None:
                return default
            raise ConfigError(
                f"{self.flow.location}: dp.conf.get('{key}') is not in the pipeline's configuration; add it to "
                "spark-pipeline.yml under configuration"
            )
        raise self.fail()

    @staticmethod
    def _is_conf_get(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "conf"
            and bool(node.args)
        )


def call_arguments(
    flow: Flow, method: str, configuration: dict[str, str], *, only: set[str] | None = None
) -> tuple[list[Any], dict[str, Any]]:
    """The evaluated (positional, keyword) arguments of the first `<x>.method(...)` call in the flow's function
    (`only`: just these keywords, and no positional ones)."""
    assert flow.query.function is not None
    tree = ast.parse(textwrap.dedent(inspect.getsource(flow.query.function)))
    evaluator = _Evaluator(flow, configuration, f"dp.{method}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
            if only is not None:
                return [], {str(k.arg): evaluator.value(k.value) for k in node.keywords if k.arg in only}
            args = [evaluator.value(a) for a in node.args]
            if any(k.arg is None for k in node.keywords):
                raise evaluator.fail()  # **options: not known before the function runs
            return args, {str(k.arg): evaluator.value(k.value) for k in node.keywords}
    raise ConfigError(f"{flow.location}: flow {flow.name}: no dp.{method}(...) call found")


def stream_reader(flow: Flow, configuration: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The path and Auto Loader options of the flow's `spark.readStream.format("cloudFiles").option(k, v)...
    .schema(s).load(path)` chain, evaluated before it runs (a schema may be a module-level StructType)."""
    assert flow.query.function is not None
    tree = ast.parse(textwrap.dedent(inspect.getsource(flow.query.function)))
    evaluator = _Evaluator(flow, configuration, "spark.readStream")
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load"):
            continue
        calls: list[ast.Call] = []
        current: ast.AST = node
        while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            calls.append(current)
            current = current.func.value
        if not (isinstance(current, ast.Attribute) and current.attr == "readStream"):
            continue
        options: dict[str, Any] = {}
        path: Any = None
        for call in reversed(calls):  # in the order written
            method = call.func.attr  # type: ignore[attr-defined]
            args = call.args
            if method == "format" and args:
                options["_format"] = evaluator.value(args[0])
            elif method == "option" and len(args) == 2:
                options[str(evaluator.value(args[0]))] = evaluator.value(args[1])
            elif method == "options":
                options.update({str(k.arg): evaluator.value(k.value) for k in call.keywords if k.arg})
            elif method == "schema" and args:
                options["schema"] = _schema(evaluator, args[0])
            elif method == "load":
                path = evaluator.value(args[0]) if args else None
                options.update({str(k.arg): evaluator.value(k.value) for k in call.keywords if k.arg})
        if path is None:
            raise evaluator.fail()
        return str(path), options
    raise ConfigError(f"{flow.location}: flow {flow.name}: no spark.readStream...load(path) call found")


def _schema(evaluator: _Evaluator, node: ast.AST) -> str:
    """A `.schema(...)` argument as DDL: DDL text, or a module-level StructType."""
    if isinstance(node, ast.Name) and node.id in evaluator.globals:
        value = evaluator.globals[node.id]
        if hasattr(value, "fields"):
            from lakeloader.spark.rows import ddl

            return ddl(value)
    return str(evaluator.value(node))
