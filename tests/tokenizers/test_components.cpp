// Per-component tests with hand-derived expectations: each is a tiny tokenizer.json built here,
// so the expected ids, tokens and offsets follow from the rules by hand.
#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/tokenizers/auto_tokenizer.h"
#include "transformers/tokenizers/tokenizer.h"
#include "transformers/tokenizers/unicode.h"

using transformers::tok::Encoding;
using transformers::tok::Tokenizer;
using Offsets = std::vector<std::pair<size_t, size_t>>;

namespace {

// A WordLevel model over `vocab` with the given pipeline pieces (JSON fragments or "null").
Tokenizer word_level(const std::string& vocab, const std::string& normalizer, const std::string& pre,
                     const std::string& decoder = "null", const std::string& post = "null") {
  std::string j = R"({"version":"1.0","added_tokens":[],"normalizer":)" + normalizer + R"(,"pre_tokenizer":)" + pre +
                  R"(,"post_processor":)" + post + R"(,"decoder":)" + decoder +
                  R"(,"model":{"type":"WordLevel","unk_token":"<unk>","vocab":)" + vocab + "}}";
  return Tokenizer::from_json(j);
}

std::vector<std::string> toks(const Encoding& e) { return e.tokens; }

}  // namespace

// ---- normalizers ----

TEST(Normalizers, LowercaseAndStripKeepOffsetsOnOriginal) {
  auto t = word_level(
      R"({"<unk>":0,"hello":1})",
      R"({"type":"Sequence","normalizers":[{"type":"Strip","strip_left":true,"strip_right":true},)"
      R"({"type":"Lowercase"}]})",
      "null");
  auto e = t.encode("  HeLLo ");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(e.offsets, (Offsets{{2, 7}}));  // "HeLLo" inside the padded input
}

TEST(Normalizers, NfdSplitsAccentAndStripAccentsRemovesIt) {
  // "é" (U+00E9) → "e" + U+0301 → "e"; the token still spans the one original character.
  auto t = word_level(R"({"<unk>":0,"cafe":1})",
                      R"({"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"}]})", "null");
  auto e = t.encode("caf\u00e9");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 4}}));
}

TEST(Normalizers, NfcComposesAndKeepsStarterSpan) {
  // "e" + U+0301 composes into "é", aligned to the "e" alone (Hugging Face's alignment rule).
  auto t = word_level(R"({"<unk>":0,"\u00e9":1})", R"({"type":"NFC"})", "null");
  auto e = t.encode("e\u0301");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}}));
}

TEST(Normalizers, NfkcFoldsCompatibilityCharacters) {
  auto t = word_level(R"({"<unk>":0,"fi":1})", R"({"type":"NFKC"})", "null");
  EXPECT_EQ(t.encode("\ufb01").ids, (std::vector<int32_t>{1}));  // LATIN SMALL LIGATURE FI
}

TEST(Normalizers, ReplaceStringAndRegex) {
  auto t = word_level(
      R"({"<unk>":0,"a_b":1})",
      R"({"type":"Sequence","normalizers":[{"type":"Replace","pattern":{"Regex":"\\s+"},"content":"_"}]})",
      "null");
  auto e = t.encode("a   b");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}}));
  auto u = word_level(R"({"<unk>":0,"xyx":1})",
                      R"({"type":"Replace","pattern":{"String":"ab"},"content":"y"})", "null");
  EXPECT_EQ(u.encode("xabx").ids, (std::vector<int32_t>{1}));
}

TEST(Normalizers, PrependAddsMarkerSharingFirstCharSpan) {
  auto t = word_level(R"({"<unk>":0,"\u2581hi":1})", R"({"type":"Prepend","prepend":"\u2581"})", "null");
  auto e = t.encode("hi");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 2}}));
}

TEST(Normalizers, BertNormalizerCleansPadsChineseAndLowercases) {
  auto t = word_level(
      R"({"<unk>":0,"a":1,"\u4e2d":2,"b":3})",
      R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,)"
      R"("strip_accents":null,"lowercase":true})",
      R"({"type":"WhitespaceSplit"})");
  auto e = t.encode("A\u4e2d\x01" "B");  // control char removed, CJK isolated
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {3, 4}}));
}

TEST(Normalizers, LowercaseIsPerCharacter) {
  // Greek capital sigma lowercases to σ even word-finally (no final-sigma context rule).
  auto t = word_level(R"({"<unk>":0,"\u03c3\u03c3":1})", R"({"type":"Lowercase"})", "null");
  EXPECT_EQ(t.encode("\u03a3\u03a3").ids, (std::vector<int32_t>{1}));
}

