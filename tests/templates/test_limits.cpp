// A hostile template cannot hang, exhaust memory or overflow the stack, and cannot reach files,
// the environment or the network (Jinja2's sandbox, plus limits of our own).
#include <gtest/gtest.h>

#include <chrono>

#include "render_helper.h"

namespace transformers::templates {
namespace {

using testing::render;
using testing::render_error;

TEST(TemplateLimits, UnboundedMacroRecursionStops) {
  TemplateError e = render_error("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}");
  EXPECT_EQ(e.kind(), ErrorKind::Limit);
  EXPECT_NE(e.message().find("recursion"), std::string::npos) << e.message();
}

TEST(TemplateLimits, RecursiveLoopOnItselfStops) {
  EXPECT_EQ(render_error("{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}").kind(), ErrorKind::Limit);
}

TEST(TemplateLimits, HugeLoopNestStopsQuickly) {
  auto start = std::chrono::steady_clock::now();
  TemplateError e = render_error(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(e.kind(), ErrorKind::Limit);
  EXPECT_LT(seconds, 30.0);
}

TEST(TemplateLimits, StepLimitIsConfigurable) {
  TemplateOptions o;
  o.render.max_steps = 100;
  Template t("{% for i in range(50) %}{% for j in range(3) %}{% endfor %}{% endfor %}", o);
  EXPECT_THROW(t.render(Value::dict()), TemplateError);
  Template ok("{% for i in range(50) %}{% endfor %}", o);
  EXPECT_EQ(ok.render(Value::dict()), "");
}

TEST(TemplateLimits, OutputGrowthStops) {
  EXPECT_EQ(render_error("{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
                         "{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .kind(),
            ErrorKind::Limit);
  EXPECT_EQ(render_error("{{ 'a' * 10000000000 }}").kind(), ErrorKind::Limit);
  EXPECT_EQ(render_error("{{ [1, 2] * 10000000000 }}").kind(), ErrorKind::Limit);
  TemplateOptions o;
  o.render.max_output_bytes = 1000;
  Template t("{% for i in range(2000) %}x{% endfor %}", o);
  EXPECT_EQ(([&] {
              try {
                t.render(Value::dict());
              } catch (const TemplateError& e) {
                return e.kind();
              }
              return ErrorKind::Type;
            })(),
            ErrorKind::Limit);
}

TEST(TemplateLimits, SandboxRangeLimit) {
  TemplateError e = render_error("{{ range(100001) | length }}");
  EXPECT_EQ(e.kind(), ErrorKind::Security);
  EXPECT_EQ(e.message(), "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  EXPECT_EQ(render("{{ range(100000) | length }}"), "100000");
}

TEST(TemplateLimits, IntegerOverflowIsAnError) {
  EXPECT_EQ(render_error("{{ 2 ** 64 }}").kind(), ErrorKind::Limit);
  EXPECT_EQ(render_error("{{ 9223372036854775807 + 1 }}").kind(), ErrorKind::Limit);
  EXPECT_EQ(render("{{ 2 ** 62 }}"), "4611686018427387904");
}

TEST(TemplateLimits, DeepNestingIsASyntaxErrorNotACrash) {
  std::string parens(5000, '(');
  EXPECT_EQ(render_error("{{ " + parens + "1" + std::string(5000, ')') + " }}").kind(), ErrorKind::Syntax);
  std::string ifs;
  for (int i = 0; i < 2000; ++i) ifs += "{% if true %}";
  EXPECT_EQ(render_error(ifs).kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ " + std::string(100000, '-') + "1 }}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{{ x" + std::string(100000, '|') + " }}").kind(), ErrorKind::Syntax);
  // moderate nesting still works
  EXPECT_EQ(render("{{ " + std::string(20, '(') + "1" + std::string(20, ')') + " }}"), "1");
}

TEST(TemplateLimits, NoFilesEnvironmentOrNetwork) {
  EXPECT_EQ(render_error("{% include '/etc/passwd' %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% import 'x' as y %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% extends 'base' %}").kind(), ErrorKind::Syntax);
  EXPECT_EQ(render_error("{% from 'x' import y %}").kind(), ErrorKind::Syntax);
  // Python internals do not exist here: they are plain undefined names/attributes.
  EXPECT_EQ(render("[{{ ''.__class__ }}][{{ cycler.__init__ }}][{{ self }}][{{ config }}][{{ environ }}]"),
            "[][][][][]");
  EXPECT_EQ(render_error("{{ ''.__class__.__mro__ }}").kind(), ErrorKind::Undefined);
}

TEST(TemplateLimits, ErrorsKeepTheEngineUsable) {
  Template t("{{ 1 / x }}");
  EXPECT_THROW(t.render(parse_json(R"({"x": 0})")), TemplateError);
  EXPECT_EQ(t.render(parse_json(R"({"x": 2})")), "0.5");
}

}  // namespace
}  // namespace transformers::templates
