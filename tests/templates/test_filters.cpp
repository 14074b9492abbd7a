// One test per built-in filter; expectations from Jinja2's "List of Builtin Filters" and, for
// tojson, Python's json.dumps(ensure_ascii=False) as Hugging Face overrides it.
#include <gtest/gtest.h>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

const char* kUsers = R"({"users": [{"name": "bob", "age": 30, "city": "Paris"},
                                   {"name": "Alice", "age": 25, "city": "Berlin"},
                                   {"name": "carl", "age": 35, "city": "Paris"}]})";

TEST(TemplateFilter, Abs) { EXPECT_EQ(render("{{ -3 | abs }} {{ 2.5 | abs }} {{ (-2.5) | abs }}"), "3 2.5 2.5"); }

TEST(TemplateFilter, Attr) {
  EXPECT_EQ(render("{{ d | attr('keys') is callable }}", R"({"d": {"a": 1}})"), "True");
  // attr() reads attributes, not items
  EXPECT_EQ(render("[{{ d | attr('a') }}]", R"({"d": {"a": 1}})"), "[]");
}

TEST(TemplateFilter, Batch) {
  EXPECT_EQ(render("{{ [1, 2, 3, 4, 5] | batch(2) | list }}"), "[[1, 2], [3, 4], [5]]");
  EXPECT_EQ(render("{{ [1, 2, 3] | batch(2, 'x') | list }}"), "[[1, 2], [3, 'x']]");
}

TEST(TemplateFilter, Capitalize) { EXPECT_EQ(render("{{ 'hELLO wORLD' | capitalize }}"), "Hello world"); }

TEST(TemplateFilter, Center) {
  EXPECT_EQ(render("[{{ 'ab' | center(6) }}]"), "[  ab  ]");
  EXPECT_EQ(render("[{{ 'ab' | center(5) }}]"), "[  ab ]");
  EXPECT_EQ(render("[{{ 'abc' | center(2) }}]"), "[abc]");
}

TEST(TemplateFilter, CountAndLength) {
  EXPECT_EQ(render("{{ [1, 2] | count }} {{ 'héllo' | length }} {{ {'a': 1} | length }}"), "2 5 1");
  EXPECT_EQ(render_error("{{ 5 | length }}").kind(), ErrorKind::Type);
}

TEST(TemplateFilter, Default) {
  EXPECT_EQ(render("{{ x | default('d') }} {{ x | d('d') }}"), "d d");
  EXPECT_EQ(render("[{{ '' | default('d') }}] {{ '' | default('d', true) }} {{ 0 | d('z', boolean=true) }}"),
            "[] d z");
  EXPECT_EQ(render("{{ none | default('d') }}"), "None");
  EXPECT_EQ(render("[{{ x | default }}]"), "[]");
}

TEST(TemplateFilter, Dictsort) {
  const char* ctx = R"({"d": {"b": 2, "A": 3, "c": 1}})";
  EXPECT_EQ(render("{{ d | dictsort }}", ctx), "[('A', 3), ('b', 2), ('c', 1)]");
  EXPECT_EQ(render("{{ d | dictsort(true) }}", ctx), "[('A', 3), ('b', 2), ('c', 1)]");
  EXPECT_EQ(render("{{ d | dictsort(by='value') }}", ctx), "[('c', 1), ('b', 2), ('A', 3)]");
  EXPECT_EQ(render("{{ d | dictsort(reverse=true) | first }}", ctx), "('c', 1)");
}