// ---- pre-tokenizers ----

TEST(PreTokenizers, WhitespaceSeparatesWordsAndPunctuation) {
  auto t = word_level(R"({"<unk>":0,"hi":1,"!?":2,"you":3})", "null", R"({"type":"Whitespace"})");
  auto e = t.encode("hi!? you");
  EXPECT_EQ(toks(e), (std::vector<std::string>{"hi", "!?", "you"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 2}, {2, 4}, {5, 8}}));
}

TEST(PreTokenizers, SplitBehaviors) {
  std::string vocab = R"({"<unk>":0,"a":1,"-":2,"a-":3,"-b":4,"b":5,"a--b":6,"--":7})";
  auto split = [&](const std::string& behavior, bool invert = false) {
    return word_level(vocab, "null",
                      R"({"type":"Split","pattern":{"String":"-"},"behavior":")" + behavior + R"(","invert":)" +
                          (invert ? "true" : "false") + "}")
        .encode("a-b")
        .tokens;
  };
  EXPECT_EQ(split("Removed"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("Isolated"), (std::vector<std::string>{"a", "-", "b"}));
  EXPECT_EQ(split("MergedWithPrevious"), (std::vector<std::string>{"a-", "b"}));
  EXPECT_EQ(split("MergedWithNext"), (std::vector<std::string>{"a", "-b"}));
  auto contiguous = word_level(vocab, "null", R"({"type":"Split","pattern":{"String":"-"},"behavior":"Contiguous"})");
  EXPECT_EQ(contiguous.encode("a--b").tokens, (std::vector<std::string>{"a", "--", "b"}));
  // Inverted: the pattern marks what to keep; Removed drops the rest.
  EXPECT_EQ(split("Removed", true), (std::vector<std::string>{"-"}));
}

TEST(PreTokenizers, MetaspacePrependSchemes) {
  std::string vocab = R"({"<unk>":0,"\u2581a":1,"\u2581b":2,"b":3})";
  auto run = [&](const std::string& scheme, const std::string& text) {
    return word_level(vocab, "null",
                      R"({"type":"Metaspace","replacement":"\u2581","prepend_scheme":")" + scheme +
                          R"(","split":true})")
        .encode(text)
        .ids;
  };
  EXPECT_EQ(run("always", "a b"), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(run("never", "b"), (std::vector<int32_t>{3}));
  EXPECT_EQ(run("first", "b"), (std::vector<int32_t>{2}));  // the piece starts the input: "▁b"
}

