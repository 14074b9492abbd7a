// Word ids (HF Encoding.word_ids) and the helpers token_to_word / word_to_tokens / word_to_chars.
// Expected values are derived by hand from Hugging Face tokenizers' rule (PreTokenizedString::
// into_encoding): a token's word is the index of the piece it came from, the pieces being what
// the added tokens found in the text and then the pre-tokenizer cut the input into (empty pieces
// dropped); tokens the post-processor adds and padding have none; each input of a pair counts
// from 0. For the real tokenizers the tokens and offsets quoted in comments are Hugging Face's
// (../shared/fixtures/tokenizers/*/cases.jsonl); the grouping into words is worked out from each
// tokenizer.json's pre-tokenizer.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "transformers/tokenizers/auto_tokenizer.h"
#include "transformers/tokenizers/tokenizer.h"

using transformers::tok::AutoTokenizer;
using transformers::tok::Encoding;
using transformers::tok::EncodeOptions;
using transformers::tok::PreTrainedTokenizer;
using transformers::tok::Tokenizer;
using Words = std::vector<std::optional<uint32_t>>;
using Span = std::pair<size_t, size_t>;

namespace {

constexpr std::nullopt_t N = std::nullopt;

PreTrainedTokenizer load(const std::string& name) {
  return AutoTokenizer::from_pretrained(transformers::testing::shared_path("fixtures/tokenizers/" + name));
}

// "I love pizza 🍕 and tacos 🌮!": characters I [0,1) love [2,6) pizza [7,12) 🍕 [13,14)
// and [15,18) tacos [19,24) 🌮 [25,26) ! [26,27).
const std::string kEmoji = "I love pizza \U0001F355 and tacos \U0001F32E!";
const std::string kShort = "Short.";
// A [0,1) somewhat [2,10) longer [11,17) second [18,24) segment [25,32) , [32,33) with [34,38)
// punctuation [39,50) ! [50,51).
const std::string kLonger = "A somewhat longer second segment, with punctuation!";

}  // namespace

// ---- hand-built tokenizers ----

TEST(WordIds, AddedTokensArePiecesAndEmptyModelOutputKeepsItsNumber) {
  // BPE without merges or unk_token: an unknown character gives no token (HF drops it).
  auto t = Tokenizer::from_json(R"({"added_tokens":[
      {"id":2,"content":"<x>","special":true,"normalized":false}],
    "pre_tokenizer":{"type":"WhitespaceSplit"},
    "model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]}})");
  // "a<x>b a": the added token cuts "a" | "<x>" | "b a", WhitespaceSplit cuts "b a" -> 4 words.
  Encoding e = t.encode("a<x>b a");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 2, 1, 0}));
  EXPECT_EQ(e.word_ids, (Words{0, 1, 2, 3}));
  // "a c b": pieces a, c, b; c yields no token but is still word 1.
  e = t.encode("a c b");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(e.word_ids, (Words{0, 2}));
  EXPECT_EQ(e.word_to_tokens(1), std::nullopt);
  EXPECT_EQ(e.word_to_chars(2), (Span{4, 5}));
}

TEST(WordIds, HelpersFollowHuggingFaceScan) {
  // A hand-made encoding whose words are not in order: HF's word_to_tokens stops at the first
  // token of a later word, so the second token of word 0 is not reached.
  Encoding e;
  e.ids = {7, 8, 9, 10};
  e.offsets = {{0, 0}, {0, 2}, {3, 5}, {6, 8}};
  e.sequence_ids = {-1, 0, 0, 0};
  e.word_ids = {N, 0, 1, 0};
  EXPECT_EQ(e.word_to_tokens(0), (Span{1, 2}));
  EXPECT_EQ(e.word_to_chars(0), (Span{0, 2}));
  EXPECT_EQ(e.word_to_chars(1), (Span{3, 5}));
  EXPECT_EQ(e.token_to_word(0), std::nullopt);
  EXPECT_EQ(e.token_to_word(3), 0u);
  EXPECT_EQ(e.token_to_word(4), std::nullopt);  // past the end
  EXPECT_EQ(e.word_to_chars(0, 1), std::nullopt);  // no second input
}

// ---- real tokenizers ----

