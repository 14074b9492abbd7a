// Legacy folders (no tokenizer.json) converted on load as transformers does.
// - The four fixture tokenizers that ship their legacy files (gpt2: vocab.json + merges.txt,
//   bert_base_uncased: vocab.txt, albert_base_v2: spiece.model, llama2: tokenizer.model) are copied
//   without their tokenizer.json; the converted tokenizer must pass that fixture's cases.jsonl
//   (Hugging Face's values) and equal the tokenizer.json Hugging Face's converter wrote.
// - Sentencepiece models trained here with libsentencepiece's trainer: ids equal sentencepiece's
//   own encoding (the library is the oracle).
// - Small hand-written folders: class defaults, merges.txt reading, RoBERTa and T5 layouts.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "support/fixtures.h"
#include "tokenizers/fixture_cases.h"
#include "transformers/core/error.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;
using transformers::tok::AutoTokenizer;
using transformers::tok::PreTrainedTokenizer;
using Ids = std::vector<int32_t>;

namespace {

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// A copy of fixture `name` without tokenizer.json.
fs::path legacy_copy(const std::string& name, const std::vector<std::string>& files) {
  fs::path src = transformers::testing::shared_path("fixtures/tokenizers/" + name);
  fs::path dst = transformers::testing::temp_dir("legacy_" + name);
  for (const std::string& f : files) fs::copy_file(src / f, dst / f, fs::copy_options::overwrite_existing);
  for (const char* f : {"tokenizer_config.json", "special_tokens_map.json"})
    if (fs::exists(src / f)) fs::copy_file(src / f, dst / f, fs::copy_options::overwrite_existing);
  return dst;
}

// tokenizer.json with the merges in one form ([a, b] pairs) and the null/"" affixes equal, so two
// writers' equivalent files compare equal.
json canonical(json j) {
  auto& m = j["model"];
  if (m.contains("merges"))
    for (auto& e : m["merges"])
      if (e.is_string()) {
        std::string s = e;
        auto sp = s.find(' ');
        e = json::array({s.substr(0, sp), s.substr(sp + 1)});
      }
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(k) && m[k].is_null()) m[k] = "";
  return j;
}

struct LegacyCase {
  const char* name;
  std::vector<std::string> files;
};

class LegacyFixtureTest : public ::testing::TestWithParam<LegacyCase> {};

TEST_P(LegacyFixtureTest, ConvertedTokenizerPassesTheFixtureCases) {
  TFM_SKIP_WITHOUT_SHARED();
  const LegacyCase& c = GetParam();
  fs::path dir = legacy_copy(c.name, c.files);
  ASSERT_FALSE(fs::exists(dir / "tokenizer.json"));
  PreTrainedTokenizer tok = AutoTokenizer::from_pretrained(dir);
  size_t total = 0;
  fs::path cases = transformers::testing::shared_path(std::string("fixtures/tokenizers/") + c.name) / "cases.jsonl";
  auto failures = transformers::tok::testing::run_cases(tok, cases, total);
  std::cout << "[legacy] " << c.name << ": " << (total - failures.size()) << "/" << total << " cases pass\n";
  for (size_t i = 0; i < failures.size() && i < 8; ++i) ADD_FAILURE() << failures[i];
  EXPECT_EQ(failures.size(), 0u);
  EXPECT_EQ(total, 180u);
}

