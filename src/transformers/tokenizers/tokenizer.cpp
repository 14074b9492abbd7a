#include "transformers/tokenizers/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/file_util.h"
#include "transformers/tokenizers/added_vocabulary.h"
#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/models/models.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

struct Tokenizer::Impl {
  std::string json_text;  // the source, kept for to_json()
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  std::vector<std::pair<int32_t, AddedToken>> added_at_runtime;
  std::optional<TruncationParams> truncation;
  std::optional<PaddingParams> padding;
  bool model_reads_bytes = false;  // BPE maps byte-level pieces itself (Note [Lazy byte-level])

  Encoding encode_single(std::string_view text, int32_t type_id, int32_t seq_id) const;
  // `truncation` / `padding`: this call's settings (null = none).
  Encoding post_process(Encoding a, std::optional<Encoding> b, bool add_special, const TruncationParams* truncation,
                        const PaddingParams* padding) const;
  const TruncationParams* own_truncation() const { return truncation ? &*truncation : nullptr; }
  const PaddingParams* own_padding() const { return padding ? &*padding : nullptr; }
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  return from_owned_json(io::read_text_file(path), path.filename().string());
}

namespace {
AddedToken parse_added_token(const Json& j) {
  AddedToken t;
  t.content = std::string(j.at("content").str());
  t.single_word = j.bool_or("single_word", false);
  t.lstrip = j.bool_or("lstrip", false);
  t.rstrip = j.bool_or("rstrip", false);
  t.normalized = j.bool_or("normalized", true);
  t.special = j.bool_or("special", false);
  return t;
}
}  // namespace

Tokenizer Tokenizer::from_json(std::string_view json, const std::string& name) {
  return from_owned_json(std::string(json), name);
}

Tokenizer Tokenizer::from_owned_json(std::string&& json, const std::string& name) {
  Tokenizer tk;
  Impl& im = *tk.impl_;
  // The text stays as the source of to_json(); parsing it in place (spare capacity as simdjson's
  // padding) saves a copy of a file that can be tens of MB.
  im.json_text = std::move(json);
  im.json_text.reserve(im.json_text.size() + JsonDocument::kPadding);
  JsonDocument doc(im.json_text, name, true);
  Json root = doc.root();
  if (!root.is_object()) root.fail("expected a JSON object");
  if (auto n = root.get("normalizer")) im.normalizer = make_normalizer(*n);
  if (auto p = root.get("pre_tokenizer")) im.pre_tokenizer = make_pre_tokenizer(*p);
  im.model = make_model(root.at("model"));
  im.model_reads_bytes = dynamic_cast<BpeModel*>(im.model.get()) != nullptr;
  if (auto p = root.get("post_processor")) im.post_processor = make_post_processor(*p);
  if (auto d = root.get("decoder")) im.decoder = make_decoder(*d);
  if (auto a = root.get("added_tokens")) {
    for (const Json& t : a->items()) {
      int64_t id = t.at("id").integer();
      if (id < 0 || id > INT32_MAX) t.at("id").fail("out of range");
      im.added.add(parse_added_token(t), static_cast<uint32_t>(id), im.normalizer.get());
    }
  }
  if (auto t = root.get("truncation")) {
    TruncationParams p;
    p.max_length = static_cast<size_t>(t->int_or("max_length", 512));
    p.stride = static_cast<size_t>(t->int_or("stride", 0));
    std::string s = t->str_or("strategy", "LongestFirst");
    p.strategy = s == "OnlyFirst" ? TruncationParams::Strategy::OnlyFirst
                 : s == "OnlySecond" ? TruncationParams::Strategy::OnlySecond
                                     : TruncationParams::Strategy::LongestFirst;
    p.direction = t->str_or("direction", "Right") == "Left" ? Direction::Left : Direction::Right;
    im.truncation = p;
  }
  if (auto pd = root.get("padding")) {
    PaddingParams p;
    if (auto st = pd->get("strategy")) {
      if (st->is_object() && st->has("Fixed")) {
        p.strategy = PaddingParams::Strategy::Fixed;
        p.length = static_cast<size_t>(st->at("Fixed").integer());
      }
    }
    p.direction = pd->str_or("direction", "Right") == "Left" ? Direction::Left : Direction::Right;
    p.pad_to_multiple_of = static_cast<size_t>(pd->int_or("pad_to_multiple_of", 0));
    p.pad_id = static_cast<int32_t>(pd->int_or("pad_id", 0));
    p.pad_type_id = static_cast<int32_t>(pd->int_or("pad_type_id", 0));
    p.pad_token = pd->str_or("pad_token", "[PAD]");
    im.padding = p;
  }
  return tk;
}

