// Statements: if, for (loop variables, else, filters, unpacking, recursion, loop controls), set
// (block set, namespaces), macro/call, filter blocks, with, generation. Expectations follow the
// Jinja2 "Template Designer Documentation".
#include <gtest/gtest.h>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

TEST(TemplateIf, ElifElseChain) {
  const char* t = "{% if n > 2 %}big{% elif n == 2 %}two{% elif n %}one{% else %}zero{% endif %}";
  EXPECT_EQ(render(t, R"({"n": 3})"), "big");
  EXPECT_EQ(render(t, R"({"n": 2})"), "two");
  EXPECT_EQ(render(t, R"({"n": 1})"), "one");
  EXPECT_EQ(render(t, R"({"n": 0})"), "zero");
}

TEST(TemplateIf, TruthinessFollowsPython) {
  const char* t = "{% if v %}T{% else %}F{% endif %}";
  EXPECT_EQ(render(t, R"({"v": ""})"), "F");
  EXPECT_EQ(render(t, R"({"v": " "})"), "T");
  EXPECT_EQ(render(t, R"({"v": []})"), "F");
  EXPECT_EQ(render(t, R"({"v": [0]})"), "T");
  EXPECT_EQ(render(t, R"({"v": {}})"), "F");
  EXPECT_EQ(render(t, R"({"v": 0.0})"), "F");
  EXPECT_EQ(render(t, R"({"v": null})"), "F");
  EXPECT_EQ(render(t), "F");  // undefined
}

TEST(TemplateFor, LoopVariables) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
                   "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
}

TEST(TemplateFor, PrevNextItemAndCycle) {
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.previtem is defined and loop.previtem }}-"
                   "{{ loop.nextitem | default('end') }}-{{ loop.cycle('a', 'b') }} {% endfor %}"),
            "False-2-a 1-3-b 2-end-a ");
}

TEST(TemplateFor, ChangedAndDepth) {
  EXPECT_EQ(render("{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{{ loop.depth }}{{ loop.depth0 }} {% endfor %}"),
            "True10 False10 True10 ");
}

TEST(TemplateFor, ElseRunsOnlyWhenNothingIterated) {
  EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1] %}x{% else %}empty{% endfor %}"), "x");
  EXPECT_EQ(render("{% for x in missing %}x{% else %}none{% endfor %}"), "none");
}

TEST(TemplateFor, InlineIfFiltersBeforeLoopCounts) {
  EXPECT_EQ(render("{% for x in range(10) if x is odd %}{{ x }}/{{ loop.length }} {% endfor %}"),
            "1/5 3/5 5/5 7/5 9/5 ");
  EXPECT_EQ(render("{% for x in [1, 2] if x > 5 %}x{% else %}filtered out{% endfor %}"), "filtered out");
}

TEST(TemplateFor, TupleUnpackingAndDicts) {
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", R"({"d": {"b": 1, "a": 2}})"),
            "b=1;a=2;");
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", R"({"d": {"x": 1, "y": 2}})"), "xy");
  EXPECT_EQ(render("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}"), "3 7 ");
  EXPECT_EQ(render_error("{% for a, b in [[1, 2, 3]] %}{% endfor %}").kind(), ErrorKind::Type);
}

TEST(TemplateFor, IteratesStringCharacters) {
  EXPECT_EQ(render("{% for c in 'héllo' %}[{{ c }}]{% endfor %}"), "[h][é][l][l][o]");
}

TEST(TemplateFor, BreakAndContinue) {
  EXPECT_EQ(render("{% for i in range(10) %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"), "0123");
  EXPECT_EQ(render("{% for i in range(6) %}{% if i is even %}{% continue %}{% endif %}{{ i }}{% endfor %}"), "135");
  // break leaves only the innermost loop
  EXPECT_EQ(render("{% for i in [1, 2] %}{% for j in [1, 2, 3] %}{% if j == 2 %}{% break %}{% endif %}"
                   "{{ i }}{{ j }} {% endfor %}{% endfor %}"),
            "11 21 ");
}

TEST(TemplateFor, RecursiveLoop) {
  const char* ctx = R"({"tree": [{"n": "a", "c": [{"n": "b", "c": []}, {"n": "c", "c": [{"n": "d", "c": []}]}]}]})";
  EXPECT_EQ(render("{% for item in tree recursive %}{{ item.n }}{{ loop.depth }}"
                   "{% if item.c %}({{ loop(item.c) }}){% endif %}{% endfor %}",
                   ctx),
            "a1(b2c2(d3))");
}

