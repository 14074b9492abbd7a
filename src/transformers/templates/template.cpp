#include "transformers/templates/template.h"

#include "transformers/templates/builtins.h"

namespace transformers::templates {

namespace {
bool contains_generation(const Body& body) {
  for (const StmtPtr& s : body) {
    if (s->kind == StmtKind::Generation) return true;
    if (contains_generation(s->body) || contains_generation(s->else_body)) return true;
    for (const auto& [cond, b] : s->branches)
      if (contains_generation(b)) return true;
  }
  return false;
}
}  // namespace

Template::Template(std::string_view source, const TemplateOptions& options)
    : options_(options) {
  body_ = std::make_shared<const Body>(parse(source, options.lexer, options.parser));
  auto globals = std::make_shared<DictData>();
  add_globals(*globals);
  globals_ = std::move(globals);
  has_generation_ = contains_generation(*body_);
}

RenderResult Template::render_with_spans(const Value& context) const {
  static const DictData kEmpty;
  if (!context.is_undefined() && !context.is_dict())
    fail(ErrorKind::Type, "the template context must be a dict, got '" + context.type_name() + "'");
  Renderer r(context.is_dict() ? context.as_dict() : kEmpty, *globals_, options_.render);
  RenderResult result;
  result.text = r.render(*body_);
  result.generation_spans = r.generation_spans();
  return result;
}

std::string Template::render(const Value& context) const { return render_with_spans(context).text; }

}  // namespace transformers::templates
