// libFuzzer target for the Jinja parser and renderer: the input is a template source; whatever
// parses is rendered against a small chat context with tight limits. Any outcome other than a
// rendering or a TemplateError (a crash, a sanitizer report, a hang) is a bug.
//   cmake -DTFM_BUILD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ... && ./fuzz_template -max_len=4096
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transformers/templates/json_value.h"
#include "transformers/templates/template.h"

namespace tt = transformers::templates;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tt::Value context = tt::parse_json(R"({
    "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi {{ x }}"},
                 {"role": "assistant", "content": null, "tool_calls": [{"type": "function",
                  "function": {"name": "f", "arguments": {"a": [1, 2.5, true]}}}]},
                 {"role": "user", "content": [{"type": "text", "text": "part"}, {"type": "image"}]}],
    "tools": [{"name": "f"}], "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  tt::TemplateOptions options;
  options.render.max_steps = 20000;
  options.render.max_output_bytes = 1 << 20;
  options.render.max_call_depth = 64;
  try {
    tt::Template t(std::string_view(reinterpret_cast<const char*>(data), size), options);
    (void)t.render(context);
  } catch (const tt::TemplateError&) {
  }
  return 0;
}