TEST(TemplateFor, LoopScopeDoesNotLeak) {
  // Assignments inside a loop body stay in that iteration (Jinja scoping).
  EXPECT_EQ(render("{% set x = 'outer' %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}"),
            "12outer");
  EXPECT_EQ(render("{% for i in [1, 2] %}{% if i == 1 %}{% set y = 'set' %}{% endif %}[{{ y }}]{% endfor %}"),
            "[set][]");
  EXPECT_EQ(render("{% for i in [1] %}{% endfor %}[{{ i }}]"), "[]");
}

TEST(TemplateSet, SimpleTupleAndBlock) {
  EXPECT_EQ(render("{% set a = 1 %}{% set b, c = 2, 3 %}{{ a }}{{ b }}{{ c }}"), "123");
  EXPECT_EQ(render("{% set block %}  Hi {{ 1 + 1 }} {% endset %}[{{ block }}]"), "[  Hi 2 ]");
  EXPECT_EQ(render("{% set up | upper | trim %} shout {% endset %}[{{ up }}]"), "[SHOUT]");
}

TEST(TemplateSet, NamespaceCarriesValuesOutOfLoops) {
  EXPECT_EQ(render("{% set ns = namespace(count=0, seen=false) %}{% for i in range(4) %}"
                   "{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }} {{ ns.seen }}"),
            "6 False");
  EXPECT_EQ(render("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}"), "12");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.new = 'x' %}{{ ns.new }}"), "x");
  EXPECT_EQ(render_error("{% set d = {} %}{% set d.x = 1 %}").kind(), ErrorKind::Type);
}

TEST(TemplateMacro, DefaultsKeywordsAndScope) {
  const char* m = "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}";
  EXPECT_EQ(render(std::string(m) + "{{ greet('Ann') }}|{{ greet('Bo', '?') }}|{{ greet(punct='.', name='Cy') }}"),
            "Hello Ann!|Hello Bo?|Hello Cy.");
  // extra arguments land in varargs / kwargs
  EXPECT_EQ(render("{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, 3, k=4) }}"),
            "1(2, 3){'k': 4}");
  // a missing argument is undefined
  EXPECT_EQ(render("{% macro f(a, b) %}[{{ b }}]{% endmacro %}{{ f(1) }}"), "[]");
  // macros see template-level variables
  EXPECT_EQ(render("{% set sep = ', ' %}{% macro j(x) %}{{ x | join(sep) }}{% endmacro %}{{ j([1, 2]) }}"),
            "1, 2");
}

TEST(TemplateMacro, RecursionAndReturnValue) {
  EXPECT_EQ(render("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1) | int }}{% endif %}{% endmacro %}"
                   "{{ fact(5) }}"),
            "120");
}

TEST(TemplateMacro, CallBlockPassesCaller) {
  EXPECT_EQ(render("{% macro box(title) %}[{{ title }}: {{ caller() }}]{% endmacro %}"
                   "{% call box('t') %}inside{% endcall %}"),
            "[t: inside]");
  EXPECT_EQ(render("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
                   "{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}"),
            "<1><2>");
}

TEST(TemplateFilterBlock, AppliesFiltersToBody) {
  EXPECT_EQ(render("{% filter upper %}hello {{ 'you' }}{% endfilter %}"), "HELLO YOU");
  EXPECT_EQ(render("{% filter replace('a', 'o') | title %}banana{% endfilter %}"), "Bonono");
}

TEST(TemplateWith, ScopesAssignments) {
  EXPECT_EQ(render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"), "3[]");
}

TEST(TemplateGeneration, RecordsSpansOfAssistantText) {
  Template t("{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}"
             "{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}");
  RenderResult r = t.render_with_spans(parse_json(
      R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                       {"role": "user", "content": "ok"}, {"role": "assistant", "content": "bye"}]})"));
  EXPECT_EQ(r.text, "<user>hi<assistant>yo<user>ok<assistant>bye");
  ASSERT_EQ(r.generation_spans.size(), 2u);
  EXPECT_EQ(r.text.substr(r.generation_spans[0].first,
                          r.generation_spans[0].second - r.generation_spans[0].first),
            "yo");
  EXPECT_EQ(r.text.substr(r.generation_spans[1].first), "bye");
  EXPECT_TRUE(t.has_generation_blocks());
  EXPECT_FALSE(Template("{{ x }}").has_generation_blocks());
}

TEST(TemplateBlock, RendersInPlace) {
  EXPECT_EQ(render("a{% block body %}b{% endblock %}c"), "abc");
  EXPECT_EQ(render("{% block x %}y{% endblock x %}"), "y");
}

}  // namespace
}  // namespace transformers::templates