TEST_P(LegacyFixtureTest, ConversionEqualsHuggingFacesTokenizerJson) {
  TFM_SKIP_WITHOUT_SHARED();
  const LegacyCase& c = GetParam();
  fs::path dir = legacy_copy(c.name, c.files);
  auto conv = transformers::tok::convert_legacy_tokenizer(
      dir, transformers::testing::read_file(dir / "tokenizer_config.json"));
  json got = canonical(json::parse(conv.tokenizer_json));
  json want = canonical(json::parse(transformers::testing::read_file(
      transformers::testing::shared_path(std::string("fixtures/tokenizers/") + c.name) / "tokenizer.json")));
  for (const char* k : {"added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder"})
    EXPECT_EQ(got[k], want[k]) << k << "\n got: " << got[k].dump().substr(0, 600)
                               << "\nwant: " << want[k].dump().substr(0, 600);
  for (auto& [k, v] : want["model"].items()) {
    if (k == "merges" && v != got["model"][k]) {
      // Name the first differing merge rather than dumping 60k of them.
      const json& g = got["model"][k];
      size_t i = 0;
      while (i < v.size() && i < g.size() && v[i] == g[i]) ++i;
      ADD_FAILURE() << "merges differ at " << i << " of " << v.size() << "/" << g.size() << ": got "
                    << (i < g.size() ? g[i].dump() : "-") << " want " << (i < v.size() ? v[i].dump() : "-");
    } else if (k != "merges") {
      EXPECT_EQ(got["model"][k], v) << "model." << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Legacy, LegacyFixtureTest,
                         ::testing::Values(LegacyCase{"gpt2", {"vocab.json", "merges.txt"}},
                                           LegacyCase{"bert_base_uncased", {"vocab.txt"}},
                                           LegacyCase{"albert_base_v2", {"spiece.model"}},
                                           LegacyCase{"llama2", {"tokenizer.model"}}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- sentencepiece models trained here; sentencepiece's own encoding is the oracle ----

const char* kCorpus =
    "The quick brown fox jumps over the lazy dog.\n"
    "Sphinx of black quartz, judge my vow!\n"
    "Pack my box with five dozen liquor jugs; the five boxing wizards jump quickly.\n"
    "How vexingly quick daft zebras jump. The jay, pig, fox, zebra and my wolves quack!\n"
    "Waltz, bad nymph, for quick jigs vex. Glib jocks quiz nymph to vex dwarf.\n"
    "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.\n"
    "Portez ce vieux whisky au juge blond qui fume. Voix ambiguë d'un cœur qui au zéphyr préfère les jattes de kiwis.\n"
    "El veloz murciélago hindú comía feliz cardillo y kiwi. 1234 5678 90.\n";

// Trains a model from kCorpus repeated (`extra`: trainer flags); returns the .model path.
fs::path train(const std::string& name, const std::string& extra) {
  fs::path dir = transformers::testing::temp_dir("spm_" + name);
  std::string corpus;
  for (int i = 0; i < 20; ++i) corpus += kCorpus;
  write(dir / "corpus.txt", corpus);
  std::string args = "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "m").string() +
                     " --num_threads=1 --minloglevel=2 " + extra;
  auto st = sentencepiece::SentencePieceTrainer::Train(args);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return dir / "m.model";
}

const std::vector<std::string> kTexts = {
    "The quick brown fox.", "jumps over the lazy dog", "Zwölf Boxkämpfer über Deich", "vex quartz 1234",
    "unseen: Ωμέγα and 漢字 and emoji 🙂", "a b c d e f g", "judge my vow, wizards!", "x"};

TEST(LegacySentencepiece, LlamaStyleBpeWithByteFallbackMatchesSentencepiece) {
  // Llama's settings: BPE, byte fallback, no normalization rule, spaces kept as they are.
  fs::path model = train(
      "bpe",
      "--model_type=bpe --vocab_size=400 --byte_fallback=true --normalization_rule_name=identity "
      "--remove_extra_whitespaces=false --split_digits=true");
  fs::path dir = model.parent_path() / "folder";
  fs::create_directories(dir);
  fs::copy_file(model, dir / "tokenizer.model", fs::copy_options::overwrite_existing);
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer", "add_bos_token": false})");
  auto tok = AutoTokenizer::from_pretrained(dir);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(model.string()).ok());
  for (const std::string& t : kTexts) {
    std::vector<int> want;
    ASSERT_TRUE(sp.Encode(t, &want).ok());
    EXPECT_EQ(tok.encode_ids(t), Ids(want.begin(), want.end())) << t;
    EXPECT_EQ(tok.decode(tok.encode_ids(t)), t);
  }
  // With the default add_bos_token the post-processor puts <s> (id 1) first.
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer"})");
  auto with_bos = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(with_bos.encode_ids("x").front(), 1);
  EXPECT_EQ(with_bos.bos_token, "<s>");
}

TEST(LegacySentencepiece, UnigramWithPrecompiledCharsmapMatchesSentencepiece) {
  // Default sentencepiece training: Unigram with the nmt_nfkc charsmap (as T5, ALBERT, XLM-R).
  fs::path model = train("unigram", "--model_type=unigram --vocab_size=120");
  fs::path dir = model.parent_path() / "folder";
  fs::create_directories(dir);
  fs::copy_file(model, dir / "spiece.model", fs::copy_options::overwrite_existing);
  auto tok = AutoTokenizer::from_pretrained(dir);  // no tokenizer_config.json: generic converter
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(model.string()).ok());
  // NFKC through the charsmap: the full-width letters fold like sentencepiece folds them.
  std::vector<std::string> texts = kTexts;
  texts.push_back("\uff34\uff48\uff45 fox");
  for (const std::string& t : texts) {
    std::vector<int> want;
    ASSERT_TRUE(sp.Encode(t, &want).ok());
    EXPECT_EQ(tok.encode_ids(t), Ids(want.begin(), want.end())) << t;
  }
}

