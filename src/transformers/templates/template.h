#pragma once
// Template: a Jinja2 template parsed once and rendered many times, configured as Hugging Face
// configures Jinja2 for chat templates (sandboxed, trim_blocks, lstrip_blocks, loop controls,
// keep_trailing_newline = false). Rendering is const and may run from several threads at once.
//
//   templates::Template t("Hello {{ name | upper }}!");
//   Value ctx = Value::dict();
//   ctx.as_dict().set("name", "world");
//   t.render(ctx);  // "Hello WORLD!"
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transformers/templates/ast.h"
#include "transformers/templates/error.h"
#include "transformers/templates/lexer.h"
#include "transformers/templates/parser.h"
#include "transformers/templates/renderer.h"
#include "transformers/templates/value.h"

namespace transformers::templates {

struct TemplateOptions {
  LexerOptions lexer;
  ParserLimits parser;
  RenderLimits render;
};

struct RenderResult {
  std::string text;
  // Byte ranges [begin, end) of the output written inside {% generation %} blocks.
  std::vector<std::pair<size_t, size_t>> generation_spans;
};

class Template {
 public:
  // Parses `source`; throws TemplateError(Syntax) naming line and column.
  explicit Template(std::string_view source, const TemplateOptions& options = {});

  // `context` is a dict of variables (or undefined for none). Throws TemplateError.
  std::string render(const Value& context) const;
  RenderResult render_with_spans(const Value& context) const;

  // Whether the template contains a {% generation %} block (assistant masks need one).
  bool has_generation_blocks() const { return has_generation_; }

 private:
  std::shared_ptr<const Body> body_;
  std::shared_ptr<const DictData> globals_;
  TemplateOptions options_;
  bool has_generation_ = false;
};

}  // namespace transformers::templates
