// libFuzzer target: arbitrary bytes (invalid UTF-8 included) through a pipeline that exercises
// added tokens, normalizers, a regex split, byte-level BPE and the decoder; never a crash.
#include <cstdint>
#include <string>

#include "transformers/core/error.h"
#include "transformers/tokenizers/tokenizer.h"

namespace {
const char* kJson = R"J({"added_tokens":[{"id":5,"content":"<s>","special":true,"normalized":false,"lstrip":true,"rstrip":true},
 {"id":6,"content":"ab","single_word":true,"normalized":true}],
 "normalizer":{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"},{"type":"Prepend","prepend":"\u2581"}]},
 "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\p{N}{1,3}| ?\\p{L}+|\\s+(?!\\S)"},"behavior":"Isolated","invert":false},
   {"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]},
 "post_processor":{"type":"ByteLevel","trim_offsets":true},"decoder":{"type":"ByteLevel"},
 "model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3,"Ġa":4},"merges":["a b","Ġ a"]}})J";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto tok = transformers::tok::Tokenizer::from_json(kJson);
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto e = tok.encode(text);
    (void)tok.decode(e.ids, true);
    (void)tok.encode_pair(text, text, false);
  } catch (const transformers::Error&) {
  }
  return 0;
}