namespace {
// Byte offsets of the input → code point offsets.
class CharOffsets {
 public:
  explicit CharOffsets(std::string_view s) {
    bool ascii = true;
    for (unsigned char c : s) ascii &= c < 0x80;
    if (ascii) return;
    map_.resize(s.size() + 1);
    uint32_t n = 0;  // characters that start before byte i
    for (size_t i = 0; i < s.size(); ++i) {
      map_[i] = n;
      if (!unicode::is_continuation(static_cast<unsigned char>(s[i]))) ++n;
    }
    map_[s.size()] = n;
  }
  size_t operator()(size_t byte) const { return map_.empty() ? byte : map_[byte]; }

 private:
  std::vector<uint32_t> map_;
};
}  // namespace

// Note [Word ids]
// Hugging Face numbers words by position in the list of pieces the input is cut into before the
// model runs (PreTokenizedString::into_encoding: each split's index). The added tokens found in
// the text cut it first, each becoming a piece of its own (so "Hi</s>there" is three words),
// then the pre-tokenizer cuts the pieces between them. A piece the model turns into several
// tokens gives them all one word, and a piece that yields no token still takes its number.
// Hugging Face drops every empty piece before that point (its added-token pass filters them), so
// empty pieces are not counted here either. Consequences worth knowing: without a pre-tokenizer
// (Llama 2 and Mistral's tokenizer.json, which prepend "▁" in the normalizer) or with one that
// finds nothing to split (Gemma 3 splits on " " after its normalizer has replaced every space)
// each input is one word; ByteLevel's words carry their leading space (" world"). Tokens added by
// the post-processor and padding have no word; the two inputs of a pair are numbered separately,
// and truncation keeps the numbers (an overflowing window's words do not restart at 0).
Encoding Tokenizer::Impl::encode_single(std::string_view raw, int32_t type_id, int32_t seq_id) const {
  std::string repaired;
  std::string_view text = raw;
  if (!unicode::is_valid_utf8(raw)) {
    repaired = unicode::to_valid_utf8(raw);
    text = repaired;
  }
  std::vector<Split> splits;
  splits.push_back(Split{NormalizedString(text, 0), false, {}});
  added.split_original(splits);
  if (normalizer)
    for (Split& s : splits)
      if (!s.done) normalizer->normalize(s.ns);
  added.split_normalized(splits);
  if (pre_tokenizer) pre_tokenizer->pre_tokenize(splits);
  Encoding e;
  CharOffsets chars(text);
  uint32_t word = 0;  // Note [Word ids]
  for (Split& s : splits) {
    if (!s.done) {
      if (s.ns.empty()) continue;
      if (s.ns.byte_level() && !model_reads_bytes) s.ns.materialize_byte_level();
      model->tokenize(s.ns, s.tokens);
    }
    for (Token& t : s.tokens) {
      Span sp = s.ns.to_original(t.start, t.end);
      e.ids.push_back(static_cast<int32_t>(t.id));
      e.tokens.push_back(std::move(t.value));
      e.offsets.emplace_back(chars(sp.start), chars(sp.end));
      e.word_ids.emplace_back(word);
    }
    ++word;
  }
  size_t n = e.ids.size();
  e.type_ids.assign(n, type_id);
  e.special_tokens_mask.assign(n, 0);
  e.attention_mask.assign(n, 1);
  e.sequence_ids.assign(n, seq_id);
  return e;
}

void truncate_encoding(Encoding& e, size_t max_len, size_t stride, Direction dir) {
  size_t len = e.size();
  if (max_len >= len) return;
  if (max_len == 0) {
    Encoding all = std::move(e);
    e = Encoding{};
    e.overflowing.push_back(std::move(all));
    return;
  }
  TFM_CHECK(stride < max_len, "[tokenizers] truncation stride (", stride, ") must be smaller than max_length (",
            max_len, ")");
  size_t step = max_len - stride;
  std::vector<std::pair<size_t, size_t>> parts;
  if (dir == Direction::Right) {
    for (size_t start = 0; start < len; start += step) {
      size_t stop = std::min(start + max_len, len);
      parts.emplace_back(start, stop);
      if (stop == len) break;
    }
  } else {
    for (size_t k = 0; k < len; k += step) {
      size_t stop = len - k;
      size_t start = stop > max_len ? stop - max_len : 0;
      parts.emplace_back(start, stop);
      if (start == 0) break;
    }
  }
  Encoding first = e.slice(parts[0].first, parts[0].second);
  for (size_t i = 1; i < parts.size(); ++i) first.overflowing.push_back(e.slice(parts[i].first, parts[i].second));
  e = std::move(first);
}