TEST(LegacySentencepiece, T5AddsExtraIdsAndEos) {
  fs::path model = train("t5", "--model_type=unigram --vocab_size=120 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1");
  fs::path dir = model.parent_path() / "folder";
  fs::create_directories(dir);
  fs::copy_file(model, dir / "spiece.model", fs::copy_options::overwrite_existing);
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "T5Tokenizer", "extra_ids": 3})");
  auto tok = AutoTokenizer::from_pretrained(dir);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(model.string()).ok());
  int n = sp.GetPieceSize();
  // Extra ids follow the pieces in reverse: <extra_id_2> first.
  EXPECT_EQ(tok.convert_token_to_id("<extra_id_2>"), n);
  EXPECT_EQ(tok.convert_token_to_id("<extra_id_0>"), n + 2);
  std::vector<int> want;
  ASSERT_TRUE(sp.Encode("quick fox", &want).ok());
  want.push_back(1);  // </s>
  EXPECT_EQ(tok.encode_ids("quick fox"), Ids(want.begin(), want.end()));
  // The extra ids are special added tokens, matched whole in text.
  Ids ids = tok.encode_ids("fox<extra_id_0>", false);
  EXPECT_EQ(ids.back(), n + 2);
  EXPECT_EQ(tok.decode(ids, true), "fox");
}

TEST(LegacySentencepiece, XlmRobertaReordersSpecialsAndShiftsPieces) {
  // sentencepiece's defaults put <unk> <s> </s> at 0 1 2; XLM-R's vocabulary is <s> <pad> </s>
  // <unk>, then the pieces from id 3 on shifted by one, then <mask>.
  fs::path model = train("xlmr", "--model_type=unigram --vocab_size=120");
  fs::path dir = model.parent_path() / "folder";
  fs::create_directories(dir);
  fs::copy_file(model, dir / "sentencepiece.bpe.model", fs::copy_options::overwrite_existing);
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "XLMRobertaTokenizer"})");
  auto tok = AutoTokenizer::from_pretrained(dir);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(model.string()).ok());
  int n = sp.GetPieceSize();
  EXPECT_EQ(tok.convert_token_to_id("<pad>"), 1);
  EXPECT_EQ(tok.convert_token_to_id("<unk>"), 3);
  EXPECT_EQ(tok.convert_token_to_id("<mask>"), n + 1);
  std::vector<int> a, b;
  ASSERT_TRUE(sp.Encode("quick fox", &a).ok());
  ASSERT_TRUE(sp.Encode("lazy dog", &b).ok());
  Ids want{0};
  for (int id : a) want.push_back(id + 1);
  want.insert(want.end(), {2, 2});
  for (int id : b) want.push_back(id + 1);
  want.push_back(2);
  EXPECT_EQ(tok.encode("quick fox", "lazy dog").input_ids[0], want);
}

// ---- small hand-written folders ----

