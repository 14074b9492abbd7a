#pragma once
// The Jinja2 parser: tokens -> syntax tree, with Jinja's operator precedence and statements.
#include <string_view>

#include "transformers/templates/ast.h"
#include "transformers/templates/lexer.h"

namespace transformers::templates {

struct ParserLimits {
  int max_depth = 200;  // nesting of expressions and blocks (a hostile template cannot overflow the stack)
};

// Throws TemplateError(Syntax) naming line and column.
Body parse(std::string_view source, const LexerOptions& lexer = {}, const ParserLimits& limits = {});

}  // namespace transformers::templates