TEST(PreTokenizers, DigitsPunctuationBertCharDelimiter) {
  std::string vocab = R"({"<unk>":0,"1":1,"2":2,"12":3,"x":4,",":5,"y":6})";
  EXPECT_EQ(word_level(vocab, "null", R"({"type":"Digits","individual_digits":true})").encode("12").ids,
            (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(word_level(vocab, "null", R"({"type":"Digits","individual_digits":false})").encode("12").ids,
            (std::vector<int32_t>{3}));
  EXPECT_EQ(word_level(vocab, "null", R"({"type":"Punctuation"})").encode("x,y").ids, (std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(word_level(vocab, "null", R"({"type":"BertPreTokenizer"})").encode("x, y").ids,
            (std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(word_level(vocab, "null", R"({"type":"CharDelimiterSplit","delimiter":","})").encode("x,y").ids,
            (std::vector<int32_t>{4, 6}));
}

TEST(PreTokenizers, UnicodeScriptsSplitsOnScriptChange) {
  std::string vocab = R"({"<unk>":0,"ab":1,"\u4e2d\u6587":2,"ab ":3})";
  auto e = word_level(vocab, "null", R"({"type":"UnicodeScripts"})").encode("ab\u4e2d\u6587");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 2}));
}

// ---- models ----

namespace {
Tokenizer bpe(const std::string& extra, const std::string& vocab, const std::string& merges,
              const std::string& pre = "null", const std::string& decoder = "null") {
  return Tokenizer::from_json(R"({"added_tokens":[],"normalizer":null,"pre_tokenizer":)" + pre +
                              R"(,"post_processor":null,"decoder":)" + decoder + R"(,"model":{"type":"BPE",)" + extra +
                              R"("vocab":)" + vocab + R"(,"merges":)" + merges + "}}");
}
}  // namespace

TEST(Bpe, MergesLowestRankFirst) {
  // Ranks: "a b" (0) before "b c" (1): "abc" → "ab" + "c", not "a" + "bc".
  auto t = bpe("", R"({"a":0,"b":1,"c":2,"ab":3,"bc":4})", R"(["a b","b c"])");
  EXPECT_EQ(t.encode("abc").tokens, (std::vector<std::string>{"ab", "c"}));
  auto u = bpe("", R"({"a":0,"b":1,"c":2,"ab":3,"bc":4})", R"([["b","c"],["a","b"]])");  // pair form
  EXPECT_EQ(u.encode("abc").tokens, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(u.encode("abc").offsets, (Offsets{{0, 1}, {1, 3}}));
}

TEST(Bpe, ByteFallbackFuseUnkAndIgnoreMerges) {
  auto t = bpe(R"("unk_token":"<unk>","byte_fallback":true,)", R"({"<unk>":0,"a":1,"<0xC3>":2,"<0xA9>":3})", "[]");
  EXPECT_EQ(t.encode("a\u00e9").ids, (std::vector<int32_t>{1, 2, 3}));
  auto u = bpe(R"("unk_token":"<unk>","fuse_unk":true,)", R"({"<unk>":0,"a":1})", "[]");
  EXPECT_EQ(u.encode("xya").ids, (std::vector<int32_t>{0, 1}));
  auto v = bpe(R"("unk_token":"<unk>","fuse_unk":false,)", R"({"<unk>":0,"a":1})", "[]");
  EXPECT_EQ(v.encode("xya").ids, (std::vector<int32_t>{0, 0, 1}));
  // ignore_merges: a word found whole in the vocabulary is emitted as is.
  auto w = bpe(R"("ignore_merges":true,)", R"({"a":0,"b":1,"c":2,"ab":3,"abc":4})", R"(["a b"])");
  EXPECT_EQ(w.encode("abc").ids, (std::vector<int32_t>{4}));
}

TEST(Bpe, ContinuingSubwordPrefixAndSuffix) {
  auto t = bpe(R"("continuing_subword_prefix":"##",)", R"({"a":0,"##b":1,"ab":2})", R"(["a ##b"])");
  EXPECT_EQ(t.encode("ab").tokens, (std::vector<std::string>{"ab"}));
  auto u = bpe(R"("end_of_word_suffix":"</w>",)", R"({"a":0,"b</w>":1,"ab</w>":2})", R"(["a b</w>"])",
               "null", R"({"type":"BPEDecoder","suffix":"</w>"})");
  EXPECT_EQ(u.encode("ab").ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(u.decode({2, 2}), "ab ab");
}

TEST(Bpe, ByteLevelOffsetsCoverWholeCharacter) {
  // "é" is two bytes → two byte-level symbols "Ã" "©"; without a merge both tokens span char 0..1.
  auto t = bpe("", R"({"Ã":0,"©":1})", "[]", R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":true})",
               R"({"type":"ByteLevel"})");
  auto e = t.encode("\u00e9");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"Ã", "©"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {0, 1}}));
  EXPECT_EQ(t.decode(e.ids), "\u00e9");
  EXPECT_EQ(t.decode({0}), "\ufffd");  // a lone lead byte decodes to U+FFFD
}

TEST(WordPiece, GreedyLongestMatchAndUnk) {
  auto t = Tokenizer::from_json(R"({"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},
    "post_processor":null,"decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
    "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":5,
    "vocab":{"[UNK]":0,"un":1,"##aff":2,"##able":3,"u":4}}})");
  auto e = t.encode("unaffable unable");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[UNK]", "[UNK]"}));  // 9 and 6 characters > 5
  auto ok = t.encode("unaff");
  EXPECT_EQ(ok.tokens, (std::vector<std::string>{"un", "##aff"}));
  EXPECT_EQ(ok.offsets, (Offsets{{0, 2}, {2, 5}}));
  EXPECT_EQ(t.decode(ok.ids), "unaff");
}

TEST(Unigram, ViterbiPicksBestScoreAndFusesUnknown) {
  auto t = Tokenizer::from_json(R"({"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,
    "decoder":null,"model":{"type":"Unigram","unk_id":0,
    "vocab":[["<unk>",0],["a",-1],["b",-1],["ab",-1.5],["c",-5]]}})");
  // "ab" = -1.5 beats "a"+"b" = -2; "xy" is two unknown characters fused into one token that keeps its text.
  auto e = t.encode("abxy");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"ab", "xy"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 2}, {2, 4}}));
}

