// Jinja2's built-in tests ("List of Builtin Tests") and the Python methods of str, dict and list
// that chat templates call, with Python's semantics.
#include <gtest/gtest.h>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

TEST(TemplateTest, DefinedUndefinedNone) {
  const char* ctx = R"({"n": null, "d": {"k": 1}})";
  EXPECT_EQ(render("{{ n is defined }} {{ x is defined }} {{ x is undefined }} "
                   "{{ d.k is defined }} {{ d.z is defined }}",
                   ctx),
            "True False True True False");
  EXPECT_EQ(render("{{ n is none }} {{ x is none }} {{ 0 is none }} {{ n is not none }}", ctx),
            "True False False False");
}

TEST(TemplateTest, Types) {
  EXPECT_EQ(render("{{ 'a' is string }} {{ 1 is string }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }}"),
            "True False True True True");
  EXPECT_EQ(render("{{ 1 is integer }} {{ 1.0 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 1 is float }}"),
            "True False False True False");
  EXPECT_EQ(render("{{ {} is mapping }} {{ [] is mapping }} {{ true is boolean }} {{ 1 is boolean }}"),
            "True False True False");
  EXPECT_EQ(render("{{ [] is iterable }} {{ 'a' is iterable }} {{ {} is iterable }} "
                   "{{ 1 is iterable }} {{ x is iterable }}"),
            "True True True False True");
  EXPECT_EQ(render("{{ [] is sequence }} {{ 'a' is sequence }} {{ {} is sequence }} {{ 1 is sequence }}"),
            "True True True False");
  EXPECT_EQ(render("{{ range is callable }} {{ 'a'.upper is callable }} {{ 'a' is callable }}"), "True True False");
}

TEST(TemplateTest, TrueFalse) {
  EXPECT_EQ(render("{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ x is false }}"),
            "True False True False False");
}

TEST(TemplateTest, EvenOddDivisibleby) {
  EXPECT_EQ(render("{{ 4 is even }} {{ 3 is even }} {{ 3 is odd }} {{ -3 is odd }}"), "True False True True");
  EXPECT_EQ(render("{{ 9 is divisibleby 3 }} {{ 10 is divisibleby(3) }} {{ 0 is divisibleby 5 }}"), "True False True");
}

TEST(TemplateTest, Comparisons) {
  EXPECT_EQ(render("{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 1 is gt 2 }}"),
            "True False True True False");
  EXPECT_EQ(render("{{ 2 is le 2 }} {{ 2 is ge 3 }} {{ 1 is lessthan 2 }} {{ 3 is greaterthan 2 }}"),
            "True False True True");
}

TEST(TemplateTest, InSameasLowerUpper) {
  EXPECT_EQ(render("{{ 2 is in [1, 2] }} {{ 'a' is in 'cat' }} {{ 'z' is in {'z': 1} }} {{ 3 is in [1] }}"),
            "True True True False");
  EXPECT_EQ(render("{{ none is sameas none }} {{ true is sameas true }} {{ l is sameas l }} {{ [] is sameas [] }}",
                   R"({"l": [1]})"),
            "True True True False");
  EXPECT_EQ(render("{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '123' is upper }}"),
            "True False True False");
}

TEST(TemplateTest, FilterAndTestNames) {
  EXPECT_EQ(render("{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }}"), "True False True");
}

TEST(TemplateMethod, StripFamily) {
  EXPECT_EQ(render("[{{ '  a  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}]"), "[a][a  ][  a]");
  EXPECT_EQ(render("[{{ '\n\nx\n'.strip('\n') }}][{{ 'xyhixy'.strip('yx') }}][{{ '<think>'.lstrip('<') }}]"),
            "[x][hi][think>]");
}

TEST(TemplateMethod, SplitRsplit) {
  EXPECT_EQ(render("{{ 'a b  c'.split() }} {{ ' a b '.split() }} {{ 'a,b,,c'.split(',') }}"),
            "['a', 'b', 'c'] ['a', 'b'] ['a', 'b', '', 'c']");
  EXPECT_EQ(render("{{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'a b c'.rsplit(None, 1) }}"),
            "['a', 'b,c'] ['a,b', 'c'] ['a b', 'c']");
  EXPECT_EQ(render("{{ 'x</think>y</think>z'.split('</think>')[-1] }} {{ ''.split(',') }} {{ ''.split() }}"),
            "z [''] []");
}

