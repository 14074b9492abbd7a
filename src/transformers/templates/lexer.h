#pragma once
// The Jinja2 lexer, configured as Hugging Face configures it: trim_blocks, lstrip_blocks,
// keep_trailing_newline = false, default delimiters. It turns a template source into data tokens
// (text to output, whitespace control already applied) and the tokens inside {{ }} and {% %}.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::templates {

enum class TokenType {
  Data,        // literal template text
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,      // text holds the decoded value
  Int,
  Float,
  Op,          // text holds the operator
  Eof,
};

struct Token {
  TokenType type;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws TemplateError(Syntax) with line and column for malformed input.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace transformers::templates