TEST(WordIds, BertWordPieceSingleAndPair) {
  TFM_SKIP_WITHOUT_SHARED();
  PreTrainedTokenizer bert = load("bert_base_uncased");
  // BertPreTokenizer: whitespace removed, punctuation isolated -> I love pizza 🍕 and tacos 🌮 !
  // (words 0..7). HF tokens: [CLS] i love pizza [UNK] and ta ##cos [UNK] ! [SEP].
  Encoding e = bert.tokenizer().encode(kEmoji, true);
  ASSERT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "i", "love", "pizza", "[UNK]", "and", "ta", "##cos", "[UNK]",
                                                "!", "[SEP]"}));
  EXPECT_EQ(e.word_ids, (Words{N, 0, 1, 2, 3, 4, 5, 5, 6, 7, N}));
  EXPECT_EQ(e.token_to_word(7), 5u);
  EXPECT_EQ(e.token_to_word(0), std::nullopt);
  EXPECT_EQ(e.word_to_tokens(5), (Span{6, 8}));
  EXPECT_EQ(e.word_to_chars(5), (Span{19, 24}));
  EXPECT_EQ(e.word_to_chars(3), (Span{13, 14}));
  EXPECT_EQ(e.word_to_chars(8), std::nullopt);
  // Without special tokens nothing is None.
  EXPECT_EQ(bert.tokenizer().encode(kEmoji, false).word_ids, (Words{0, 1, 2, 3, 4, 5, 5, 6, 7}));

  // Pair: [CLS] short . [SEP] a somewhat longer second segment , with pun ##ct ##uation ! [SEP];
  // the second input's words start again at 0: a somewhat longer second segment , with
  // punctuation ! (0..8). HF offsets: pun [39,42) ##uation [44,50).
  Encoding p = bert.tokenizer().encode_pair(kShort, kLonger, true);
  EXPECT_EQ(p.word_ids, (Words{N, 0, 1, N, 0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, N}));
  EXPECT_EQ(p.sequence_ids, (std::vector<int32_t>{-1, 0, 0, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1}));
  EXPECT_EQ(p.token_to_word(12), 7u);
  EXPECT_EQ(p.word_to_tokens(7, 1), (Span{11, 14}));
  EXPECT_EQ(p.word_to_chars(7, 1), (Span{39, 50}));
  EXPECT_EQ(p.word_to_chars(0, 1), (Span{0, 1}));
  EXPECT_EQ(p.word_to_chars(0, 0), (Span{0, 5}));  // "Short" in the first input
  EXPECT_EQ(p.word_to_chars(1, 0), (Span{5, 6}));
  EXPECT_EQ(p.word_to_chars(7, 0), std::nullopt);  // the first input has two words
}