void pad_encoding(Encoding& e, size_t length, const PaddingParams& p) {
  for (auto& o : e.overflowing) pad_encoding(o, length, p);
  if (e.size() >= length) return;
  size_t n = length - e.size();
  auto pad = [&](auto& v, auto value) {
    if (p.direction == Direction::Right) v.insert(v.end(), n, value);
    else v.insert(v.begin(), n, value);
  };
  pad(e.ids, p.pad_id);
  pad(e.type_ids, p.pad_type_id);
  pad(e.tokens, p.pad_token);
  pad(e.offsets, std::pair<size_t, size_t>(0, 0));
  pad(e.special_tokens_mask, 1);
  pad(e.attention_mask, 0);
  pad(e.sequence_ids, -1);
  pad(e.word_ids, std::optional<uint32_t>());
}

namespace {
void truncate_pair(Encoding& a, std::optional<Encoding>& b, const TruncationParams& t, size_t max_length) {
  if (max_length == 0) {
    truncate_encoding(a, 0, t.stride, t.direction);
    if (b) truncate_encoding(*b, 0, t.stride, t.direction);
    return;
  }
  size_t total = a.size() + (b ? b->size() : 0);
  if (total <= max_length) return;
  size_t to_remove = total - max_length;
  if (t.strategy == TruncationParams::Strategy::LongestFirst) {
    if (!b) {
      truncate_encoding(a, total - to_remove, t.stride, t.direction);
      return;
    }
    size_t n1 = a.size(), n2 = b->size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    if (n1 > max_length) n2 = n1;
    else n2 = std::max(n1, max_length - n1);
    if (n1 + n2 > max_length) {
      n1 = max_length / 2;
      n2 = n1 + max_length % 2;
    }
    if (swap) std::swap(n1, n2);
    truncate_encoding(a, n1, t.stride, t.direction);
    truncate_encoding(*b, n2, t.stride, t.direction);
    return;
  }
  bool first = t.strategy == TruncationParams::Strategy::OnlyFirst;
  TFM_CHECK(first || b, "[tokenizers] truncation strategy only_second needs a text pair");
  Encoding& target = first ? a : *b;
  TFM_CHECK(target.size() > to_remove, "[tokenizers] cannot truncate: the ", first ? "first" : "second",
            " sequence has ", target.size(), " tokens but ", to_remove, " must be removed");
  truncate_encoding(target, target.size() - to_remove, t.stride, t.direction);
}
}  // namespace

Encoding Tokenizer::Impl::post_process(Encoding a, std::optional<Encoding> b, bool add_special,
                                       const TruncationParams* truncation, const PaddingParams* padding) const {
  if (truncation) {
    size_t n_added = post_processor ? post_processor->added_tokens(b.has_value()) : 0;
    size_t max_len = truncation->max_length;
    if (add_special && n_added > 0) max_len = max_len > n_added ? max_len - n_added : 0;
    truncate_pair(a, b, *truncation, max_len);
  }
  auto run = [&](Encoding x, std::optional<Encoding> y) {
    std::vector<Encoding> encs;
    encs.push_back(std::move(x));
    if (y) encs.push_back(std::move(*y));
    for (size_t i = 0; i < encs.size(); ++i) {
      encs[i].type_ids.assign(encs[i].size(), static_cast<int32_t>(i));
      encs[i].overflowing.clear();
    }
    if (post_processor) post_processor->process_encodings(encs, add_special);
    Encoding out;
    for (auto& e : encs) out.append(e);
    return out;
  };
  std::vector<Encoding> a_over = std::move(a.overflowing);
  std::vector<Encoding> b_over = b ? std::move(b->overflowing) : std::vector<Encoding>{};
  Encoding out = run(a, b);
  // Each overflowing window is post-processed like the main one (paired with the full other
  // sequence), as transformers returns them.
  for (auto& o : a_over) out.overflowing.push_back(run(o, b));
  for (auto& o : b_over) out.overflowing.push_back(run(a, o));
  if (padding && padding->strategy == PaddingParams::Strategy::Fixed) {
    size_t len = padding->length;
    if (padding->pad_to_multiple_of > 0 && len % padding->pad_to_multiple_of)
      len += padding->pad_to_multiple_of - len % padding->pad_to_multiple_of;
    pad_encoding(out, len, *padding);
  }
  return out;
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  Encoding a = impl_->encode_single(text, 0, 0);
  return impl_->post_process(std::move(a), std::nullopt, add_special_tokens, impl_->own_truncation(),
                             impl_->own_padding());
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens) const {
  Encoding a = impl_->encode_single(text, 0, 0);
  Encoding b = impl_->encode_single(pair, 1, 1);
  return impl_->post_process(std::move(a), std::move(b), add_special_tokens, impl_->own_truncation(),
                             impl_->own_padding());
}

