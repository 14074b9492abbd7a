#pragma once
// Test helper: render a template source against a JSON context.
#include <string>

#include "transformers/templates/json_value.h"
#include "transformers/templates/template.h"

namespace transformers::templates::testing {

inline std::string render(const std::string& source, const std::string& context_json = "{}") {
  Template t(source);
  return t.render(parse_json(context_json));
}

// The error a render raises ("" when it renders).
inline TemplateError render_error(const std::string& source, const std::string& context_json = "{}") {
  try {
    render(source, context_json);
  } catch (const TemplateError& e) {
    return e;
  }
  return TemplateError(ErrorKind::Type, "<no error>");
}

}  // namespace transformers::templates::testing