TEST(LegacyVocabTxt, BertDefaultsWithoutConfig) {
  fs::path dir = transformers::testing::temp_dir("legacy_vocab_txt");
  // ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 hello=5 world=6 ##s=7 un=8 ##aff=9 ##able=10
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\nun\n##aff\n##able\n");
  auto tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.tokenizer_class, "BertTokenizer");
  // BertTokenizer's defaults: lowercase, [CLS] ... [SEP], WordPiece with ##.
  EXPECT_EQ(tok.encode_ids("Hello Worlds unaffable"), (Ids{2, 5, 6, 7, 8, 9, 10, 3}));
  EXPECT_EQ(tok.encode_ids("hello?"), (Ids{2, 5, 1, 3}));
  auto pair = tok.encode("hello", "world");
  EXPECT_EQ(pair.input_ids[0], (Ids{2, 5, 3, 6, 3}));
  EXPECT_EQ(pair.token_type_ids[0], (Ids{0, 0, 0, 1, 1}));
  EXPECT_EQ(tok.cls_token, "[CLS]");
  EXPECT_EQ(tok.pad_token_id(), 0);
  EXPECT_EQ(tok.decode(Ids{2, 8, 9, 10, 3}, true), "unaffable");
  // BertTokenizer cleans up tokenization spaces unless tokenizer_config.json says otherwise.
  EXPECT_TRUE(tok.clean_up_tokenization_spaces);
  // [MASK] is a special added token: matched whole, not lowercased.
  EXPECT_EQ(tok.encode_ids("hello [MASK]", false), (Ids{5, 4}));
}

TEST(LegacyVocabTxt, CasedConfigKeepsCase) {
  fs::path dir = transformers::testing::temp_dir("legacy_vocab_txt_cased");
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nHello\nhello\n");
  write(dir / "tokenizer_config.json", R"({"do_lower_case": false, "tokenizer_class": "BertTokenizerFast"})");
  auto tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.encode_ids("Hello hello", false), (Ids{5, 6}));
}

TEST(LegacyVocabTxt, ChatTemplateFileWinsOverTheConfigsTemplate) {
  // HF's from_pretrained: chat_template.jinja clobbers tokenizer_config.json's chat_template.
  fs::path dir = transformers::testing::temp_dir("chat_template_precedence");
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n");
  write(dir / "tokenizer_config.json", R"({"chat_template": "from config"})");
  EXPECT_EQ(AutoTokenizer::from_pretrained(dir).chat_template(), std::optional<std::string>("from config"));
  write(dir / "chat_template.jinja", "from file");
  EXPECT_EQ(AutoTokenizer::from_pretrained(dir).chat_template(), std::optional<std::string>("from file"));
}

// A byte-level vocabulary over "a", "b", "c", "Ġ" and their merges: "Ġa" is 'Ġ' 'a' merged.
const char* kByteVocab = R"({"a":0,"b":1,"c":2,"\u0120":3,"ab":4,"\u0120a":5,"\u0120ab":6,"abc":7,"<|endoftext|>":8})";

TEST(LegacyVocabJson, Gpt2MergesFileReading) {
  fs::path dir = transformers::testing::temp_dir("legacy_vocab_json");
  write(dir / "vocab.json", kByteVocab);
  // The first line is always dropped (the "#version" header), a repeated pair keeps its first rank,
  // CRLF line ends are whitespace.
  write(dir / "merges.txt", "#version: 0.2\r\n\u0120 a\r\na b\r\n\u0120a b\r\nab c\r\na b\r\n");
  auto tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.tokenizer_class, "GPT2Tokenizer");
  EXPECT_EQ(tok.encode_ids("abc ab"), (Ids{7, 6}));
  EXPECT_EQ(tok.decode(Ids{7, 6}), "abc ab");
  // <|endoftext|> is GPT-2's default bos/eos/unk and a special added token.
  EXPECT_EQ(tok.encode_ids("ab<|endoftext|>"), (Ids{4, 8}));
  EXPECT_EQ(tok.eos_token_id(), 8);
  write(dir / "merges.txt", "#version: 0.2\na b c\n\n");
  EXPECT_THROW(AutoTokenizer::from_pretrained(dir), transformers::Error);
}