TEST(TemplateMethod, StartsEndsWith) {
  EXPECT_EQ(render("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith('lo') }}"),
            "True True False");
  EXPECT_EQ(render("{{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.startswith('l', 2) }} "
                   "{{ 'hello'.endswith('ell', 0, 4) }}"),
            "True True True");
}

TEST(TemplateMethod, CaseMethods) {
  EXPECT_EQ(render("{{ 'aB'.upper() }} {{ 'aB'.lower() }} {{ \"hello they're\".title() }} {{ 'hELLO'.capitalize() }}"),
            "AB ab Hello They'Re Hello");
}

TEST(TemplateMethod, ReplaceFindCount) {
  EXPECT_EQ(render("{{ 'aXbXc'.replace('X', '-') }} {{ 'aXbXc'.replace('X', '-', 1) }} {{ 'ab'.replace('', '.') }}"),
            "a-b-c a-bXc .a.b.");
  EXPECT_EQ(render("{{ 'héllo'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.rfind('l') }} "
                   "{{ 'hello'.find('l', 3) }}"),
            "2 -1 3 3");
  EXPECT_EQ(render("{{ 'banana'.count('a') }} {{ 'aaaa'.count('aa') }}"), "3 2");
}

TEST(TemplateMethod, JoinFormatSplitlines) {
  EXPECT_EQ(render("{{ ', '.join(['a', 'b']) }} {{ '-'.join('xyz') }}"), "a, b x-y-z");
  EXPECT_EQ(render_error("{{ ','.join([1, 2]) }}").kind(), ErrorKind::Type);
  EXPECT_EQ(render("{{ '{} + {} = {sum}'.format(1, 2, sum=3) }} {{ '{1}{0}'.format('a', 'b') }} "
                   "{{ '{{x}}'.format() }}"),
            "1 + 2 = 3 ba {x}");
  EXPECT_EQ(render("{{ '{:>5}|{:<3}|{:^5}|{:.2f}|{:03d}'.format('a', 'b', 'c', 3.14159, 7) }}"),
            "    a|b  |  c  |3.14|007");
  EXPECT_EQ(render("{{ 'a\nb\r\nc'.splitlines() }} {{ 'a\nb'.splitlines(true) }}"), "['a', 'b', 'c'] ['a\\n', 'b']");
}

TEST(TemplateMethod, DictMethods) {
  const char* ctx = R"({"d": {"a": 1, "b": 2}})";
  EXPECT_EQ(render("{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }}", ctx),
            "[('a', 1), ('b', 2)] ['a', 'b'] [1, 2]");
  EXPECT_EQ(render("{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}", ctx), "1 None 0");
}

TEST(TemplateMethod, ListMethodsMutateAsInPython) {
  EXPECT_EQ(render("{% set l = [1] %}{% set _ = l.append(2) %}{{ l }}"), "[1, 2]");
  // the list is shared: appending through one name is seen through another
  EXPECT_EQ(render("{% set a = [] %}{% set b = a %}"
                   "{% for i in range(3) %}{% set _ = b.append(i) %}{% endfor %}{{ a }}"),
            "[0, 1, 2]");
  EXPECT_EQ(render("{% set l = [1, 2, 3] %}{{ l.pop() }}{{ l.pop(0) }}{{ l }}"), "31[2]");
  EXPECT_EQ(render("{{ [1, 2, 1].index(2) }} {{ [1, 2, 1].count(1) }}"), "1 2");
  EXPECT_EQ(render_error("{{ [].pop() }}").kind(), ErrorKind::Type);
  EXPECT_EQ(render_error("{{ [1].index(5) }}").kind(), ErrorKind::Type);
}

TEST(TemplateMethod, UnknownMethodIsUndefined) {
  EXPECT_EQ(render("{{ 'a'.nope is defined }}"), "False");
  EXPECT_EQ(render_error("{{ 'a'.nope() }}").kind(), ErrorKind::Undefined);
}

}  // namespace
}  // namespace transformers::templates