TEST(TemplateFilter, Escape) {
  EXPECT_EQ(render("{{ '<a href=\"x\">&\\'</a>' | escape }}"), "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(render("{{ '<b>' | e }}"), "&lt;b&gt;");
}

TEST(TemplateFilter, FirstAndLast) {
  EXPECT_EQ(render("{{ [3, 4, 5] | first }} {{ [3, 4, 5] | last }} {{ 'abc' | first }} {{ 'abc' | last }}"),
            "3 5 a c");
  EXPECT_EQ(render("[{{ [] | first }}]"), "[]");
}

TEST(TemplateFilter, FloatAndInt) {
  EXPECT_EQ(render("{{ '3.5' | float }} {{ 'x' | float }} {{ 'x' | float(1.5) }} {{ 2 | float }}"),
            "3.5 0.0 1.5 2.0");
  EXPECT_EQ(render("{{ '42' | int }} {{ ' 7 ' | int }} {{ '3.9' | int }} {{ 3.9 | int }} {{ 'x' | int(-1) }}"),
            "42 7 3 3 -1");
  EXPECT_EQ(render("{{ '0x1A' | int(0, 16) }} {{ 'ff' | int(base=16) }} {{ true | int }}"), "26 255 1");
}

TEST(TemplateFilter, Format) {
  EXPECT_EQ(render("{{ '%s - %s' | format('a', 'b') }}"), "a - b");
  EXPECT_EQ(render("{{ '%(x)s=%(y)d' | format(x='k', y=5) }}"), "k=5");
  EXPECT_EQ(render("{{ '%.2f' | format(3.14159) }} {{ '%5d|' | format(42) }}"), "3.14    42|");
}

TEST(TemplateFilter, Groupby) {
  EXPECT_EQ(render("{% for g in users | groupby('city') %}{{ g.grouper }}:"
                   "{{ g.list | map(attribute='name') | join(',') }};"
                   "{% endfor %}",
                   kUsers),
            "Berlin:Alice;Paris:bob,carl;");
  EXPECT_EQ(render("{% for city, items in users | groupby('city') %}"
                   "{{ city }}={{ items | length }} {% endfor %}",
                   kUsers),
            "Berlin=1 Paris=2 ");
}

TEST(TemplateFilter, Indent) {
  EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent(2) }}"), "a\n  b\n\n  c");
  EXPECT_EQ(render("{{ 'a\nb' | indent(2, true) }}"), "  a\n  b");
  EXPECT_EQ(render("{{ 'a\n\nb' | indent('> ', blank=true) }}"), "a\n> \n> b");
}

TEST(TemplateFilter, Items) {
  EXPECT_EQ(render("{{ {'a': 1, 'b': 2} | items | list }}"), "[('a', 1), ('b', 2)]");
  EXPECT_EQ(render("{{ missing | items | list }}"), "[]");
}

TEST(TemplateFilter, Join) {
  EXPECT_EQ(render("{{ [1, 2, 3] | join }} {{ [1, 2, 3] | join('|') }} {{ 'abc' | join('.') }}"), "123 1|2|3 a.b.c");
  EXPECT_EQ(render("{{ users | join(', ', attribute='name') }}", kUsers), "bob, Alice, carl");
}

TEST(TemplateFilter, List) {
  EXPECT_EQ(render("{{ 'ab' | list }} {{ {'k': 1} | list }} {{ (1, 2) | list }}"), "['a', 'b'] ['k'] [1, 2]");
}

TEST(TemplateFilter, LowerUpper) {
  EXPECT_EQ(render("{{ 'MiXeD Ünï' | lower }} {{ 'MiXeD ünï' | upper }}"), "mixed ünï MIXED ÜNÏ");
}

TEST(TemplateFilter, Map) {
  EXPECT_EQ(render("{{ users | map(attribute='age') | list }}", kUsers), "[30, 25, 35]");
  EXPECT_EQ(render("{{ ['a', 'b'] | map('upper') | list }}", kUsers), "['A', 'B']");
  EXPECT_EQ(render("{{ ['1', '2'] | map('int') | sum }}"), "3");
  EXPECT_EQ(render("{{ users | map(attribute='zip', default='-') | join }}", kUsers), "---");
  EXPECT_EQ(render("{{ [' a ', 'b '] | map('replace', ' ', '') | list }}"), "['a', 'b']");
}

