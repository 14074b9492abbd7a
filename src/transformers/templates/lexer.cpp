#include "transformers/templates/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "transformers/templates/error.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

// Jinja normalizes every newline sequence to "\n" and, without keep_trailing_newline, drops one
// newline at the very end of the source.
std::string normalize_newlines(std::string_view src, bool keep_trailing_newline) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out.push_back(src[i]);
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool all_space(std::string_view s) {
  for (size_t i = 0; i < s.size();)
    if (!utf8::is_space(utf8::next(s, i))) return false;
  return true;
}

bool is_name_start(unsigned char c) { return c == '_' || std::isalpha(c) || c >= 0x80; }
bool is_name_char(unsigned char c) { return is_name_start(c) || std::isdigit(c); }

class Lexer {
 public:
  Lexer(std::string src, const LexerOptions& o) : src_(std::move(src)), opt_(o) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    while (pos < src_.size()) {
      size_t p = find_tag(pos);
      if (p == std::string::npos) {
        emit_data(pos, src_.substr(pos));
        break;
      }
      char kind = src_[p + 1];  // '{', '%' or '#'
      char sign = p + 2 < src_.size() ? src_[p + 2] : '\0';
      if (sign != '-' && sign != '+') sign = '\0';
      std::string text = src_.substr(pos, p - pos);
      text = strip_before(text, pos, sign, kind != '{');
      emit_data(pos, std::move(text));
      size_t after = p + 2 + (sign ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(p, after);
      } else if (kind == '%' && is_raw_begin(after)) {
        pos = lex_raw(p, after);
      } else {
        pos = lex_tag(p, after, kind == '{');
      }
    }
    tokens_.push_back(Token{TokenType::Eof, "", 0, 0, line_of(src_.size()), col_of(src_.size())});
    return std::move(tokens_);
  }

 private:
  int line_of(size_t pos) const {
    return static_cast<int>(std::upper_bound(line_starts_.begin(), line_starts_.end(), pos) -
                            line_starts_.begin());
  }
  // Column in characters. Tokens arrive in source order, so counting resumes from the previous
  // position on the same line (a long single-line template stays linear).
  int col_of(size_t pos) const {
    size_t start = line_starts_[line_of(pos) - 1];
    if (pos < col_pos_ || col_pos_ < start) {
      col_pos_ = start;
      col_ = 1;
    }
    col_ += static_cast<int>(utf8::length(std::string_view(src_).substr(col_pos_, pos - col_pos_)));
    col_pos_ = pos;
    return col_;
  }
  [[noreturn]] void error(size_t pos, const std::string& msg) const {
    throw TemplateError(ErrorKind::Syntax, msg, line_of(pos), col_of(pos));
  }

  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return std::string::npos;
  }

  // Whitespace control on the text before a tag: '-' strips all trailing whitespace; otherwise
  // lstrip_blocks removes spaces and tabs between the start of the line and a block or comment.
  std::string strip_before(std::string text, size_t text_pos, char sign, bool block_like) const {
    if (sign == '-') return utf8::strip(text, nullptr, false, true);
    if (sign == '+' || !opt_.lstrip_blocks || !block_like) return text;
    size_t l_pos = text.rfind('\n');
    l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
    bool line_starting = text_pos == 0 || src_[text_pos - 1] == '\n';
    if (l_pos > 0 || line_starting) {
      std::string_view tail = std::string_view(text).substr(l_pos);
      if (!tail.empty() && all_space(tail)) text.resize(l_pos);
    }
    return text;
  }

  void emit_data(size_t pos, std::string text) {
    if (text.empty()) return;
    tokens_.push_back(Token{TokenType::Data, std::move(text), 0, 0, line_of(pos), col_of(pos)});
  }

  size_t skip_space(size_t pos) const {
    while (pos < src_.size()) {
      size_t j = pos;
      if (!utf8::is_space(utf8::next(src_, j))) break;
      pos = j;
    }
    return pos;
  }

  // After a block or comment end: '-' eats all whitespace, '+' nothing, else trim_blocks eats
  // one newline.
  size_t after_block_end(size_t pos, char sign) const {
    if (sign == '-') return skip_space(pos);
    if (sign == '+') return pos;
    if (opt_.trim_blocks && pos < src_.size() && src_[pos] == '\n') return pos + 1;
    return pos;
  }

  size_t lex_comment(size_t start, size_t after) {
    size_t end = src_.find("#}", after);
    if (end == std::string::npos) error(start, "missing end of comment tag");
    char sign = (end > after && (src_[end - 1] == '-' || src_[end - 1] == '+')) ? src_[end - 1] : 0;
    return after_block_end(end + 2, sign);
  }

  bool match_word(size_t& pos, std::string_view word) const {
    if (src_.compare(pos, word.size(), word) != 0) return false;
    pos += word.size();
    return true;
  }

  bool is_raw_begin(size_t after) const {
    size_t p = skip_space(after);
    if (!match_word(p, "raw")) return false;
    p = skip_space(p);
    if (p < src_.size() && src_[p] == '-') ++p;
    return src_.compare(p, 2, "%}") == 0;
  }

  size_t lex_raw(size_t start, size_t after) {
    size_t p = skip_space(after);
    match_word(p, "raw");
    p = skip_space(p);
    bool strip = src_[p] == '-';
    p += strip ? 3 : 2;
    if (strip) p = skip_space(p);  // `{% raw %}` itself does not apply trim_blocks
    size_t body = p;
    for (size_t q = src_.find("{%", p); q != std::string::npos; q = src_.find("{%", q + 1)) {
      size_t r = q + 2;
      char sign = (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) ? src_[r] : 0;
      if (sign) ++r;
      r = skip_space(r);
      if (!match_word(r, "endraw")) continue;
      r = skip_space(r);
      char end_sign = 0;
      if (r < src_.size() && (src_[r] == '-' || src_[r] == '+')) end_sign = src_[r++];
      if (src_.compare(r, 2, "%}") != 0) continue;
      std::string text = strip_before(src_.substr(body, q - body), body, sign, true);
      emit_data(body, std::move(text));
      return after_block_end(r + 2, end_sign);
    }
    error(start, "missing end of raw directive");
  }

  size_t lex_tag(size_t start, size_t after, bool variable) {
    tokens_.push_back(Token{variable ? TokenType::VarBegin : TokenType::BlockBegin,
                            variable ? "{{" : "{%", 0, 0, line_of(start), col_of(start)});
    std::vector<char> brackets;
    size_t p = after;
    while (true) {
      p = skip_space(p);
      if (p >= src_.size())
        error(start, variable ? "unexpected end of template, expected '}}'"
                              : "unexpected end of template, expected '%}'");
      if (brackets.empty()) {
        if (variable) {
          if (src_.compare(p, 3, "-}}") == 0) return end_tag(p, 3, TokenType::VarEnd, '-');
          if (src_.compare(p, 2, "}}") == 0) return end_tag(p, 2, TokenType::VarEnd, '\0');
        } else {
          if (src_.compare(p, 3, "-%}") == 0) return end_tag(p, 3, TokenType::BlockEnd, '-');
          if (src_.compare(p, 3, "+%}") == 0) return end_tag(p, 3, TokenType::BlockEnd, '+');
          if (src_.compare(p, 2, "%}") == 0) return end_tag(p, 2, TokenType::BlockEnd, '\0');
        }
      }
      p = lex_token(p, brackets);
    }
  }

  size_t end_tag(size_t p, size_t len, TokenType type, char sign) {
    tokens_.push_back(Token{type, type == TokenType::VarEnd ? "}}" : "%}", 0, 0, line_of(p),
                            col_of(p)});
    size_t end = p + len;
    if (type == TokenType::VarEnd) return sign == '-' ? skip_space(end) : end;
    return after_block_end(end, sign);
  }

  size_t lex_token(size_t p, std::vector<char>& brackets) {
    unsigned char c = static_cast<unsigned char>(src_[p]);
    Token tok{TokenType::Op, "", 0, 0, line_of(p), col_of(p)};
    if (is_name_start(c)) {
      size_t e = p;
      while (e < src_.size() && is_name_char(static_cast<unsigned char>(src_[e]))) ++e;
      tok.type = TokenType::Name;
      tok.text = src_.substr(p, e - p);
      tokens_.push_back(std::move(tok));
      return e;
    }
    if (std::isdigit(c)) return lex_number(p, std::move(tok));
    if (c == '\'' || c == '"') return lex_string(p, std::move(tok));
    static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
                                 "[",  "]",  "(",  ")",  "{",  "}",  "<", ">", "=", ".", ":", "|",
                                 ",",  ";"};
    for (const char* op : kOps) {
      size_t n = std::char_traits<char>::length(op);
      if (src_.compare(p, n, op) != 0) continue;
      char o = op[0];
      if (n == 1 && (o == '(' || o == '[' || o == '{')) {
        if (brackets.size() >= 256) error(p, "brackets nested too deeply");
        brackets.push_back(o == '(' ? ')' : o == '[' ? ']' : '}');
      } else if (n == 1 && (o == ')' || o == ']' || o == '}')) {
        if (brackets.empty()) error(p, std::string("unexpected '") + o + "'");
        if (brackets.back() != o)
          error(p, std::string("unexpected '") + o + "', expected '" + brackets.back() + "'");
        brackets.pop_back();
      }
      tok.text = op;
      tokens_.push_back(std::move(tok));
      return p + n;
    }
    size_t j = p;
    std::string ch;
    utf8::append(ch, utf8::next(src_, j));
    error(p, "unexpected char '" + ch + "'");
  }

  size_t lex_number(size_t p, Token tok) {
    auto digits = [&](size_t q, auto pred) {
      // digits with single underscores between them, as Python and Jinja allow
      while (q < src_.size() && (pred(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() &&
                                                   pred(src_[q + 1]) && pred(src_[q - 1]))))
        ++q;
      return q;
    };
    auto dec = [](char ch) { return ch >= '0' && ch <= '9'; };
    auto clean = [](std::string s) {
      s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
      return s;
    };
    if (src_[p] == '0' && p + 1 < src_.size() && std::strchr("bBoOxX", src_[p + 1]) &&
        src_[p + 1] != '\0') {
      char k = static_cast<char>(std::tolower(src_[p + 1]));
      int base = k == 'b' ? 2 : k == 'o' ? 8 : 16;
      auto pred = [base](char ch) {
        if (base == 16) return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
        return ch >= '0' && ch < static_cast<char>('0' + base);
      };
      size_t q = p + 2;
      if (q < src_.size() && src_[q] == '_') ++q;
      size_t e = digits(q, pred);
      if (e == q) error(p, "invalid number literal");
      tok.type = TokenType::Int;
      tok.int_value = std::strtoll(clean(src_.substr(q, e - q)).c_str(), nullptr, base);
      tokens_.push_back(std::move(tok));
      return e;
    }
    size_t e = digits(p, dec);
    bool after_dot = !tokens_.empty() && tokens_.back().type == TokenType::Op &&
                     tokens_.back().text == ".";
    bool is_float = false;
    if (!after_dot) {
      // Jinja's float: digits '.' digits [exponent] | digits exponent
      if (e + 1 < src_.size() && src_[e] == '.' && dec(src_[e + 1])) {
        e = digits(e + 1, dec);
        is_float = true;
      }
      if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
        size_t q = e + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        if (q < src_.size() && dec(src_[q])) {
          e = digits(q, dec);
          is_float = true;
        }
      }
    }
    std::string text = clean(src_.substr(p, e - p));
    if (is_float) {
      tok.type = TokenType::Float;
      tok.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      tok.type = TokenType::Int;
      errno = 0;
      tok.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) error(p, "integer literal too large");
    }
    tokens_.push_back(std::move(tok));
    return e;
  }

  // Python string escapes, as Jinja decodes string literals.
  size_t lex_string(size_t p, Token tok) {
    char quote = src_[p];
    std::string out;
    size_t i = p + 1;
    while (true) {
      if (i >= src_.size()) error(p, "unterminated string literal");
      char c = src_[i];
      if (c == quote) break;
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) error(p, "unterminated string literal");
      char e = src_[i + 1];
      i += 2;
      auto hex = [&](int n) -> char32_t {
        if (i + n > src_.size()) error(p, "truncated \\x, \\u or \\U escape");
        char32_t v = 0;
        for (int k = 0; k < n; ++k) {
          char h = src_[i + k];
          if (!std::isxdigit(static_cast<unsigned char>(h)))
            error(p, "truncated \\x, \\u or \\U escape");
          v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                                                                     : (std::tolower(h) - 'a' + 10));
        }
        i += n;
        return v;
      };
      switch (e) {
        case '\n': break;  // line continuation
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x': utf8::append(out, hex(2)); break;
        case 'u': utf8::append(out, hex(4)); break;
        case 'U': {
          char32_t v = hex(8);
          if (v > 0x10FFFF) error(p, "illegal Unicode character in string literal");
          utf8::append(out, v);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t v = e - '0';
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k)
              v = v * 8 + (src_[i++] - '0');
            utf8::append(out, v);
          } else {
            // Unknown escapes stay as written (Python keeps the backslash).
            out.push_back('\\');
            --i;
          }
      }
    }
    tok.type = TokenType::String;
    tok.text = std::move(out);
    tokens_.push_back(std::move(tok));
    return i + 1;
  }

  std::string src_;
  LexerOptions opt_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  mutable size_t col_pos_ = 0;
  mutable int col_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(normalize_newlines(source, options.keep_trailing_newline), options).run();
}

}  // namespace transformers::templates
