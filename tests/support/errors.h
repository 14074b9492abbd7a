#pragma once
// The message of the transformers::Error a call throws, for tests that check what an error says.
#include <string>

#include "transformers/core/error.h"

namespace transformers::testing {

// "" when `call` throws nothing, so that a check for a phrase in it fails then too.
template <typename Call>
std::string error_message(Call&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace transformers::testing
