#pragma once
// The syntax tree of a parsed template. Nodes are plain structs with a kind tag; children are
// owned. Every node keeps its line and column for error messages.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/templates/value.h"

namespace transformers::templates {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  Const,     // value
  Name,      // name
  List,      // args = items
  Tuple,     // args = items
  Dict,      // args = key0, value0, key1, value1, ...
  Getattr,   // args[0] = object, name = attribute  (x.name)
  Getitem,   // args = object, key                  (x[key])
  Slice,     // args = start, stop, step (each may be null)
  Call,      // args[0] = callee, args[1..] = positional, kwargs
  Filter,    // args[0] = operand (null inside a filter block), name, args[1..], kwargs
  Test,      // args[0] = operand, name, args[1..], kwargs
  Unary,     // op: "-", "+", "not"; args[0]
  Binary,    // op: "+", "-", "*", "/", "//", "%", "**", "~"; args[0], args[1]
  And,       // args[0], args[1]
  Or,        // args[0], args[1]
  Compare,   // args[0] ops[0] args[1] ops[1] args[2] ...
  CondExpr,  // args = then, test, else (else may be null)
  NsRef,     // `ns.attr` as an assignment target: name = ns, attr in `attr`
};

struct Expr {
  ExprKind kind;
  int line = 0;
  int column = 0;
  Value value;
  std::string name;
  std::string op;                // Unary/Binary operator; NsRef attribute
  std::vector<std::string> ops;  // Compare: "==", "!=", "<", "<=", ">", ">=", "in", "notin"
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  const void* fn = nullptr;  // Filter/Test: the resolved implementation (null: unknown here)
};

struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

enum class StmtKind {
  Text,         // text
  Output,       // {{ expr }}
  If,           // branches (cond, body)..., else_body
  For,          // target in expr [if cond] [recursive]; body; else_body
  Set,          // target = expr
  SetBlock,     // {% set target | filters %}body{% endset %}; filters in `filters`
  Macro,        // name(params) body
  CallBlock,    // {% call(params) expr %}body{% endcall %}
  FilterBlock,  // {% filter f | g %}body{% endfilter %}
  Break,
  Continue,
  Generation,   // {% generation %}body{% endgeneration %}
  With,         // {% with a = x, b = y %}body{% endwith %}: targets/values in `assigns`
  Block,        // {% block name %}body{% endblock %}: rendered in place (no inheritance)
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  int column = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr target;
  ExprPtr cond;
  bool recursive = false;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::vector<ExprPtr> filters;
  std::vector<Param> params;
  std::vector<std::pair<ExprPtr, ExprPtr>> assigns;
};

}  // namespace transformers::templates
