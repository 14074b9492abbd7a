#include "transformers/tokenizers/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "transformers/core/error.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

namespace {
// One match-data block and JIT stack per thread: matching allocates nothing.
struct ThreadMatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  ThreadMatchState() { pcre2_jit_stack_assign(ctx, nullptr, stack); }
  ~ThreadMatchState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
  }
};
ThreadMatchState& match_state() {
  thread_local ThreadMatchState s;
  return s;
}
}  // namespace

Regex::Regex(std::string_view pattern) : code_(std::make_shared<Code>()), pattern_(pattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP, &err, &off, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error(detail::concat("[tokenizers] invalid regex '", pattern, "' at offset ", off, ": ",
                               reinterpret_cast<const char*>(msg)));
  }
  code_->jit = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

bool Regex::find(std::string_view s, size_t from, size_t& start, size_t& end) const {
  auto& st = match_state();
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  int rc = code_->jit ? pcre2_jit_match(code_->code, subject, s.size(), from, 0, st.data, st.ctx)
                      : pcre2_match(code_->code, subject, s.size(), from, PCRE2_NO_UTF_CHECK,
                                    st.data, st.ctx);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  TFM_CHECK(rc >= 0, "[tokenizers] regex '", pattern_, "' failed with PCRE2 error ", rc);
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
  start = ov[0];
  end = ov[1];
  return true;
}

void Regex::find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const {
  size_t pos = 0, start = 0, end = 0;
  while (pos <= s.size() && find(s, pos, start, end)) {
    out.emplace_back(start, end);
    if (end > start) {
      pos = end;
    } else {
      if (end >= s.size()) break;
      pos = end + unicode::char_len(static_cast<unsigned char>(s[end]));
    }
  }
}

}  // namespace transformers::tok