namespace {
const TruncationParams* ptr(const std::optional<TruncationParams>& t) { return t ? &*t : nullptr; }
const PaddingParams* ptr(const std::optional<PaddingParams>& p) { return p ? &*p : nullptr; }
}  // namespace

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens, const EncodeSettings& s) const {
  Encoding a = impl_->encode_single(text, 0, 0);
  return impl_->post_process(std::move(a), std::nullopt, add_special_tokens, ptr(s.truncation), ptr(s.padding));
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens,
                                const EncodeSettings& s) const {
  Encoding a = impl_->encode_single(text, 0, 0);
  Encoding b = impl_->encode_single(pair, 1, 1);
  return impl_->post_process(std::move(a), std::move(b), add_special_tokens, ptr(s.truncation), ptr(s.padding));
}

namespace {
template <typename F>
void parallel_for(size_t n, int num_threads, F&& f) {
  size_t t = num_threads > 0 ? static_cast<size_t>(num_threads) : std::max(1u, std::thread::hardware_concurrency());
  t = std::min(t, n);
  if (t <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(t);
  for (size_t k = 0; k < t; ++k) {
    threads.emplace_back([&, k] {
      try {
        for (size_t i = k; i < n; i += t) f(i);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void pad_batch(std::vector<Encoding>& out, const PaddingParams* padding) {
  if (!padding || padding->strategy != PaddingParams::Strategy::BatchLongest) return;
  size_t len = 0;
  for (auto& e : out) len = std::max(len, e.size());
  if (padding->pad_to_multiple_of > 0 && len % padding->pad_to_multiple_of)
    len += padding->pad_to_multiple_of - len % padding->pad_to_multiple_of;
  for (auto& e : out) pad_encoding(e, len, *padding);
}
}  // namespace

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens,
                                              int num_threads) const {
  return encode_batch(texts, add_special_tokens, num_threads, EncodeSettings{impl_->truncation, impl_->padding});
}

std::vector<Encoding> Tokenizer::encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                    bool add_special_tokens, int num_threads) const {
  return encode_batch_pairs(pairs, add_special_tokens, num_threads, EncodeSettings{impl_->truncation, impl_->padding});
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens,
                                              int num_threads, const EncodeSettings& s) const {
  std::vector<Encoding> out(texts.size());
  parallel_for(texts.size(), num_threads, [&](size_t i) { out[i] = encode(texts[i], add_special_tokens, s); });
  pad_batch(out, ptr(s.padding));
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                    bool add_special_tokens, int num_threads,
                                                    const EncodeSettings& s) const {
  std::vector<Encoding> out(pairs.size());
  parallel_for(pairs.size(), num_threads,
               [&](size_t i) { out[i] = encode_pair(pairs[i].first, pairs[i].second, add_special_tokens, s); });
  pad_batch(out, ptr(s.padding));
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0) continue;
    auto u = static_cast<uint32_t>(id);
    if (const AddedToken* t = impl_->added.by_id(u)) {
      if (skip_special_tokens && impl_->added.is_special(t->content)) continue;
      tokens.push_back(t->content);
    } else if (const std::string* s = impl_->model->id_to_token(u)) {
      if (skip_special_tokens && impl_->added.is_special(*s)) continue;
      tokens.push_back(*s);
    }
  }
  if (!impl_->decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (auto& t : tokens) out += t;
  return out;
}

std::vector<std::string> Tokenizer::decode_batch(const std::vector<std::vector<int32_t>>& ids,
                                                 bool skip_special_tokens) const {
  std::vector<std::string> out;
  for (auto& v : ids) out.push_back(decode(v, skip_special_tokens));
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added.token_to_id(token)) return static_cast<int32_t>(*id);
  if (auto id = impl_->model->token_to_id(token)) return static_cast<int32_t>(*id);
  return std::nullopt;
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (id < 0) return std::nullopt;
  if (const AddedToken* t = impl_->added.by_id(static_cast<uint32_t>(id))) return t->content;
  if (const std::string* s = impl_->model->id_to_token(static_cast<uint32_t>(id))) return *s;
  return std::nullopt;
}

size_t Tokenizer::vocab_size(bool with_added_tokens) const {
  size_t n = impl_->model->vocab_size();
  if (!with_added_tokens) return n;
  for (auto& [id, t] : impl_->added.tokens())
    if (!impl_->model->id_to_token(id)) ++n;
  return n;
}

size_t Tokenizer::add_tokens(const std::vector<AddedToken>& tokens) {
  size_t added = 0;
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    std::optional<int32_t> id = token_to_id(t.content);
    const AddedToken* existing = id ? impl_->added.by_id(static_cast<uint32_t>(*id)) : nullptr;
    if (existing && existing->special == t.special && existing->normalized == t.normalized &&
        existing->lstrip == t.lstrip && existing->rstrip == t.rstrip && existing->single_word == t.single_word)
      continue;
    if (!id) {
      // New ids go after everything that exists (model vocabulary and added tokens).
      int32_t next = static_cast<int32_t>(impl_->model->vocab_size());
      for (auto& [aid, at] : impl_->added.tokens()) next = std::max(next, static_cast<int32_t>(aid) + 1);
      id = next;
      ++added;
    }
    impl_->added.add(t, static_cast<uint32_t>(*id), impl_->normalizer.get());
    impl_->added_at_runtime.emplace_back(*id, t);
  }
  return added;
}

size_t Tokenizer::add_special_tokens(const std::vector<std::string>& tokens) {
  std::vector<AddedToken> v;
  for (auto& s : tokens) v.push_back(AddedToken{s, false, false, false, false, true});
  return add_tokens(v);
}

std::vector<std::pair<int32_t, AddedToken>> Tokenizer::added_tokens() const {
  std::vector<std::pair<int32_t, AddedToken>> out;
  for (auto& [id, t] : impl_->added.tokens()) out.emplace_back(static_cast<int32_t>(id), t);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

bool Tokenizer::is_special_token(std::string_view content) const { return impl_->added.is_special(content); }
void Tokenizer::set_encode_special_tokens(bool v) { impl_->added.set_encode_special_tokens(v); }
void Tokenizer::set_truncation(std::optional<TruncationParams> t) { impl_->truncation = std::move(t); }
void Tokenizer::set_padding(std::optional<PaddingParams> p) { impl_->padding = std::move(p); }
const std::optional<TruncationParams>& Tokenizer::truncation() const { return impl_->truncation; }
const std::optional<PaddingParams>& Tokenizer::padding() const { return impl_->padding; }
size_t Tokenizer::num_special_tokens_to_add(bool is_pair) const {
  return impl_->post_processor ? impl_->post_processor->added_tokens(is_pair) : 0;
}

std::string Tokenizer::to_json() const {
  if (impl_->added_at_runtime.empty()) return impl_->json_text;
  auto j = nlohmann::json::parse(impl_->json_text);
  auto& arr = j["added_tokens"];
  if (!arr.is_array()) arr = nlohmann::json::array();
  for (auto& [id, t] : impl_->added_at_runtime) {
    nlohmann::json o = {{"id", id},           {"content", t.content}, {"single_word", t.single_word},
                        {"lstrip", t.lstrip}, {"rstrip", t.rstrip},   {"normalized", t.normalized},
                        {"special", t.special}};
    bool replaced = false;
    for (auto& e : arr)
      if (e.value("id", -1) == id) {
        e = o;
        replaced = true;
      }
    if (!replaced) arr.push_back(o);
  }
  return j.dump(2);
}

void Tokenizer::save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary);
  TFM_CHECK(out, "[tokenizers] cannot write ", path.string());
  out << to_json();
}

}  // namespace transformers::tok
