// libFuzzer target: tokenizer.json loading must throw transformers::Error or succeed, never crash;
// a tokenizer that loads must encode and decode its own input.
#include <cstdint>
#include <string>

#include "transformers/core/error.h"
#include "transformers/tokenizers/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto t = transformers::tok::Tokenizer::from_json(text, "fuzz.json");
    auto e = t.encode(text.substr(0, 256));
    (void)t.decode(e.ids);
  } catch (const transformers::Error&) {
  }
  return 0;
}