// ---- post-processors and decoders ----

TEST(PostProcessors, TemplateBertRobertaSequence) {
  std::string vocab = R"({"<unk>":0,"a":1,"b":2,"[CLS]":3,"[SEP]":4})";
  auto tpl = word_level(vocab, "null", R"({"type":"WhitespaceSplit"})", "null",
                        R"({"type":"TemplateProcessing","single":"[CLS] $A [SEP]","pair":"[CLS] $A [SEP] $B:1 [SEP]:1",
                            "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[3],"tokens":["[CLS]"]},
                                              "[SEP]":{"id":"[SEP]","ids":[4],"tokens":["[SEP]"]}}})");
  auto e = tpl.encode_pair("a", "b");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{3, 1, 4, 2, 4}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 1}, {0, 0}, {0, 1}, {0, 0}}));
  EXPECT_EQ(tpl.encode("a", false).ids, (std::vector<int32_t>{1}));
  auto bert = word_level(vocab, "null", "null", "null",
                         R"({"type":"BertProcessing","sep":["[SEP]",4],"cls":["[CLS]",3]})");
  EXPECT_EQ(bert.encode_pair("a", "b").type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  auto roberta = word_level(vocab, "null", "null", "null",
                            R"({"type":"RobertaProcessing","sep":["[SEP]",4],"cls":["[CLS]",3],"trim_offsets":false})");
  EXPECT_EQ(roberta.encode_pair("a", "b").ids, (std::vector<int32_t>{3, 1, 4, 4, 2, 4}));
  EXPECT_EQ(roberta.encode_pair("a", "b").type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0}));
}

TEST(Decoders, MetaspaceByteFallbackFuseStripReplaceCtc) {
  auto mk = [](const std::string& dec, const std::string& vocab) {
    return Tokenizer::from_json(
        R"({"added_tokens":[],"model":{"type":"WordLevel","unk_token":"<unk>","vocab":)" + vocab +
        R"(},"decoder":)" + dec + "}");
  };
  std::string v = R"({"<unk>":0,"\u2581hi":1,"\u2581there":2,"<0xC3>":3,"<0xA9>":4,"x":5,"|":6,"<pad>":7})";
  EXPECT_EQ(mk(R"({"type":"Metaspace","replacement":"\u2581","prepend_scheme":"always"})", v)
                .decode({1, 2}),
            "hi there");
  EXPECT_EQ(mk(R"({"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]})", v).decode({5, 3, 4, 5}),
            "x\u00e9x");
  EXPECT_EQ(mk(R"({"type":"ByteFallback"})", v).decode({3, 5}), "\ufffdx");  // invalid alone → U+FFFD per byte
  EXPECT_EQ(mk(R"({"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"\u2581"},"content":" "},
                  {"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]})", v)
                .decode({1, 2}),
            "hi there");
  EXPECT_EQ(mk(R"({"type":"CTC","pad_token":"<pad>","word_delimiter_token":"|","cleanup":true})", v)
                .decode({5, 5, 7, 5, 6, 5}),
            "xx x");
}

// ---- added tokens ----

TEST(AddedTokens, LongestFirstLstripRstripSingleWord) {
  auto t = Tokenizer::from_json(R"({"added_tokens":[
      {"id":10,"content":"<a>","special":true,"normalized":false},
      {"id":11,"content":"<a><b>","special":true,"normalized":false},
      {"id":12,"content":"[M]","lstrip":true,"normalized":false,"special":true},
      {"id":13,"content":"cat","single_word":true,"normalized":false}],
    "pre_tokenizer":{"type":"WhitespaceSplit"},
    "model":{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0,"x":1,"cats":2}}})");
  EXPECT_EQ(t.encode("x<a><b>x").ids, (std::vector<int32_t>{1, 11, 1}));
  auto e = t.encode("x  [M]");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 12}));
  EXPECT_EQ(e.tokens[1], "  [M]");  // the absorbed spaces are part of the token string
  EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{1, 6}));
  EXPECT_EQ(t.encode("cats cat").ids, (std::vector<int32_t>{2, 13}));  // "cat" inside "cats" is no match
  EXPECT_EQ(t.decode({1, 10, 1}, true), "x x");
}

