// Expressions: literals, operators and precedence, slicing, attribute/item access, calls, and
// Jinja2's default Undefined (renders empty; fails on attribute-of-undefined and arithmetic).
#include <gtest/gtest.h>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

TEST(TemplateExpr, LiteralsPrintAsPython) {
  EXPECT_EQ(render("{{ none }} {{ None }} {{ true }} {{ False }}"), "None None True False");
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5] }}"), "[1, 'a', None, True, 1.5]");
  EXPECT_EQ(render("{{ {'a': 1, 'b': [2]} }}"), "{'a': 1, 'b': [2]}");
  EXPECT_EQ(render("{{ (1, 2) }} {{ (1,) }} {{ () }}"), "(1, 2) (1,) ()");
  EXPECT_EQ(render("{{ \"it's\" }} {{ [\"it's\"] }} {{ ['a\\nb'] }}"), "it's [\"it's\"] ['a\\nb']");
}

TEST(TemplateExpr, FloatsPrintWithPythonRepr) {
  EXPECT_EQ(render("{{ 0.1 + 0.2 }}"), "0.30000000000000004");
  EXPECT_EQ(render("{{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }}"), "1e+16 1000000000000000.0 1e-05 0.0001");
  EXPECT_EQ(render("{{ 2.0 }} {{ -0.5 }} {{ 123456789.125 }}"), "2.0 -0.5 123456789.125");
}

TEST(TemplateExpr, Arithmetic) {
  EXPECT_EQ(render("{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 6 / 3 }}"), "10 -3 21 3.5 2.0");
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }}"), "3 -4 1 2 -2");
  EXPECT_EQ(render("{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ 1 + 1.5 }}"), "1024 0.5 3.0 2.5");
  EXPECT_EQ(render("{{ -3 }} {{ +3 }} {{ - -3 }} {{ true + 1 }}"), "-3 3 3 2");
}

TEST(TemplateExpr, PowerIsLeftAssociativeInJinja) {
  EXPECT_EQ(render("{{ 2 ** 3 ** 2 }}"), "64");
}

TEST(TemplateExpr, StringAndListOperators) {
  EXPECT_EQ(render("{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 2 * 'x' }} {{ 'a' ~ 1 ~ none }}"), "abcd ababab xx a1None");
  EXPECT_EQ(render("{{ [1] + [2, 3] }} {{ [0] * 3 }}"), "[1, 2, 3] [0, 0, 0]");
  EXPECT_EQ(render("{{ 'x' ~ missing ~ 'y' }}"), "xy");
  EXPECT_EQ(render("{{ '%s is %d years' % ('Ann', 30) }} {{ '%05.1f|%-3s|%x' % (3.14159, 'a', 255) }}"),
            "Ann is 30 years 003.1|a  |ff");
}

TEST(TemplateExpr, Precedence) {
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 * 3 ** 2 }}"), "7 9 18");
  // filters bind tighter than arithmetic and concatenation
  EXPECT_EQ(render("{{ 'a' + ' b ' | trim + 'c' }}"), "abc");
  EXPECT_EQ(render("{{ -2 | abs }}"), "2");
  // `is` binds tighter than `not`
  EXPECT_EQ(render("{{ not x is defined }}"), "True");
  EXPECT_EQ(render("{{ 1 if false else 2 if false else 3 }}"), "3");
  // `~` binds tighter than `+` in Jinja's grammar: ('a' ~ 1) + 2
  EXPECT_EQ(render("{{ 'a' ~ (1 + 2) }}"), "a3");
  EXPECT_EQ(render_error("{{ 'a' ~ 1 + 2 }}").kind(), ErrorKind::Type);
}

TEST(TemplateExpr, ComparisonsAndMembership) {
  EXPECT_EQ(render("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }}"), "True False True True");
  EXPECT_EQ(render("{{ 'b' > 'a' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2 }}"), "True True True");
  EXPECT_EQ(render("{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}"),
            "True True True True");
  EXPECT_EQ(render("{{ true != (1 == 1) }} {{ none == none }} {{ [] == [] }}"), "False True True");
  EXPECT_EQ(render_error("{{ 1 < 'a' }}").kind(), ErrorKind::Type);
  EXPECT_EQ(render_error("{{ 1 in 2 }}").kind(), ErrorKind::Type);
}

TEST(TemplateExpr, BooleanOperatorsReturnOperands) {
  EXPECT_EQ(render("{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ not 0 }}"), "x b  True");
  // short-circuit: the right side is not evaluated
  EXPECT_EQ(render("{{ false and undefined_fn() }}{{ true or undefined_fn() }}"), "FalseTrue");
}

TEST(TemplateExpr, ConditionalExpression) {
  EXPECT_EQ(render("{{ 'yes' if x else 'no' }}", R"({"x": 1})"), "yes");
  EXPECT_EQ(render("[{{ 'yes' if x }}]", R"({"x": 0})"), "[]");
}

