"""The sandbox's compile policy: RestrictedPython's, plus calls into `workflows.engine.limits`.

- `a * b`, `a ** b`, `a << b`, `a + b`, `a % b` become `_binop_('Mult', a, b)` etc.: the guard checks
  operand sizes before computing (augmented assignments go through `_inplacevar_`, guarded alike);
- every f-string field becomes `_format_(value, conversion, spec)` (widths and sizes checked);
- `while` bodies, function bodies and lambdas start with `_tick_()`; `for` loops and comprehensions
  iterate through `_getiter_`, which ticks per item;
- refused: class definitions (no user-defined dunders to fool the guards), bare `except:` (it
  would catch a limit), and `return`/`break`/`continue` in `finally` (they would swallow one).

Names starting with `_` are refused in scripts, so a script cannot redefine these guards.
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython import RestrictingNodeTransformer

_GUARDED_OPERATORS = {ast.Mult: "Mult", ast.Pow: "Pow", ast.LShift: "LShift", ast.Add: "Add", ast.Mod: "Mod"}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _tick_statement(node: ast.AST) -> ast.Expr:
    statement = ast.Expr(_call("_tick_"))
    ast.copy_location(statement, node)
    ast.fix_missing_locations(statement)
    return statement


class GuardingTransformer(RestrictingNodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        name = _GUARDED_OPERATORS.get(type(node.op))
        if name is None:
            return node
        call = _call("_binop_", ast.Constant(name), node.left, node.right)
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = ast.copy_location(_call("_format_", node.value, ast.Constant(node.conversion), spec), node)
        guarded = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(guarded, node))

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        visited: Any = super().visit_FunctionDef(node)
        visited.body.insert(0, _tick_statement(node))
        return visited

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> Any:
        self.error(node, "async ist in Skripten nicht erlaubt.")
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        visited: Any = super().visit_Lambda(node)
        visited.body = ast.fix_missing_locations(ast.copy_location(
            ast.BoolOp(op=ast.Or(), values=[_call("_tick_"), visited.body]), visited.body))
        return visited

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "Klassen sind in Skripten nicht erlaubt.")
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        if node.type is None:
            self.error(node, "Ein 'except:' ohne Fehlerart ist in Skripten nicht erlaubt.")
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node: ast.Try) -> Any:
        for statement in node.finalbody:
            for inner in ast.walk(statement):
                if isinstance(inner, ast.Return | ast.Break | ast.Continue):
                    self.error(inner, "return, break und continue sind in 'finally' nicht erlaubt.")
        return super().visit_Try(node)