TEST(AddedTokens, AddTokensAndSaveRoundTrip) {
  auto t = Tokenizer::from_json(R"({"added_tokens":[],"pre_tokenizer":{"type":"WhitespaceSplit"},
    "model":{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0,"x":1}}})");
  EXPECT_EQ(t.add_tokens({{"hello", false, false, false, true, false}}), 1u);
  EXPECT_EQ(t.add_special_tokens({"<eos>"}), 1u);
  EXPECT_EQ(t.token_to_id("hello"), 2);
  EXPECT_EQ(t.token_to_id("<eos>"), 3);
  EXPECT_EQ(t.vocab_size(), 4u);
  auto dir = transformers::testing::temp_dir("tok_save");
  t.save(dir / "tokenizer.json");
  auto u = Tokenizer::from_file(dir / "tokenizer.json");
  EXPECT_EQ(u.encode("x hello<eos>").ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(u.decode({1, 3}, true), "x");
}

// ---- truncation and padding ----

TEST(Api, TruncationWithStrideAndPadding) {
  auto t = word_level(R"({"<unk>":0,"a":1,"b":2,"c":3,"d":4,"[PAD]":5})", "null", R"({"type":"WhitespaceSplit"})");
  transformers::tok::TruncationParams tp;
  tp.max_length = 3;
  tp.stride = 1;
  t.set_truncation(tp);
  auto e = t.encode("a b c d");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 2, 3}));
  ASSERT_EQ(e.overflowing.size(), 1u);
  EXPECT_EQ(e.overflowing[0].ids, (std::vector<int32_t>{3, 4}));  // one token of overlap
  transformers::tok::PaddingParams pp;
  pp.pad_id = 5;
  pp.direction = transformers::tok::Direction::Left;
  t.set_padding(pp);
  t.set_truncation(std::nullopt);
  auto b = t.encode_batch({"a", "a b c"}, true, 2);
  EXPECT_EQ(b[0].ids, (std::vector<int32_t>{5, 5, 1}));
  EXPECT_EQ(b[0].attention_mask, (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(b[1].ids, (std::vector<int32_t>{1, 2, 3}));
}

// ---- malformed input ----

TEST(Malformed, ErrorsNameTheBadField) {
  auto expect_error = [](const std::string& json, const std::string& needle) {
    try {
      Tokenizer::from_json(json);
      ADD_FAILURE() << "no error for " << json;
    } catch (const transformers::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("{", "invalid JSON");
  expect_error(R"({"added_tokens":[]})", "model");
  expect_error(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":["a"]}})", "merges");
  expect_error(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}})", "merge 0");
  expect_error(R"({"model":{"type":"BPE","vocab":{"a":"zero"},"merges":[]}})", "vocab");
  expect_error(R"({"model":{"type":"Nope"}})", "unknown model type");
  expect_error(R"({"normalizer":{"type":"Bogus"},"model":{"type":"WordLevel","vocab":{}}})", "normalizer");
  expect_error(R"({"pre_tokenizer":{"type":"Split","pattern":{"Regex":"("},"behavior":"Isolated"},)"
               R"("model":{"type":"WordLevel","vocab":{}}})",
               "invalid regex");
  expect_error(R"({"pre_tokenizer":{"type":"Split","pattern":{"String":"x"},"behavior":"Sideways"},)"
               R"("model":{"type":"WordLevel","vocab":{}}})",
               "behavior");
  expect_error(R"({"model":{"type":"Unigram","vocab":[["a"]]}})", "vocab");
  expect_error(R"({"added_tokens":[{"content":"x"}],"model":{"type":"WordLevel","vocab":{}}})", "added_tokens");
}

TEST(Malformed, InvalidUtf8IsReplacedNotCrashed) {
  auto t = bpe("", R"({"a":0,"ï":1,"¿":2,"½":3})", "[]", R"({"type":"ByteLevel","add_prefix_space":false})",
               R"({"type":"ByteLevel"})");
  // 0xFF is ill-formed: it becomes U+FFFD (EF BF BD in UTF-8), three byte-level symbols.
  auto e = t.encode(std::string("a\xFF", 2));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(t.decode(e.ids), "a\ufffd");
  EXPECT_EQ(transformers::tok::unicode::to_valid_utf8(std::string("\xE2\x82", 2)), "\ufffd");  // truncated sequence
  EXPECT_EQ(transformers::tok::unicode::to_valid_utf8(std::string("\xC0\xAF", 2)), "\ufffd\ufffd");  // overlong
}

TEST(Api, CleanUpTokenization) {
  EXPECT_EQ(transformers::tok::clean_up_tokenization("a , b . c ' d do n't I 'm"), "a, b. c'd don't I'm");
}