TEST(LegacyVocabJson, RobertaProcessingAndLstripMask) {
  fs::path dir = transformers::testing::temp_dir("legacy_roberta");
  write(dir / "vocab.json",
        R"({"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"a":4,"b":5,"\u0120":6,"\u0120a":7,"ab":8,"\u0120ab":9,"<mask>":10})");
  write(dir / "merges.txt", "#version: 0.2\n\u0120 a\na b\n\u0120a b\n");
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "RobertaTokenizer"})");
  auto tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.encode_ids("ab ab"), (Ids{0, 8, 9, 2}));
  EXPECT_EQ(tok.encode("ab", "a").input_ids[0], (Ids{0, 8, 2, 2, 4, 2}));
  // <mask> takes the space before it (lstrip), so " <mask>" is the one token.
  EXPECT_EQ(tok.encode_ids("ab <mask>", false), (Ids{8, 10}));
}

TEST(LegacyErrors, MissingFilesAndBadModel) {
  fs::path dir = transformers::testing::temp_dir("legacy_empty");
  try {
    AutoTokenizer::from_pretrained(dir);
    ADD_FAILURE() << "no error for an empty folder";
  } catch (const transformers::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer.json"), std::string::npos) << e.what();
  }
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "BertTokenizer"})");
  EXPECT_THROW(AutoTokenizer::from_pretrained(dir), transformers::Error);
  fs::remove(dir / "tokenizer_config.json");
  write(dir / "tokenizer.model", "not a protobuf at all");
  try {
    AutoTokenizer::from_pretrained(dir);
    ADD_FAILURE() << "no error for a bad .model";
  } catch (const transformers::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
  }
}

}  // namespace

// transformers' _from_pretrained: special_tokens_map.json overrides tokenizer_config.json key by
// key (and adds its additional_special_tokens after the config's) only when the config has no
// added_tokens_decoder; a config with one (every save since 4.34) is read alone. Checked on a
// tokenizer.json folder and on a legacy vocab.txt folder; BERT has no default eos_token, so an
// eos_token can only come from the files.
TEST(SpecialTokenFiles, SpecialTokensMapOverridesOnlyConfigsWithoutAddedTokensDecoder) {
  TFM_SKIP_WITHOUT_SHARED();
  const std::string map = R"({"bos_token": "[SEP]", "eos_token": {"content": "[MASK]"},
                              "additional_special_tokens": ["[B]", "[A]"]})";
  for (bool with_tokenizer_json : {true, false}) {
    fs::path dir = transformers::testing::temp_dir(with_tokenizer_json ? "special_map_fast" : "special_map_legacy");
    const fs::path bert = transformers::testing::shared_path("fixtures/tokenizers/bert_base_uncased");
    if (with_tokenizer_json)
      fs::copy_file(bert / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing);
    else
      fs::copy_file(bert / "vocab.txt", dir / "vocab.txt", fs::copy_options::overwrite_existing);
    write(dir / "special_tokens_map.json", map);
    const std::string what = with_tokenizer_json ? "tokenizer.json" : "vocab.txt";

    write(dir / "tokenizer_config.json", R"({"bos_token": "[CLS]", "additional_special_tokens": ["[A]"]})");
    PreTrainedTokenizer old_style = AutoTokenizer::from_pretrained(dir);
    EXPECT_EQ(old_style.bos_token, "[SEP]") << what;
    EXPECT_EQ(old_style.eos_token, "[MASK]") << what;
    EXPECT_EQ(old_style.additional_special_tokens, (std::vector<std::string>{"[A]", "[B]"})) << what;

    write(dir / "tokenizer_config.json",
          R"({"bos_token": "[CLS]", "additional_special_tokens": ["[A]"], "added_tokens_decoder": {}})");
    PreTrainedTokenizer new_style = AutoTokenizer::from_pretrained(dir);
    EXPECT_EQ(new_style.bos_token, "[CLS]") << what;
    EXPECT_EQ(new_style.eos_token, std::nullopt) << what;
    EXPECT_EQ(new_style.additional_special_tokens, (std::vector<std::string>{"[A]"})) << what;
  }
}

