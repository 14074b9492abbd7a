// UnicodeScripts: pieces end where the script changes. Expectations follow Hugging Face's rules by
// hand (its fixed_script and split loop): Hiragana and Katakana count as Han, Hangul does not;
// the space and code points unassigned in Unicode 9.0 are "Any" and never start a piece; Any
// characters before the first scripted one are dropped. The first two cases are the examples
// of Hugging Face's own unit tests.
#include <gtest/gtest.h>

#include "transformers/tokenizers/pre_tokenizers/pre_tokenizers.h"
#include "transformers/tokenizers/pre_tokenizers/unicode_scripts_table.h"
#include "transformers/tokenizers/tokenizer.h"

using transformers::tok::Tokenizer;
using Offsets = std::vector<std::pair<size_t, size_t>>;

namespace {

// Every piece becomes one <unk> of a WordLevel model with an empty vocabulary: the token offsets
// are the pieces' spans (in code points).
Offsets pieces(const std::string& text) {
  static const Tokenizer t = Tokenizer::from_json(
      R"({"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"UnicodeScripts"},"post_processor":null,)"
      R"("decoder":null,"model":{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0}}})");
  return t.encode(text, false).offsets;
}

}  // namespace

TEST(UnicodeScripts, HuggingFaceExamples) {
  EXPECT_EQ(pieces("どこで生れ。Yes"), (Offsets{{0, 5}, {5, 6}, {6, 9}}));
  EXPECT_EQ(pieces("Apples are りんご 林檎"), (Offsets{{0, 11}, {11, 17}}));
}

TEST(UnicodeScripts, CommonInheritedAndHangulAreScriptsOfTheirOwn) {
  EXPECT_EQ(pieces("ab12"), (Offsets{{0, 2}, {2, 4}}));              // Latin | Common
  EXPECT_EQ(pieces("e\u0301x"), (Offsets{{0, 1}, {1, 2}, {2, 3}}));  // Latin | Inherited | Latin
  EXPECT_EQ(pieces("漢字한국"), (Offsets{{0, 2}, {2, 4}}));          // Han | Hangul
  EXPECT_EQ(pieces("カナー漢"), (Offsets{{0, 4}}));                  // Katakana, U+30FC and Han: all Han
  EXPECT_EQ(pieces("ab ."), (Offsets{{0, 3}, {3, 4}}));              // the space joins the piece before
}

TEST(UnicodeScripts, EveryScriptIsItsOwn) {
  // Scripts beyond the major ones are told apart too: Tifinagh | Ogham | Adlam | Tangut.
  EXPECT_EQ(pieces("\u2D30\u1681\U0001E900\U00017000"), (Offsets{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(pieces("Ωa"), (Offsets{{0, 1}, {1, 2}}));  // Greek | Latin
  // Scripts added after Unicode 9.0 (Wancho, 12.0) and newer emoji (U+1F970, 11.0) are Any.
  EXPECT_EQ(pieces("a\U0001E2C0b"), (Offsets{{0, 3}}));
  EXPECT_EQ(pieces("a\U0001F970"), (Offsets{{0, 2}}));
  EXPECT_EQ(pieces("a\U0001F600"), (Offsets{{0, 1}, {1, 2}}));  // U+1F600 (6.1) is Common
}

TEST(UnicodeScripts, LeadingAnyIsDropped) {
  EXPECT_EQ(pieces("  ab"), (Offsets{{2, 4}}));
  EXPECT_EQ(pieces("   "), (Offsets{}));
}

TEST(UnicodeScripts, TableSpotChecks) {
  namespace us = transformers::tok::unicode_scripts;
  using transformers::tok::unicode_script;
  auto name = [](char32_t c) { return std::string(us::kScriptNames[unicode_script(c)]); };
  EXPECT_EQ(name('a'), "Latin");
  EXPECT_EQ(name('0'), "Common");
  EXPECT_EQ(name(' '), "Any");
  EXPECT_EQ(name(0x0589), "Common");      // ARMENIAN FULL STOP: Common in Unicode 9.0
  EXPECT_EQ(name(0x0531), "Armenian");
  EXPECT_EQ(name(0x0E01), "Thai");
  EXPECT_EQ(name(0x3042), "Han");         // HIRAGANA LETTER A, folded into Han
  EXPECT_EQ(name(0xAC00), "Hangul");
  EXPECT_EQ(name(0x10FFFF), "Any");
  // The table is sorted and disjoint.
  for (size_t i = 1; i < std::size(us::kRanges); ++i) EXPECT_GT(us::kRanges[i].first, us::kRanges[i - 1].last);
}