TEST(TemplateFilter, MaxMin) {
  EXPECT_EQ(render("{{ [3, 1, 2] | max }} {{ [3, 1, 2] | min }}"), "3 1");
  EXPECT_EQ(render("{{ ['b', 'A', 'c'] | max }} {{ ['b', 'A', 'c'] | max(case_sensitive=true) }}"), "c c");
  EXPECT_EQ(render("{{ ['b', 'A'] | min }} {{ ['b', 'A'] | min(true) }}"), "A A");
  EXPECT_EQ(render("{{ (users | max(attribute='age')).name }}", kUsers), "carl");
}

TEST(TemplateFilter, Replace) {
  EXPECT_EQ(render("{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }}"), "bbb bba");
}

TEST(TemplateFilter, SelectReject) {
  EXPECT_EQ(render("{{ range(6) | select('odd') | list }} {{ range(6) | reject('odd') | list }}"),
            "[1, 3, 5] [0, 2, 4]");
  EXPECT_EQ(render("{{ [0, 1, '', 'a', none] | select | list }}"), "[1, 'a']");
  EXPECT_EQ(render("{{ range(10) | select('divisibleby', 3) | list }}"), "[0, 3, 6, 9]");
  EXPECT_EQ(render("{{ [1, 5, 9] | select('>', 4) | list }}"), "[5, 9]");
}

TEST(TemplateFilter, SelectattrRejectattr) {
  EXPECT_EQ(render("{{ users | selectattr('city', 'equalto', 'Paris') | map(attribute='name') | join(',') }}", kUsers),
            "bob,carl");
  EXPECT_EQ(render("{{ users | rejectattr('age', 'gt', 28) | map(attribute='name') | join }}", kUsers), "Alice");
  EXPECT_EQ(render("{{ msgs | selectattr('tool') | list | length }}", R"({"msgs": [{"tool": 1}, {"tool": 0}, {}]})"),
            "1");
}

TEST(TemplateFilter, Reverse) {
  EXPECT_EQ(render("{{ 'héllo' | reverse }} {{ [1, 2, 3] | reverse | list }}"), "olléh [3, 2, 1]");
}

TEST(TemplateFilter, Round) {
  EXPECT_EQ(render("{{ 42.55 | round }} {{ 42.55 | round(1, 'floor') }} {{ 42.55 | round(1, 'ceil') }}"),
            "43.0 42.5 42.6");
  // Python's round(): ties go to the even neighbour
  EXPECT_EQ(render("{{ 2.5 | round }} {{ 3.5 | round }} {{ 7 | round }}"), "2.0 4.0 7");
}

TEST(TemplateFilter, Safe) { EXPECT_EQ(render("{{ '<b>' | safe }}"), "<b>"); }

TEST(TemplateFilter, Slice) {
  EXPECT_EQ(render("{{ [1, 2, 3, 4, 5] | slice(3) | list }}"), "[[1, 2], [3, 4], [5]]");
  EXPECT_EQ(render("{{ [1, 2, 3, 4] | slice(3, 0) | list }}"), "[[1, 2], [3, 0], [4, 0]]");
}

TEST(TemplateFilter, Sort) {
  EXPECT_EQ(render("{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }}"), "[1, 2, 3] [3, 2, 1]");
  EXPECT_EQ(render("{{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}"),
            "['A', 'b', 'c'] ['A', 'b', 'c']");
  EXPECT_EQ(render("{{ users | sort(attribute='age') | map(attribute='name') | join(',') }}", kUsers),
            "Alice,bob,carl");
  EXPECT_EQ(render("{{ users | sort(attribute='name') | map(attribute='name') | join(',') }}", kUsers),
            "Alice,bob,carl");
}

TEST(TemplateFilter, String) {
  EXPECT_EQ(render("{{ 12 | string ~ 'x' }} {{ none | string }} {{ [1] | string }}"), "12x None [1]");
}

