// Lexing and whitespace control, as Hugging Face configures Jinja2: trim_blocks, lstrip_blocks,
// keep_trailing_newline=False. Expectations follow Jinja2's "Whitespace Control" and
// "Line Statements/Escaping" documentation.
#include <gtest/gtest.h>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

TEST(TemplateSyntax, PlainTextPassesThrough) {
  EXPECT_EQ(render("hello world"), "hello world");
  EXPECT_EQ(render(""), "");
  EXPECT_EQ(render("a { b } c"), "a { b } c");
  EXPECT_EQ(render("}} %} #}"), "}} %} #}");
}

TEST(TemplateSyntax, OneTrailingNewlineIsDropped) {
  EXPECT_EQ(render("x\n"), "x");
  EXPECT_EQ(render("x\n\n"), "x\n");
  EXPECT_EQ(render("x\r\n"), "x");
}

TEST(TemplateSyntax, NewlinesInTemplateTextAreNormalized) {
  EXPECT_EQ(render("a\r\nb\rc"), "a\nb\nc");
}

TEST(TemplateSyntax, TrimBlocksRemovesFirstNewlineAfterBlockTag) {
  EXPECT_EQ(render("{% if true %}\nyes\n{% endif %}\nafter"), "yes\nafter");
  // only one newline
  EXPECT_EQ(render("{% if true %}\n\nyes{% endif %}"), "\nyes");
  // not after a variable tag
  EXPECT_EQ(render("{{ 1 }}\nx"), "1\nx");
  // comments count as blocks
  EXPECT_EQ(render("{# c #}\nx"), "x");
}

TEST(TemplateSyntax, LstripBlocksRemovesIndentBeforeBlockTag) {
  EXPECT_EQ(render("  {% if true %}\n  yes\n  {% endif %}\n"), "  yes\n");
  EXPECT_EQ(render("\t {% if true %}x{% endif %}"), "x");
  // not when text precedes the tag on the same line
  EXPECT_EQ(render("a  {% if true %}x{% endif %}"), "a  x");
  // not before a variable tag
  EXPECT_EQ(render("  {{ 'v' }}"), "  v");
  // comments are stripped the same way
  EXPECT_EQ(render("line\n   {# c #}\nnext"), "line\nnext");
}

TEST(TemplateSyntax, MinusStripsAllWhitespaceOnThatSide) {
  EXPECT_EQ(render("a  \n {{- 'b' -}} \n\n c"), "abc");
  EXPECT_EQ(render("a \n{%- if true -%}\n  b  \n{%- endif -%}\n c"), "abc");
  EXPECT_EQ(render("x {#- comment -#} y"), "xy");
}

TEST(TemplateSyntax, PlusDisablesLstripAndTrim) {
  EXPECT_EQ(render("  {%+ if true %}x{% endif %}"), "  x");
  EXPECT_EQ(render("{% if true +%}\nx{% endif %}"), "\nx");
}

TEST(TemplateSyntax, CommentsRenderNothing) {
  EXPECT_EQ(render("a{# {{ not rendered }} {% if %} #}b"), "ab");
  EXPECT_EQ(render("a{# multi\nline #}b"), "ab");
}

TEST(TemplateSyntax, RawBlockIsLiteral) {
  EXPECT_EQ(render("{% raw %}{{ x }}{% if %}{# c #}{% endraw %}"), "{{ x }}{% if %}{# c #}");
  // `{% raw %}` itself keeps the following newline; `{% endraw %}` trims one (trim_blocks)
  EXPECT_EQ(render("{% raw %}\nA\n{% endraw %}\nB"), "\nA\nB");
  EXPECT_EQ(render("{%- raw -%}  {{x}}  {%- endraw -%}  !"), "{{x}}!");
}

TEST(TemplateSyntax, StringLiteralEscapes) {
  EXPECT_EQ(render(R"({{ 'a\nb' }})"), "a\nb");
  EXPECT_EQ(render(R"({{ "tab\there" }})"), "tab\there");
  EXPECT_EQ(render(R"({{ 'it\'s' }})"), "it's");
  EXPECT_EQ(render(R"({{ "q\"q" }})"), "q\"q");
  EXPECT_EQ(render(R"({{ '\\' }})"), "\\");
  EXPECT_EQ(render(R"({{ '\x41\u00e9\U0001F600' }})"), "A\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(render(R"({{ '\d' }})"), "\\d");  // unknown escapes keep the backslash (Python)
  EXPECT_EQ(render("{{ 'multi\nline' }}"), "multi\nline");
  EXPECT_EQ(render("{{ 'a' 'b' \"c\" }}"), "abc");  // adjacent literals concatenate
  EXPECT_EQ(render("{{ '日本' }}"), "日本");
}

TEST(TemplateSyntax, NumberLiterals) {
  EXPECT_EQ(render("{{ 42 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }}"), "42 1000 31 15 5");
  EXPECT_EQ(render("{{ 1.5 }} {{ 1e3 }} {{ 2.5e-3 }} {{ 1_0.5 }}"), "1.5 1000.0 0.0025 10.5");
}

TEST(TemplateSyntax, BracesInsideExpressionsDoNotEndTheTag) {
  EXPECT_EQ(render("{{ {'a': {'b': 1}}['a']['b'] }}"), "1");
  EXPECT_EQ(render("{{ {'k': 'v'} }}"), "{'k': 'v'}");
}

TEST(TemplateSyntax, SyntaxErrorsNameLineAndColumn) {
  TemplateError e = render_error("line one\n{{ 1 + }}");
  EXPECT_EQ(e.kind(), ErrorKind::Syntax);
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 8);
  EXPECT_NE(std::string(e.what()).find("line 2, column 8"), std::string::npos) << e.what();

  e = render_error("{% if x %}\nno end");
  EXPECT_EQ(e.kind(), ErrorKind::Syntax);
  EXPECT_NE(e.message().find("endif"), std::string::npos) << e.message();

  e = render_error("a\nb {% foo %}");
  EXPECT_EQ(e.kind(), ErrorKind::Syntax);
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.message().find("unknown tag 'foo'"), std::string::npos) << e.message();

  EXPECT_EQ(render_error("{{ 'unterminated }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ x").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{# never closed").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ (1, 2 }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ x | no_such_filter }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ x is no_such_test }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% break %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% endfor %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ 1 ! 2 }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% set 1 = 2 %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% include 'other.html' %}").kind(), ErrorKind::Syntax);
}

TEST(TemplateSyntax, ColumnsCountCharactersNotBytes) {
  TemplateError e = render_error("日本語 {{ ) }}");
  EXPECT_EQ(e.line(), 1);
  EXPECT_EQ(e.column(), 8);
}

}  // namespace
}  // namespace transformers::templates
