// Padding and truncation as per-call options of PreTrainedTokenizer::encode / encode_batch.
// Expectations are derived by hand from Hugging Face's rules (a BERT-style template adds [CLS]
// and [SEP], which count against max_length; longest_first trims the longer sequence; stride
// windows overlap by `stride` tokens; pad_to_multiple_of rounds the padded length up).
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/tokenizers/auto_tokenizer.h"

using transformers::tok::EncodeOptions;
using transformers::tok::PreTrainedTokenizer;
using transformers::tok::Tokenizer;
using Ids = std::vector<int32_t>;
using Rows = std::vector<Ids>;

namespace {

// WordLevel over [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 a=4 b=5 c=6 d=7 e=8, whitespace split,
// template "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1".
PreTrainedTokenizer bert_like() {
  std::string j = R"({"version":"1.0",
    "added_tokens":[
      {"id":0,"content":"[PAD]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
      {"id":2,"content":"[CLS]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
      {"id":3,"content":"[SEP]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
    "normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},
    "post_processor":{"type":"TemplateProcessing",
      "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
                {"SpecialToken":{"id":"[SEP]","type_id":0}}],
      "pair":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
              {"SpecialToken":{"id":"[SEP]","type_id":0}},
              {"Sequence":{"id":"B","type_id":1}},{"SpecialToken":{"id":"[SEP]","type_id":1}}],
      "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},
                        "[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
    "decoder":null,
    "model":{"type":"WordLevel","unk_token":"[UNK]",
             "vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"a":4,"b":5,"c":6,"d":7,"e":8}}})";
  PreTrainedTokenizer t(Tokenizer::from_json(j));
  t.pad_token = "[PAD]";
  return t;
}

EncodeOptions truncate_to(size_t n) {
  EncodeOptions o;
  o.truncation = true;
  o.max_length = n;
  return o;
}

}  // namespace

TEST(EncodeOptions, TruncationCountsSpecialTokensAndStrideWindowsOverlap) {
  auto t = bert_like();
  EXPECT_EQ(t.encode("a b c d e", truncate_to(5)).input_ids, (Rows{{2, 4, 5, 6, 3}}));
  // Three content tokens per window, one of overlap: [a b c], [c d e].
  EncodeOptions o = truncate_to(5);
  o.stride = 1;
  o.return_overflowing_tokens = true;
  auto b = t.encode("a b c d e", o);
  EXPECT_EQ(b.input_ids, (Rows{{2, 4, 5, 6, 3}, {2, 6, 7, 8, 3}}));
  EXPECT_EQ(b.overflow_to_sample_mapping, (Ids{0, 0}));
  // Left truncation keeps the end.
  o = truncate_to(4);
  o.truncation_side = "left";
  EXPECT_EQ(t.encode("a b c d e", o).input_ids, (Rows{{2, 7, 8, 3}}));
}

TEST(EncodeOptions, PairStrategies) {
  auto t = bert_like();
  // 7 - 3 specials = 4 tokens for 4 + 2: longest_first takes both from the first sequence.
  auto e = t.encode("a b c d", "e a", truncate_to(7));
  EXPECT_EQ(e.input_ids, (Rows{{2, 4, 5, 3, 8, 4, 3}}));
  EXPECT_EQ(e.token_type_ids, (Rows{{0, 0, 0, 0, 1, 1, 1}}));
  // only_second: 6 - 3 = 3 tokens, the first sequence keeps its 2.
  EncodeOptions o = truncate_to(6);
  o.truncation_strategy = transformers::tok::TruncationParams::Strategy::OnlySecond;
  EXPECT_EQ(t.encode("a b", "c d e", o).input_ids, (Rows{{2, 4, 5, 3, 6, 3}}));
  // only_first with too little room is an error, not a silent result.
  o.truncation_strategy = transformers::tok::TruncationParams::Strategy::OnlyFirst;
  o.max_length = 4;
  EXPECT_THROW(t.encode("a b", "c d e", o), transformers::Error);
}

TEST(EncodeOptions, PaddingLongestMaxLengthSidesAndMultiple) {
  auto t = bert_like();
  EncodeOptions o;
  o.padding = EncodeOptions::Padding::Longest;
  auto b = t.encode_batch(std::vector<std::string>{"a", "a b c"}, o);
  EXPECT_EQ(b.input_ids, (Rows{{2, 4, 3, 0, 0}, {2, 4, 5, 6, 3}}));
  EXPECT_EQ(b.attention_mask, (Rows{{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}}));
  o.padding_side = "left";
  EXPECT_EQ(t.encode_batch(std::vector<std::string>{"a", "a b c"}, o).input_ids,
            (Rows{{0, 0, 2, 4, 3}, {2, 4, 5, 6, 3}}));
  // max_length 6 rounded up to a multiple of 4.
  EncodeOptions m;
  m.padding = EncodeOptions::Padding::MaxLength;
  m.max_length = 6;
  m.pad_to_multiple_of = 4;
  auto p = t.encode("a", m);
  EXPECT_EQ(p.input_ids, (Rows{{2, 4, 3, 0, 0, 0, 0, 0}}));
  EXPECT_EQ(p.special_tokens_mask, (Rows{{1, 0, 1, 1, 1, 1, 1, 1}}));
  // Truncation and padding together on pairs.
  m.truncation = true;
  m.pad_to_multiple_of = 0;
  auto q = t.encode_batch(std::vector<std::pair<std::string, std::string>>{{"a b c d", "e"}, {"a", "b"}}, m);
  EXPECT_EQ(q.input_ids, (Rows{{2, 4, 5, 3, 8, 3}, {2, 4, 3, 5, 3, 0}}));
  EXPECT_EQ(q.token_type_ids, (Rows{{0, 0, 0, 0, 1, 1}, {0, 0, 0, 1, 1, 0}}));
}

TEST(EncodeOptions, SettingsDoNotStickAndConcurrentCallsDiffer) {
  auto t = bert_like();
  t.encode("a b c d e", truncate_to(3));
  EXPECT_FALSE(t.tokenizer().truncation().has_value());
  EXPECT_FALSE(t.tokenizer().padding().has_value());
  EXPECT_EQ(t.encode("a b c d e").input_ids, (Rows{{2, 4, 5, 6, 7, 8, 3}}));
  // Two threads with different settings on the one tokenizer.
  Rows r1, r2;
  std::thread a([&] {
    for (int i = 0; i < 200; ++i) r1 = t.encode("a b c d e", truncate_to(3)).input_ids;
  });
  std::thread b([&] {
    EncodeOptions o;
    o.padding = EncodeOptions::Padding::MaxLength;
    o.max_length = 9;
    for (int i = 0; i < 200; ++i) r2 = t.encode("a b c d e", o).input_ids;
  });
  a.join();
  b.join();
  EXPECT_EQ(r1, (Rows{{2, 4, 3}}));
  EXPECT_EQ(r2, (Rows{{2, 4, 5, 6, 7, 8, 3, 0, 0}}));
}

TEST(EncodeOptions, TokenizerJsonSettingsDoNotApplyToCalls) {
  // transformers' fast tokenizers switch tokenizer.json's truncation / padding off for a call that
  // does not ask for them; the bare Tokenizer keeps applying them.
  auto t = bert_like();
  transformers::tok::TruncationParams tp;
  tp.max_length = 3;
  t.tokenizer().set_truncation(tp);
  EXPECT_EQ(t.encode("a b c d e").input_ids, (Rows{{2, 4, 5, 6, 7, 8, 3}}));
  EXPECT_EQ(t.encode_ids("a b c d e"), (Ids{2, 4, 5, 6, 7, 8, 3}));
  EXPECT_EQ(t.tokenizer().encode("a b c d e").ids, (Ids{2, 4, 3}));
}

TEST(EncodeOptions, PadWithoutPadTokenIsAnError) {
  auto t = bert_like();
  t.pad_token.reset();
  EncodeOptions o;
  o.padding = EncodeOptions::Padding::Longest;
  EXPECT_THROW(t.encode_batch(std::vector<std::string>{"a"}, o), transformers::Error);
}

// The per-call path gives what a tokenizer configured through set_truncation / set_padding gives
// (the earlier implementation) on every fixture text of bert_base_uncased.
TEST(EncodeOptions, SameAsConfiguredTokenizerOnFixtureTexts) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = transformers::testing::shared_path("fixtures/tokenizers/bert_base_uncased");
  auto tok = transformers::tok::AutoTokenizer::from_pretrained(dir);
  std::vector<std::string> texts;
  std::ifstream in(dir / "cases.jsonl");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  ASSERT_FALSE(texts.empty());
  EncodeOptions o;
  o.truncation = true;
  o.max_length = 16;
  o.stride = 4;
  o.padding = EncodeOptions::Padding::Longest;
  o.return_overflowing_tokens = true;
  auto got = tok.encode_batch(texts, o);

  Tokenizer configured = Tokenizer::from_file(dir / "tokenizer.json");
  transformers::tok::TruncationParams tp;
  tp.max_length = 16;
  tp.stride = 4;
  configured.set_truncation(tp);
  transformers::tok::PaddingParams pp;
  pp.pad_id = 0;
  configured.set_padding(pp);
  auto want = configured.encode_batch(texts, true, 0);
  ASSERT_EQ(got.encodings.size(), want.size());
  size_t rows = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.encodings[i].ids, want[i].ids) << texts[i];
    EXPECT_EQ(got.encodings[i].offsets, want[i].offsets) << texts[i];
    ASSERT_EQ(got.encodings[i].overflowing.size(), want[i].overflowing.size()) << texts[i];
    for (size_t k = 0; k < want[i].overflowing.size(); ++k)
      EXPECT_EQ(got.encodings[i].overflowing[k].ids, want[i].overflowing[k].ids) << texts[i];
    rows += 1 + want[i].overflowing.size();
    EXPECT_LE(want[i].ids.size(), 16u);
  }
  EXPECT_EQ(got.input_ids.size(), rows);
}
