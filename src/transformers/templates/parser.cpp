#include "transformers/templates/parser.h"

#include <algorithm>
#include <initializer_list>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"

namespace transformers::templates {

namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParserLimits& limits)
      : toks_(std::move(tokens)), limits_(limits) {}

  Body parse_template() {
    Body body = parse_body({});
    return body;
  }

 private:
  // ---- token stream ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t k = 1) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(const char* op) const { return cur().type == TokenType::Op && cur().text == op; }
  bool is_name(const char* name) const {
    return cur().type == TokenType::Name && cur().text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case TokenType::Data: return "template data";
      case TokenType::VarBegin: return "begin of print statement";
      case TokenType::VarEnd: return "end of print statement";
      case TokenType::BlockBegin: return "begin of statement block";
      case TokenType::BlockEnd: return "end of statement block";
      case TokenType::Name: return "'" + t.text + "'";
      case TokenType::String: return "string";
      case TokenType::Int: return "integer";
      case TokenType::Float: return "float";
      case TokenType::Op: return "'" + t.text + "'";
      case TokenType::Eof: return "end of template";
    }
    return "token";
  }

  [[noreturn]] void error_at(const Token& t, const std::string& msg) const {
    throw TemplateError(ErrorKind::Syntax, msg, t.line, t.column);
  }
  [[noreturn]] void unexpected(const std::string& expected) const {
    error_at(cur(), "expected " + expected + ", got " + describe(cur()));
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) unexpected(std::string("'") + op + "'");
  }
  std::string expect_name() {
    if (cur().type != TokenType::Name) unexpected("a name");
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != TokenType::BlockEnd) unexpected("end of statement block");
    advance();
  }

  ExprPtr node(ExprKind kind, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.limits_.max_depth)
        p.error_at(p.cur(), "template nested too deeply (limit " +
                                std::to_string(p.limits_.max_depth) + ")");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- statements ----

  // Parses until a block tag whose name is in `end`; leaves the stream on that name.
  Body parse_body(std::initializer_list<const char*> end) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = cur();
      switch (t.type) {
        case TokenType::Data: {
          auto s = std::make_unique<Stmt>();
          s->kind = StmtKind::Text;
          s->line = t.line;
          s->column = t.column;
          s->text = t.text;
          body.push_back(std::move(s));
          advance();
          break;
        }
        case TokenType::VarBegin: {
          auto s = std::make_unique<Stmt>();
          s->kind = StmtKind::Output;
          s->line = t.line;
          s->column = t.column;
          advance();
          s->expr = parse_tuple(false, true, {}, false);
          if (cur().type != TokenType::VarEnd) unexpected("end of print statement");
          advance();
          body.push_back(std::move(s));
          break;
        }
        case TokenType::BlockBegin: {
          advance();
          if (cur().type == TokenType::Name) {
            for (const char* e : end)
              if (cur().text == e) return body;
          }
          body.push_back(parse_statement(end));
          break;
        }
        case TokenType::Eof: {
          if (end.size() == 0) return body;
          std::string names;
          for (const char* e : end) names += (names.empty() ? "'" : " or '") + std::string(e) + "'";
          error_at(t, "unexpected end of template, expected " + names);
        }
        default: unexpected("template data or a tag");
      }
    }
  }

  StmtPtr stmt(StmtKind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->column = at.column;
    return s;
  }

  StmtPtr parse_statement(std::initializer_list<const char*> enclosing_end) {
    const Token tag = cur();
    if (tag.type != TokenType::Name) error_at(tag, "tag name expected");
    const std::string& n = tag.text;
    if (n == "if") return parse_if();
    if (n == "for") return parse_for();
    if (n == "set") return parse_set();
    if (n == "macro") return parse_macro();
    if (n == "call") return parse_call_block();
    if (n == "filter") return parse_filter_block();
    if (n == "with") return parse_with();
    if (n == "block") return parse_block();
    if (n == "generation") {
      advance();
      auto s = stmt(StmtKind::Generation, tag);
      expect_block_end();
      s->body = parse_body({"endgeneration"});
      advance();
      expect_block_end();
      return s;
    }
    if (n == "break" || n == "continue") {
      if (loop_depth_ == 0) error_at(tag, "'" + n + "' outside of a loop");
      advance();
      auto s = stmt(n == "break" ? StmtKind::Break : StmtKind::Continue, tag);
      expect_block_end();
      return s;
    }
    if (n == "extends" || n == "include" || n == "import" || n == "from")
      error_at(tag, "'" + n + "' is not available: chat templates cannot load other templates");
    std::string msg = "encountered unknown tag '" + n + "'";
    if (enclosing_end.size() > 0) {
      std::string names;
      for (const char* e : enclosing_end)
        names += (names.empty() ? "'" : " or '") + std::string(e) + "'";
      msg += "; the innermost open block expects " + names;
    }
    error_at(tag, msg);
  }

  StmtPtr parse_if() {
    auto s = stmt(StmtKind::If, cur());
    advance();
    while (true) {
      ExprPtr cond = parse_tuple(false, true, {}, false);
      expect_block_end();
      Body b = parse_body({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(cond), std::move(b));
      std::string which = cur().text;
      advance();
      if (which == "elif") continue;
      if (which == "else") {
        expect_block_end();
        s->else_body = parse_body({"endif"});
        advance();
      }
      expect_block_end();
      return s;
    }
  }

  StmtPtr parse_for() {
    auto s = stmt(StmtKind::For, cur());
    advance();
    s->target = parse_assign_target(false, {"in"});
    if (!skip_name("in")) unexpected("'in'");
    s->expr = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) s->cond = parse_tuple(false, true, {"recursive"}, false);
    if (skip_name("recursive")) s->recursive = true;
    expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (cur().text == "else") {
      advance();
      expect_block_end();
      s->else_body = parse_body({"endfor"});
    }
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_set() {
    const Token tag = cur();
    advance();
    ExprPtr target = parse_assign_target(true, {});
    if (skip_op("=")) {
      auto s = stmt(StmtKind::Set, tag);
      s->target = std::move(target);
      s->expr = parse_tuple(false, true, {}, false);
      expect_block_end();
      return s;
    }
    auto s = stmt(StmtKind::SetBlock, tag);
    s->target = std::move(target);
    while (skip_op("|")) s->filters.push_back(parse_filter_call(nullptr));
    expect_block_end();
    s->body = parse_body({"endset"});
    advance();
    expect_block_end();
    return s;
  }

  std::vector<Param> parse_signature() {
    std::vector<Param> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      Param p;
      p.name = expect_name();
      if (skip_op("=")) p.default_value = parse_expression(true);
      params.push_back(std::move(p));
    }
    advance();
    return params;
  }

  StmtPtr parse_macro() {
    auto s = stmt(StmtKind::Macro, cur());
    advance();
    s->text = expect_name();
    s->params = parse_signature();
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = saved;
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_call_block() {
    auto s = stmt(StmtKind::CallBlock, cur());
    advance();
    if (is_op("(")) s->params = parse_signature();
    s->expr = parse_expression(true);
    if (s->expr->kind != ExprKind::Call) error_at(cur(), "expected a call after 'call'");
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endcall"});
    loop_depth_ = saved;
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = stmt(StmtKind::FilterBlock, cur());
    advance();
    s->filters.push_back(parse_filter_call(nullptr));
    while (skip_op("|")) s->filters.push_back(parse_filter_call(nullptr));
    expect_block_end();
    s->body = parse_body({"endfilter"});
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_with() {
    auto s = stmt(StmtKind::With, cur());
    advance();
    while (cur().type != TokenType::BlockEnd) {
      if (!s->assigns.empty()) expect_op(",");
      ExprPtr target = parse_assign_target(false, {});
      expect_op("=");
      s->assigns.emplace_back(std::move(target), parse_expression(true));
    }
    expect_block_end();
    s->body = parse_body({"endwith"});
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_block() {
    auto s = stmt(StmtKind::Block, cur());
    advance();
    s->text = expect_name();
    skip_name("scoped");
    skip_name("required");
    expect_block_end();
    s->body = parse_body({"endblock"});
    advance();
    if (cur().type == TokenType::Name) {
      if (cur().text != s->text) unexpected("'" + s->text + "'");
      advance();
    }
    expect_block_end();
    return s;
  }

  // A name, `ns.attr` (with_namespace) or a tuple of names.
  ExprPtr parse_assign_target(bool with_namespace, std::initializer_list<const char*> extra_end) {
    const Token at = cur();
    if (with_namespace && cur().type == TokenType::Name && peek().type == TokenType::Op &&
        peek().text == "." && peek(2).type == TokenType::Name) {
      auto e = node(ExprKind::NsRef, at);
      e->name = cur().text;
      advance();
      advance();
      e->op = cur().text;
      advance();
      return e;
    }
    ExprPtr target = parse_tuple(true, true, extra_end, false);
    auto check = [&](const Expr& e) {
      if (e.kind != ExprKind::Name) error_at(at, "cannot assign to this expression");
      if (e.name == "true" || e.name == "false" || e.name == "none" || e.name == "True" ||
          e.name == "False" || e.name == "None")
        error_at(at, "cannot assign to '" + e.name + "'");
    };
    if (target->kind == ExprKind::Tuple) {
      for (auto& item : target->args) check(*item);
    } else {
      check(*target);
    }
    return target;
  }

  // ---- expressions ----

  bool is_tuple_end(std::initializer_list<const char*> extra_end) const {
    if (cur().type == TokenType::VarEnd || cur().type == TokenType::BlockEnd ||
        cur().type == TokenType::Eof)
      return true;
    if (is_op(")")) return true;
    if (cur().type == TokenType::Name)
      for (const char* e : extra_end)
        if (cur().text == e) return true;
    return false;
  }

  ExprPtr parse_tuple(bool simplified, bool with_condexpr,
                      std::initializer_list<const char*> extra_end, bool explicit_parens) {
    const Token at = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      if (simplified) {
        items.push_back(parse_primary());
      } else {
        items.push_back(parse_expression(with_condexpr));
      }
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) unexpected("an expression");
    }
    auto t = node(ExprKind::Tuple, at);
    t->args = std::move(items);
    return t;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    DepthGuard guard(*this);
    const Token at = cur();
    ExprPtr expr1 = parse_or();
    while (skip_name("if")) {
      ExprPtr test = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) otherwise = parse_condexpr();
      auto e = node(ExprKind::CondExpr, at);
      e->args.push_back(std::move(expr1));
      e->args.push_back(std::move(test));
      e->args.push_back(std::move(otherwise));
      expr1 = std::move(e);
    }
    return expr1;
  }

  ExprPtr binary(ExprKind kind, const Token& at, std::string op, ExprPtr l, ExprPtr r) {
    auto e = node(kind, at);
    e->op = std::move(op);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::Or, at, "or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::And, at, "and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = node(ExprKind::Unary, cur());
      advance();
      e->op = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token at = cur();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == TokenType::Op && (cur().text == "==" || cur().text == "!=" ||
                                          cur().text == "<" || cur().text == "<=" ||
                                          cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == TokenType::Name && peek().text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(ExprKind::Compare, at);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::Binary, at, at.text, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::Binary, at, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::Binary, at, at.text, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Token at = cur();
      advance();
      left = binary(ExprKind::Binary, at, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = node(ExprKind::Unary, cur());
      e->op = cur().text;
      advance();
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    DepthGuard guard(*this);
    const Token at = cur();
    switch (at.type) {
      case TokenType::Name: {
        advance();
        auto e = node(ExprKind::Const, at);
        if (at.text == "true" || at.text == "True") {
          e->value = true;
        } else if (at.text == "false" || at.text == "False") {
          e->value = false;
        } else if (at.text == "none" || at.text == "None") {
          e->value = Value::none();
        } else {
          e->kind = ExprKind::Name;
          e->name = at.text;
        }
        return e;
      }
      case TokenType::String: {
        std::string s;
        while (cur().type == TokenType::String) {  // adjacent literals concatenate
          s += cur().text;
          advance();
        }
        auto e = node(ExprKind::Const, at);
        e->value = std::move(s);
        return e;
      }
      case TokenType::Int: {
        advance();
        auto e = node(ExprKind::Const, at);
        e->value = at.int_value;
        return e;
      }
      case TokenType::Float: {
        advance();
        auto e = node(ExprKind::Const, at);
        e->value = at.float_value;
        return e;
      }
      case TokenType::Op: {
        if (at.text == "(") {
          advance();
          ExprPtr e = parse_tuple(false, true, {}, true);
          expect_op(")");
          return e;
        }
        if (at.text == "[") return parse_list();
        if (at.text == "{") return parse_dict();
        break;
      }
      default: break;
    }
    unexpected("an expression");
  }

  ExprPtr parse_list() {
    auto e = node(ExprKind::List, cur());
    advance();
    while (!is_op("]")) {
      if (!e->args.empty()) expect_op(",");
      if (is_op("]")) break;
      e->args.push_back(parse_expression(true));
    }
    advance();
    return e;
  }

  ExprPtr parse_dict() {
    auto e = node(ExprKind::Dict, cur());
    advance();
    while (!is_op("}")) {
      if (!e->args.empty()) expect_op(",");
      if (is_op("}")) break;
      e->args.push_back(parse_expression(true));
      expect_op(":");
      e->args.push_back(parse_expression(true));
    }
    advance();
    return e;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        advance();
        e = parse_filter_call(std::move(e));
      } else if (is_name("is")) {
        e = parse_test(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    const Token at = cur();
    if (skip_op(".")) {
      if (cur().type == TokenType::Name) {
        auto e = node(ExprKind::Getattr, at);
        e->name = cur().text;
        advance();
        e->args.push_back(std::move(obj));
        return e;
      }
      if (cur().type != TokenType::Int) unexpected("a name or a number after '.'");
      auto key = node(ExprKind::Const, cur());
      key->value = cur().int_value;
      advance();
      auto e = node(ExprKind::Getitem, at);
      e->args.push_back(std::move(obj));
      e->args.push_back(std::move(key));
      return e;
    }
    expect_op("[");
    std::vector<ExprPtr> items;
    while (!is_op("]")) {
      if (!items.empty()) expect_op(",");
      items.push_back(parse_subscribed());
    }
    advance();
    auto e = node(ExprKind::Getitem, at);
    e->args.push_back(std::move(obj));
    if (items.size() == 1) {
      e->args.push_back(std::move(items[0]));
    } else {
      auto t = node(ExprKind::Tuple, at);
      t->args = std::move(items);
      e->args.push_back(std::move(t));
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    const Token at = cur();
    std::vector<ExprPtr> parts;
    if (skip_op(":")) {
      parts.push_back(nullptr);
    } else {
      ExprPtr first = parse_expression(true);
      if (!skip_op(":")) return first;
      parts.push_back(std::move(first));
    }
    if (is_op(":") || is_op("]") || is_op(",")) {
      parts.push_back(nullptr);
    } else {
      parts.push_back(parse_expression(true));
    }
    if (skip_op(":") && !is_op("]") && !is_op(",")) {
      parts.push_back(parse_expression(true));
    } else {
      parts.push_back(nullptr);
    }
    auto e = node(ExprKind::Slice, at);
    e->args = std::move(parts);
    return e;
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) error_at(cur(), "*args and **kwargs calls are not supported");
      if (cur().type == TokenType::Name && peek().type == TokenType::Op && peek().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        call.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!call.kwargs.empty()) error_at(cur(), "positional argument follows keyword argument");
        call.args.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = node(ExprKind::Call, cur());
    e->args.push_back(std::move(callee));
    parse_call_args(*e);
    return e;
  }

  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (is_op(".") && peek().type == TokenType::Name) {
      advance();
      name += "." + cur().text;
      advance();
    }
    return name;
  }

  // `name[(args)]` after '|'; operand may be null (filter blocks, block set).
  ExprPtr parse_filter_call(ExprPtr operand) {
    const Token at = cur();
    auto e = node(ExprKind::Filter, at);
    e->name = parse_dotted_name();
    const FilterEntry* f = find_filter(e->name);
    if (!f && !jinja_knows_filter(e->name)) error_at(at, "no filter named '" + e->name + "'");
    e->fn = f;
    e->args.push_back(std::move(operand));
    if (is_op("(")) parse_call_args(*e);
    return e;
  }

  ExprPtr parse_test(ExprPtr operand) {
    const Token at = cur();
    advance();  // 'is'
    bool negated = skip_name("not");
    auto e = node(ExprKind::Test, at);
    e->name = parse_dotted_name();
    const TestEntry* t = find_test(e->name);
    if (!t && !jinja_knows_test(e->name)) error_at(at, "no test named '" + e->name + "'");
    e->fn = t;
    e->args.push_back(std::move(operand));
    const Token& c = cur();
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((c.type == TokenType::Name || c.type == TokenType::String ||
                c.type == TokenType::Int || c.type == TokenType::Float || is_op("[") ||
                is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) error_at(c, "you cannot chain multiple tests with is");
      e->args.push_back(parse_postfix(parse_primary()));
    }
    if (!negated) return e;
    auto n = node(ExprKind::Unary, at);
    n->op = "not";
    n->args.push_back(std::move(e));
    return n;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  ParserLimits limits_;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(std::string_view source, const LexerOptions& lexer, const ParserLimits& limits) {
  return Parser(tokenize(source, lexer), limits).parse_template();
}

}  // namespace transformers::templates
