#pragma once
// The project's one exception type and its check macros.
// Messages start with "[op_or_module]" and carry the names and shapes involved (STYLE.md).
#include <sstream>
#include <stdexcept>
#include <string>

namespace transformers {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream ss;
  (ss << ... << args);
  return ss.str();
}
}  // namespace detail

}  // namespace transformers

// TFM_CHECK(cond, "[op] message ", value, ...): throws transformers::Error when cond is false.
#define TFM_CHECK(cond, ...)                                                    \
  do {                                                                          \
    if (!(cond)) throw ::transformers::Error(::transformers::detail::concat(__VA_ARGS__)); \
  } while (0)

// Internal invariants: a failure is a bug in this library, not in the caller's input.
#define TFM_ASSERT(cond)                                                                   \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::transformers::Error(::transformers::detail::concat(                          \
          "[internal] assertion failed: ", #cond, " at ", __FILE__, ":", __LINE__));       \
  } while (0)

#define TFM_UNREACHABLE()                                                                  \
  throw ::transformers::Error(::transformers::detail::concat("[internal] unreachable at ", \
                                                             __FILE__, ":", __LINE__))