TEST(TemplateExpr, Slicing) {
  const char* ctx = R"({"l": [0, 1, 2, 3, 4], "s": "héllo"})";
  EXPECT_EQ(render("{{ l[1:3] }} {{ l[:2] }} {{ l[3:] }} {{ l[::-1] }} {{ l[::2] }} {{ l[-2:] }}", ctx),
            "[1, 2] [0, 1] [3, 4] [4, 3, 2, 1, 0] [0, 2, 4] [3, 4]");
  EXPECT_EQ(render("{{ s[1:3] }} {{ s[::-1] }} {{ s[-1] }} {{ s[1] }}", ctx), "él olléh o é");
  EXPECT_EQ(render("{{ l[10:] }} {{ l[4:1] }} {{ l[1:-1:2] }}", ctx), "[] [] [1, 3]");
}

TEST(TemplateExpr, AttributeAndItemAccess) {
  const char* ctx = R"({"m": {"role": "user", "items": "field", "n": {"x": [10, 20]}}})";
  EXPECT_EQ(render("{{ m.role }} {{ m['role'] }} {{ m.n.x[1] }} {{ m.n.x.0 }} {{ m['n']['x'][-1] }}", ctx),
            "user user 20 10 20");
  // subscription prefers the key; attribute syntax prefers the dict method
  EXPECT_EQ(render("{{ m['items'] }}", ctx), "field");
  EXPECT_EQ(render("{{ m.items() | list | length }}", ctx), "3");
}

TEST(TemplateExpr, UndefinedRendersEmptyButFailsOnUse) {
  EXPECT_EQ(render("[{{ missing }}]"), "[]");
  EXPECT_EQ(render("[{{ d.missing }}]", R"({"d": {}})"), "[]");
  EXPECT_EQ(render("[{{ l[5] }}]", R"({"l": [1]})"), "[]");
  EXPECT_EQ(render("{{ missing | length }} {{ missing is defined }} {{ missing | default('d') }}"), "0 False d");

  TemplateError e = render_error("{{ missing.attr }}");
  EXPECT_EQ(e.kind(), ErrorKind::Undefined);
  EXPECT_EQ(e.message(), "'missing' is undefined");
  e = render_error("{{ d.a.b }}", R"({"d": {}})");
  EXPECT_EQ(e.kind(), ErrorKind::Undefined);
  EXPECT_EQ(e.message(), "'dict object' has no attribute 'a'");
  EXPECT_EQ(render_error("{{ missing + 1 }}").kind(), ErrorKind::Undefined);
  EXPECT_EQ(render_error("{{ missing() }}").kind(), ErrorKind::Undefined);
  EXPECT_EQ(render_error("{{ missing[0] }}").kind(), ErrorKind::Undefined);
  EXPECT_EQ(render("{{ none.attr is defined }}"), "False");
}

TEST(TemplateExpr, TypeErrors) {
  TemplateError e = render_error("{{ 1 + 'a' }}");
  EXPECT_EQ(e.kind(), ErrorKind::Type);
  EXPECT_EQ(e.message(), "unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(render_error("{{ 'a' + 1 }}").message(), "can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render_error("{{ 1 / 0 }}").message(), "division by zero");
  EXPECT_EQ(render_error("{{ 1 // 0 }}").kind(), ErrorKind::Type);
  EXPECT_EQ(render_error("{{ 'abc'() }}").kind(), ErrorKind::Type);
  EXPECT_EQ(render_error("{{ {[1]: 2} }}").kind(), ErrorKind::Type);
}

TEST(TemplateExpr, RuntimeErrorsCarryTheLine) {
  TemplateError e = render_error("ok\n{{ 'a' }}\n  {{ 1 + none }}");
  EXPECT_EQ(e.line(), 3);
  EXPECT_GT(e.column(), 0);
}

TEST(TemplateExpr, Globals) {
  EXPECT_EQ(render("{{ range(3) | list }} {{ range(1, 4) | list }} {{ range(5, 0, -2) | list }}"),
            "[0, 1, 2] [1, 2, 3] [5, 3, 1]");
  EXPECT_EQ(render("{{ dict(a=1, b='x') }} {{ dict([('k', 2)]) }}"), "{'a': 1, 'b': 'x'} {'k': 2}");
  EXPECT_EQ(render("{% set c = cycler('odd', 'even') %}{{ c.next() }} {{ c.next() }} {{ c.next() }} "
                   "{{ c.current }}{% set _ = c.reset() %} {{ c.next() }}"),
            "odd even odd even odd");
  EXPECT_EQ(render("{% set j = joiner(' | ') %}{% for x in 'abc' %}{{ j() }}{{ x }}{% endfor %}"), "a | b | c");
  TemplateError e = render_error("{{ raise_exception('Roles must alternate') }}");
  EXPECT_EQ(e.kind(), ErrorKind::Raised);
  EXPECT_EQ(e.message(), "Roles must alternate");
  EXPECT_EQ(render("{{ strftime_now('%Y') | length }}"), "4");
}

TEST(TemplateExpr, KeywordArgumentsToGlobalsAndMethods) {
  EXPECT_EQ(render("{{ 'a,b,c'.split(',', maxsplit=1) }}"), "['a', 'b,c']");
}

}  // namespace
}  // namespace transformers::templates