// A tokenizer.json folder whose tokenizer_config.json is bare, as bert-base-uncased's
// ({"do_lower_case": true}) and roberta-base's (none at all) are on the Hub: the fast class's
// __init__ defaults fill the special tokens, the class taken from tokenizer_class or else from
// config.json's model_type (AutoTokenizer's mapping). An explicit null stays unset.
TEST(SpecialTokenFiles, BareConfigTakesTheFastClassDefaults) {
  TFM_SKIP_WITHOUT_SHARED();
  fs::path dir = transformers::testing::temp_dir("bare_bert_config");
  const fs::path bert = transformers::testing::shared_path("fixtures/tokenizers/bert_base_uncased");
  fs::copy_file(bert / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing);
  write(dir / "tokenizer_config.json", R"({"do_lower_case": true})");
  write(dir / "config.json", R"({"model_type": "bert"})");
  PreTrainedTokenizer tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(tok.mask_token, "[MASK]");
  EXPECT_EQ(tok.cls_token, "[CLS]");
  EXPECT_EQ(tok.sep_token, "[SEP]");
  EXPECT_EQ(tok.unk_token, "[UNK]");
  EXPECT_EQ(tok.pad_token_id(), 0);  // "[PAD]" in bert-base-uncased's vocabulary
  EXPECT_EQ(tok.bos_token, std::nullopt);  // BertTokenizerFast has none

  // tokenizer_class wins over model_type; a null in the config is kept.
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "RobertaTokenizerFast", "pad_token": null})");
  PreTrainedTokenizer roberta = AutoTokenizer::from_pretrained(dir);
  EXPECT_EQ(roberta.mask_token, "<mask>");
  EXPECT_EQ(roberta.bos_token, "<s>");
  EXPECT_EQ(roberta.pad_token, std::nullopt);

  // Neither a class nor a known model type: nothing is invented.
  write(dir / "tokenizer_config.json", "{}");
  write(dir / "config.json", R"({"model_type": "modernbert"})");
  EXPECT_EQ(AutoTokenizer::from_pretrained(dir).mask_token, std::nullopt);
}

// The special-token attributes by name: add_special_tokens sets them (an unknown name throws),
// all_special_tokens lists them in SPECIAL_TOKENS_ATTRIBUTES order (bos, eos, unk, sep, pad, cls,
// mask), then the additional ones, each once; save_pretrained writes each set one to both files,
// and AutoTokenizer reads them back.
TEST(SpecialTokenFiles, AttributesByNameRoundTripThroughSavePretrained) {
  TFM_SKIP_WITHOUT_SHARED();
  fs::path dir = transformers::testing::temp_dir("special_attributes");
  const fs::path bert = transformers::testing::shared_path("fixtures/tokenizers/bert_base_uncased");
  fs::copy_file(bert / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing);
  write(dir / "tokenizer_config.json", "{}");  // no class: no defaults
  PreTrainedTokenizer tok = AutoTokenizer::from_pretrained(dir);
  EXPECT_TRUE(tok.all_special_tokens().empty());
  tok.add_special_tokens({{"mask_token", {"[MASK]"}},
                          {"eos_token", {"[SEP]"}},
                          {"bos_token", {"[CLS]"}},
                          {"additional_special_tokens", {"<x>", "[CLS]"}}});
  EXPECT_EQ(tok.bos_token, "[CLS]");
  EXPECT_EQ(tok.eos_token, "[SEP]");
  EXPECT_EQ(tok.mask_token, "[MASK]");
  EXPECT_EQ(tok.pad_token, std::nullopt);
  EXPECT_EQ(tok.all_special_tokens(), (std::vector<std::string>{"[CLS]", "[SEP]", "[MASK]", "<x>"}));
  EXPECT_THROW(tok.add_special_tokens({{"start_token", {"[UNK]"}}}), transformers::Error);

  tok.save_pretrained(dir / "saved");
  json map = json::parse(transformers::testing::read_file(dir / "saved" / "special_tokens_map.json"));
  EXPECT_EQ(map, json::parse(R"({"bos_token": "[CLS]", "eos_token": "[SEP]", "mask_token": "[MASK]",
                                 "additional_special_tokens": ["<x>", "[CLS]"]})"));
  PreTrainedTokenizer back = AutoTokenizer::from_pretrained(dir / "saved");
  EXPECT_EQ(back.bos_token, "[CLS]");
  EXPECT_EQ(back.eos_token, "[SEP]");
  EXPECT_EQ(back.mask_token, "[MASK]");
  EXPECT_EQ(back.unk_token, std::nullopt);
  EXPECT_EQ(back.additional_special_tokens, (std::vector<std::string>{"<x>", "[CLS]"}));
}