TEST(WordIds, Gpt2ByteLevelWordsCarryTheirSpace) {
  TFM_SKIP_WITHOUT_SHARED();
  PreTrainedTokenizer gpt2 = load("gpt2");
  // GPT-2's regex pieces: "I" " love" " pizza" " 🍕" " and" " tacos" " 🌮!" (an emoji and the "!"
  // after it are one run of [^\s\p{L}\p{N}]). HF tokens: I Ġlove Ġpizza ĠðŁ į ķ Ġand Ġtacos ĠðŁ Į
  // ® !, offsets untrimmed (post-processor trim_offsets false): Ġtacos [18,24).
  Encoding e = gpt2.tokenizer().encode(kEmoji, true);
  ASSERT_EQ(e.size(), 12u);
  EXPECT_EQ(e.word_ids, (Words{0, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6, 6}));
  EXPECT_EQ(e.word_to_chars(5), (Span{18, 24}));
  EXPECT_EQ(e.word_to_chars(6), (Span{24, 27}));
  // An added token in the text is a piece of its own, and has a word like any other:
  // "Hello " | "<|endoftext|>" | " world", the regex cutting "Hello " into "Hello" " ".
  // HF tokens: Hello Ġ <|endoftext|> Ġworld.
  Encoding s = gpt2.tokenizer().encode("Hello <|endoftext|> world", true);
  ASSERT_EQ(s.tokens, (std::vector<std::string>{"Hello", "\xC4\xA0", "<|endoftext|>", "\xC4\xA0world"}));
  EXPECT_EQ(s.word_ids, (Words{0, 1, 2, 3}));
  // Pair without a template: both inputs counted from 0. HF tokens: Short . | A Ġsomewhat Ġlonger
  // Ġsecond Ġsegment , Ġwith Ġpunct uation !, with Ġpunct [38,44) uation [44,50).
  Encoding p = gpt2.tokenizer().encode_pair(kShort, kLonger, true);
  EXPECT_EQ(p.word_ids, (Words{0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 7, 8}));
  EXPECT_EQ(p.sequence_ids, (std::vector<int32_t>{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(p.word_to_chars(7, 1), (Span{38, 50}));
}

TEST(WordIds, SplitRegexTokenizers) {
  TFM_SKIP_WITHOUT_SHARED();
  // llama3: Split (regex, Isolated) then ByteLevel without regex; the template adds
  // <|begin_of_text|>. "Hello <|endoftext|> world" is plain text here; the regex cuts "Hello"
  // " <|" "endoftext" "|>" " world". HF tokens: <|begin_of_text|> Hello Ġ<| endo ft ext | > Ġworld.
  PreTrainedTokenizer llama3 = load("llama3");
  Encoding e = llama3.tokenizer().encode("Hello <|endoftext|> world", true);
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e.word_ids, (Words{N, 0, 1, 2, 2, 2, 3, 3, 4}));
  // Pair: <|begin_of_text|> Short . <|begin_of_text|> A Ġsomewhat Ġlonger Ġsecond Ġsegment , Ġwith
  // Ġpunctuation !.
  Encoding p = llama3.tokenizer().encode_pair(kShort, kLonger, true);
  EXPECT_EQ(p.word_ids, (Words{N, 0, 1, N, 0, 1, 2, 3, 4, 5, 6, 7, 8}));
  // qwen3 (NFC, the same regex but single digits, no template): "日本語の質問" is one run of
  // letters; "English answer with 数字 123" -> "English" " answer" " with" " 数字" " " "1" "2" "3".
  // HF tokens: æĹ¥æľ¬ èªŀ ãģ® è³ª åķı | English Ġanswer Ġwith Ġæķ° åŃĹ Ġ 1 2 3.
  PreTrainedTokenizer qwen3 = load("qwen3");
  Encoding q = qwen3.tokenizer().encode_pair("\u65e5\u672c\u8a9e\u306e\u8cea\u554f",
                                             "English answer with \u6570\u5b57 123", true);
  EXPECT_EQ(q.word_ids, (Words{0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 4, 5, 6, 7}));
  EXPECT_EQ(q.word_to_chars(0, 0), (Span{0, 6}));
  EXPECT_EQ(q.word_to_chars(3, 1), (Span{19, 22}));  // " 数字", space included
}

TEST(WordIds, SentencePieceStyleTokenizers) {
  TFM_SKIP_WITHOUT_SHARED();
  // llama2 has no pre-tokenizer ("▁" is prepended by the normalizer): each input is one word.
  // HF tokens: <s> ▁Hello ▁< | end of text | > ▁world.
  PreTrainedTokenizer llama2 = load("llama2");
  Encoding e = llama2.tokenizer().encode("Hello <|endoftext|> world", true);
  ASSERT_EQ(e.size(), 10u);
  EXPECT_EQ(e.word_ids, (Words{N, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(e.word_to_chars(0), (Span{0, 25}));
  // Only an added token in the text cuts it: "Hi" | "</s>" | "there".
  Encoding s = llama2.tokenizer().encode("Hi</s>there", true);
  size_t eos = 0;
  while (eos < s.size() && s.ids[eos] != 2) ++eos;
  ASSERT_LT(eos, s.size());
  ASSERT_GT(eos, 1u);
  ASSERT_LT(eos + 1, s.size());
  EXPECT_EQ(s.word_ids[0], std::nullopt);  // <s>
  for (size_t i = 1; i < eos; ++i) EXPECT_EQ(s.word_ids[i], 0u) << i;
  EXPECT_EQ(s.word_ids[eos], 1u);
  for (size_t i = eos + 1; i < s.size(); ++i) EXPECT_EQ(s.word_ids[i], 2u) << i;
  EXPECT_EQ(s.word_to_chars(1), (Span{2, 6}));

  // mistral_7b, the same layout, with an empty first input: <s> <s> ▁empty ▁first ▁segment.
  PreTrainedTokenizer mistral = load("mistral_7b");
  Encoding m = mistral.tokenizer().encode_pair("", "empty first segment", true);
  EXPECT_EQ(m.word_ids, (Words{N, N, 0, 0, 0}));
  EXPECT_EQ(m.word_to_chars(0, 1), (Span{0, 19}));
  EXPECT_EQ(m.word_to_chars(0, 0), std::nullopt);  // the first input has no tokens

  // albert: Metaspace with split, so words are "▁"-pieces: ▁i ▁love ▁pizza ▁🍕 ▁and ▁tacos ▁🌮!.
  // HF tokens: [CLS] ▁i ▁love ▁pizza ▁ 🍕 ▁and ▁taco s ▁ 🌮 ! [SEP]; ▁taco [18,23) s [23,24).
  PreTrainedTokenizer albert = load("albert_base_v2");
  Encoding a = albert.tokenizer().encode(kEmoji, true);
  ASSERT_EQ(a.size(), 13u);
  EXPECT_EQ(a.word_ids, (Words{N, 0, 1, 2, 3, 3, 4, 5, 5, 6, 6, 6, N}));
  EXPECT_EQ(a.word_to_chars(5), (Span{18, 24}));

  // gemma3: the normalizer turns spaces into "▁" before the Split on " " runs, so nothing is
  // split: one word. HF tokens: <bos> I ▁love ▁pizza ▁ 🍕 ▁and ▁tacos ▁ 🌮 !.
  PreTrainedTokenizer gemma3 = load("gemma3");
  Encoding g = gemma3.tokenizer().encode(kEmoji, true);
  ASSERT_EQ(g.size(), 11u);
  EXPECT_EQ(g.word_ids, (Words{N, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(g.word_to_chars(0), (Span{0, 27}));
  // Its tab runs are added tokens ("\t", "\t\t", not normalized), which do cut the text:
  // "\t\t" "tabs" "\t" "between" "\t\t" "words" "\t". HF tokens: the same seven pieces.
  Encoding tabs = gemma3.tokenizer().encode("\t\ttabs\tbetween\t\twords\t", false);
  EXPECT_EQ(tabs.tokens, (std::vector<std::string>{"\t\t", "tabs", "\t", "between", "\t\t", "words", "\t"}));
  EXPECT_EQ(tabs.word_ids, (Words{0, 1, 2, 3, 4, 5, 6}));
}

TEST(WordIds, TruncationWindowsKeepWordNumbersAndPaddingHasNone) {
  TFM_SKIP_WITHOUT_SHARED();
  PreTrainedTokenizer bert = load("bert_base_uncased");
  // "I love pizza and tacos" -> i love pizza and ta ##cos (words 0 1 2 3 4 4); characters
  // and [13,16) tacos [17,22). max_length 6 leaves 4 tokens besides [CLS] [SEP]; stride 1 ->
  // windows [0,4) and [3,6) of the tokens.
  EncodeOptions o;
  o.truncation = true;
  o.max_length = 6;
  o.stride = 1;
  o.return_overflowing_tokens = true;
  const std::string text = "I love pizza and tacos";
  auto b = bert.encode(text, o);
  ASSERT_EQ(b.encodings.size(), 1u);
  const Encoding& e = b.encodings[0];
  EXPECT_EQ(e.word_ids, (Words{N, 0, 1, 2, 3, N}));
  ASSERT_EQ(e.overflowing.size(), 1u);
  const Encoding& over = e.overflowing[0];
  EXPECT_EQ(over.tokens, (std::vector<std::string>{"[CLS]", "and", "ta", "##cos", "[SEP]"}));
  EXPECT_EQ(over.word_ids, (Words{N, 3, 4, 4, N}));  // not renumbered
  EXPECT_EQ(over.word_to_chars(4), (Span{17, 22}));
  EXPECT_EQ(over.word_to_chars(3), (Span{13, 16}));
  EXPECT_EQ(e.word_to_chars(3), (Span{13, 16}));
  EXPECT_EQ(e.word_to_chars(4), std::nullopt);  // not in the first window

  // A pair truncated only in its second input (as the question-answering pipeline does):
  // [CLS] what [SEP] + 4 tokens + [SEP] = 8.
  o.max_length = 8;
  o.truncation_strategy = transformers::tok::TruncationParams::Strategy::OnlySecond;
  auto pb = bert.encode("what", text, o);
  const Encoding& pe = pb.encodings[0];
  EXPECT_EQ(pe.word_ids, (Words{N, 0, N, 0, 1, 2, 3, N}));
  ASSERT_EQ(pe.overflowing.size(), 1u);
  EXPECT_EQ(pe.overflowing[0].word_ids, (Words{N, 0, N, 3, 4, 4, N}));
  EXPECT_EQ(pe.overflowing[0].sequence_ids, (std::vector<int32_t>{-1, 0, -1, 1, 1, 1, -1}));
  EXPECT_EQ(pe.overflowing[0].word_to_chars(4, 1), (Span{17, 22}));
  EXPECT_EQ(pe.overflowing[0].word_to_chars(0, 0), (Span{0, 4}));

  // Padding to 8: [CLS] i love [SEP] + 4 pads, on either side; the helpers see through it.
  EncodeOptions pad;
  pad.padding = EncodeOptions::Padding::MaxLength;
  pad.max_length = 8;
  Encoding right = bert.encode("I love", pad).encodings[0];
  EXPECT_EQ(right.word_ids, (Words{N, 0, 1, N, N, N, N, N}));
  EXPECT_EQ(right.word_to_chars(1), (Span{2, 6}));
  pad.padding_side = "left";
  Encoding left = bert.encode("I love", pad).encodings[0];
  EXPECT_EQ(left.word_ids, (Words{N, N, N, N, N, 0, 1, N}));
  EXPECT_EQ(left.word_to_tokens(1), (Span{6, 7}));
  EXPECT_EQ(left.word_to_chars(1), (Span{2, 6}));
}
