#pragma once
// TemplateError: every error the template engine raises. It carries a kind (so callers can tell a
// template's own raise_exception() from a bug in the template), the bare message, and where in
// the template source it happened (1-based line and column; 0 when unknown).
#include <string>

#include "transformers/core/error.h"

namespace transformers::templates {

enum class ErrorKind {
  Syntax,     // the template does not parse (TemplateSyntaxError)
  Undefined,  // an undefined value was used where Jinja fails (UndefinedError)
  Type,       // wrong operand or argument types (TypeError, ValueError)
  Raised,     // the template called raise_exception(message)
  Security,   // the sandbox refused something (SecurityError, range too big)
  Limit,      // a resource limit stopped a hostile template (recursion, loop steps, output size)
};

class TemplateError : public transformers::Error {
 public:
  TemplateError(ErrorKind kind, std::string message, int line = 0, int column = 0)
      : transformers::Error(message), kind_(kind), message_(std::move(message)) {
    set_location(line, column);
  }

  ErrorKind kind() const { return kind_; }
  // The message alone, as Jinja2 would report it (for Raised: exactly raise_exception's argument).
  const std::string& message() const { return message_; }
  int line() const { return line_; }
  int column() const { return column_; }
  bool has_location() const { return line_ > 0; }

  void set_location(int line, int column) {
    line_ = line;
    column_ = column;
    full_ = "[templates] ";
    if (line_ > 0) {
      full_ += "line " + std::to_string(line_);
      if (column_ > 0) full_ += ", column " + std::to_string(column_);
      full_ += ": ";
    }
    full_ += message_;
  }

  const char* what() const noexcept override { return full_.c_str(); }

 private:
  ErrorKind kind_;
  std::string message_;
  std::string full_;
  int line_ = 0;
  int column_ = 0;
};

[[noreturn]] inline void fail(ErrorKind kind, std::string message) {
  throw TemplateError(kind, std::move(message));
}

}  // namespace transformers::templates