TEST(TemplateFilter, Striptags) {
  EXPECT_EQ(render("{{ '<p>Hello   <b>you</b></p>\n<!-- c --> &amp; me' | striptags }}"), "Hello you & me");
}

TEST(TemplateFilter, Sum) {
  EXPECT_EQ(render("{{ [1, 2, 3] | sum }} {{ [1, 2] | sum(start=10) }} {{ [0.5, 1] | sum }}"), "6 13 1.5");
  EXPECT_EQ(render("{{ users | sum(attribute='age') }}", kUsers), "90");
}

TEST(TemplateFilter, Title) {
  EXPECT_EQ(render("{{ 'hello wORLD-foo (bar)' | title }}"), "Hello World-Foo (Bar)");
  EXPECT_EQ(render("{{ \"they're\" | title }}"), "They're");
}

TEST(TemplateFilter, Tojson) {
  EXPECT_EQ(render("{{ d | tojson }}", R"({"d": {"b": [1, 2.5, true, null], "a": "x\"y"}})"),
            R"({"b": [1, 2.5, true, null], "a": "x\"y"})");
  EXPECT_EQ(render("{{ 'héllo 日本 😀' | tojson }}"), "\"héllo 日本 😀\"");
  EXPECT_EQ(render("{{ 'a\nb\t\\\u001b<>&' | tojson }}"), "\"a\\nb\\t\\\\\\u001b<>&\"");
  EXPECT_EQ(render("{{ {'a': [1, {}], 'b': []} | tojson(indent=2) }}"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
  EXPECT_EQ(render("{{ [1, 2] | tojson(separators=(',', ':')) }}"), "[1,2]");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"), R"({"a": 2, "b": 1})");
  EXPECT_EQ(render("{{ 'é' | tojson(ensure_ascii=true) }}"), "\"\\u00e9\"");
  EXPECT_EQ(render_error("{{ missing | tojson }}").kind(), ErrorKind::Type);
}

TEST(TemplateFilter, Trim) {
  EXPECT_EQ(render("[{{ '  a b \n' | trim }}] [{{ 'xxaxx' | trim('x') }}] [{{ '\u3000wide\u3000' | trim }}]"),
            "[a b] [a] [wide]");
}

TEST(TemplateFilter, Truncate) {
  EXPECT_EQ(render("{{ 'foo bar baz qux' | truncate(9) }}"), "foo...");
  EXPECT_EQ(render("{{ 'foo bar baz qux' | truncate(9, true) }}"), "foo ba...");
  EXPECT_EQ(render("{{ 'foo bar baz qux' | truncate(11, false, '!', 0) }}"), "foo bar!");
  EXPECT_EQ(render("{{ 'short' | truncate(3) }}"), "short");  // within the leeway of 5
}

TEST(TemplateFilter, Unique) {
  EXPECT_EQ(render("{{ ['a', 'B', 'b', 'a'] | unique | list }}"), "['a', 'B']");
  EXPECT_EQ(render("{{ ['a', 'B', 'b'] | unique(case_sensitive=true) | list }}"), "['a', 'B', 'b']");
  EXPECT_EQ(render("{{ users | unique(attribute='city') | map(attribute='name') | list }}", kUsers),
            "['bob', 'Alice']");
}

TEST(TemplateFilter, Urlencode) {
  EXPECT_EQ(render("{{ 'a b/c?d=é' | urlencode }}"), "a%20b/c%3Fd%3D%C3%A9");
  EXPECT_EQ(render("{{ {'q': 'a b', 'n': 1} | urlencode }}"), "q=a+b&n=1");
}

TEST(TemplateFilter, Wordcount) {
  EXPECT_EQ(render("{{ 'Hello, world! It is 2024.' | wordcount }}"), "5");
}

}  // namespace
}  // namespace transformers::templates
